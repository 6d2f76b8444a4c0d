//! Faults tests inject into the mock: queued, each used by the first request it matches.

use std::collections::VecDeque;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget {
    /// Any request, public ones included.
    Any,
    /// `POST /fapi/v1/order`.
    NewOrder,
    /// `POST /fapi/v1/algoOrder`.
    NewAlgoOrder,
    /// Signed GET requests (order, algo order, open orders, positions, balance, trades).
    Query,
}

/// What a request is, for matching faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    NewOrder,
    NewAlgoOrder,
    Query,
    Other,
}

impl FaultTarget {
    pub fn matches(self, kind: RequestKind) -> bool {
        match self {
            FaultTarget::Any => true,
            FaultTarget::NewOrder => kind == RequestKind::NewOrder,
            FaultTarget::NewAlgoOrder => kind == RequestKind::NewAlgoOrder,
            FaultTarget::Query => kind == RequestKind::Query,
        }
    }
}

/// A misbehaviour of the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with Retry-After, not executed; a request before it passes gets a 418 ban
    /// of twice as long.
    RateLimited { retry_after_s: u64 },
    /// HTTP 418 with Retry-After, not executed; the ban lasts that long.
    Banned { retry_after_s: u64 },
    /// Executed, then HTTP 503 `{"code":-1001,"msg":"Unknown error, ..."}`.
    Unknown503AfterExecute,
    /// Executed, then HTTP 400 with -1006 (execution status unknown).
    Code1006AfterExecute,
    /// Executed, then HTTP 408 with -1007 (execution status unknown).
    Code1007AfterExecute,
    /// Executed, then the answer is held back `ms` of wall time (the client times out).
    DelayAfterExecute { ms: u64 },
    /// From this request on the server's clock is shifted by `ms`.
    ClockSkew { ms: i64 },
}

/// The queue of injected faults.
#[derive(Debug, Clone, Default)]
pub struct Faults(VecDeque<(FaultTarget, Fault)>);

impl Faults {
    pub fn push(&mut self, target: FaultTarget, fault: Fault) {
        self.0.push_back((target, fault));
    }

    /// Remove and return the first fault matching `kind`.
    pub fn take(&mut self, kind: RequestKind) -> Option<Fault> {
        let i = self.0.iter().position(|(t, _)| t.matches(kind))?;
        self.0.remove(i).map(|(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_once_in_order_by_target() {
        let mut f = Faults::default();
        f.push(FaultTarget::NewOrder, Fault::Unknown503AfterExecute);
        f.push(FaultTarget::Any, Fault::ClockSkew { ms: 5 });
        assert_eq!(f.take(RequestKind::Query), Some(Fault::ClockSkew { ms: 5 }));
        assert_eq!(f.take(RequestKind::Query), None);
        assert_eq!(f.take(RequestKind::NewOrder), Some(Fault::Unknown503AfterExecute));
        assert_eq!(f.take(RequestKind::NewOrder), None);
    }
}
