//! Rate limits in server time: request weight per minute (429 with Retry-After when
//! exceeded; a request while the back-off runs earns a 418 ban), and the order counts of
//! the last 10 s and minute (300 and 1200, -1015 beyond).

use std::collections::VecDeque;

const MINUTE: i64 = 60_000;
/// Orders allowed per 10 s and per minute.
const ORDERS_10S: usize = 300;
const ORDERS_1M: usize = 1200;

/// A request refused for its rate: HTTP 429 or 418, with the seconds to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub retry_after_s: u64,
}

/// Weight and order accounting.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Weight allowed per minute.
    limit: u32,
    /// Start of the minute `used` counts.
    minute: i64,
    used: u32,
    /// A 429 back-off runs until then; its length decides the ban for ignoring it.
    backoff_until: i64,
    backoff_s: u64,
    /// A 418 ban runs until then.
    banned_until: i64,
    /// Times of recent orders.
    orders: VecDeque<i64>,
}

/// Whole seconds from `now` to `until`, at least 1.
fn seconds(now: i64, until: i64) -> u64 {
    (((until - now).max(0) + 999) / 1000).max(1) as u64
}

impl Limits {
    pub fn new(limit: u32) -> Limits {
        Limits { limit, minute: 0, used: 0, backoff_until: i64::MIN, backoff_s: 0, banned_until: i64::MIN, orders: VecDeque::new() }
    }

    /// Refuse while banned; a request during a 429 back-off earns a ban twice as long.
    pub fn gate(&mut self, now: i64) -> Result<(), Refusal> {
        if now < self.banned_until {
            return Err(Refusal { status: 418, retry_after_s: seconds(now, self.banned_until) });
        }
        if now < self.backoff_until {
            let s = (2 * self.backoff_s).max(2);
            self.ban(now, s);
            return Err(Refusal { status: 418, retry_after_s: s });
        }
        Ok(())
    }

    /// Start a 429 back-off of `secs`.
    pub fn back_off(&mut self, now: i64, secs: u64) -> Refusal {
        self.backoff_until = now + secs as i64 * 1000;
        self.backoff_s = secs;
        Refusal { status: 429, retry_after_s: secs }
    }

    /// Start a 418 ban of `secs`.
    pub fn ban(&mut self, now: i64, secs: u64) -> Refusal {
        self.banned_until = now + secs as i64 * 1000;
        self.backoff_until = i64::MIN;
        Refusal { status: 418, retry_after_s: secs }
    }

    /// Count `weight`; beyond the limit the request is refused with 429 until the minute ends.
    pub fn spend(&mut self, now: i64, weight: u32) -> Result<(), Refusal> {
        let minute = now.div_euclid(MINUTE) * MINUTE;
        if minute != self.minute {
            self.minute = minute;
            self.used = 0;
        }
        self.used += weight;
        if self.used > self.limit {
            return Err(self.back_off(now, seconds(now, minute + MINUTE)));
        }
        Ok(())
    }

    /// Weight used in the minute of `now`.
    pub fn used(&self, now: i64) -> u32 {
        if now.div_euclid(MINUTE) * MINUTE == self.minute {
            self.used
        } else {
            0
        }
    }

    /// Count an order placed at `now`; false when the order rate is exceeded.
    pub fn order(&mut self, now: i64) -> bool {
        self.prune(now);
        if self.orders.len() >= ORDERS_1M || self.orders.iter().filter(|&&t| t > now - 10_000).count() >= ORDERS_10S {
            return false;
        }
        self.orders.push_back(now);
        true
    }

    fn prune(&mut self, now: i64) {
        while self.orders.front().is_some_and(|&t| t <= now - MINUTE) {
            self.orders.pop_front();
        }
    }

    /// Orders in the last 10 s and the last minute.
    pub fn order_counts(&mut self, now: i64) -> (usize, usize) {
        self.prune(now);
        (self.orders.iter().filter(|&&t| t > now - 10_000).count(), self.orders.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_429_then_418_for_not_waiting() {
        let t = 1_700_000_080_000; // 40 s into a minute
        let mut l = Limits::new(10);
        for _ in 0..5 {
            l.gate(t).unwrap();
            l.spend(t, 2).unwrap();
        }
        assert_eq!(l.used(t), 10);
        assert_eq!(l.spend(t, 1), Err(Refusal { status: 429, retry_after_s: 20 }));
        assert_eq!(l.gate(t + 1000), Err(Refusal { status: 418, retry_after_s: 40 }));
        assert_eq!(l.gate(t + 30_000).unwrap_err().status, 418);
        l.gate(t + 41_000).unwrap();
        l.spend(t + 41_000, 1).unwrap();
        assert_eq!(l.used(t + 41_000), 1);
    }

    #[test]
    fn waiting_out_a_429_is_fine() {
        let mut l = Limits::new(10);
        l.back_off(0, 3);
        assert!(l.gate(3000).is_ok());
    }

    #[test]
    fn order_counts() {
        let mut l = Limits::new(10);
        for i in 0..300 {
            assert!(l.order(i));
        }
        assert!(!l.order(500));
        assert_eq!(l.order_counts(500), (300, 300));
        assert!(l.order(10_001));
        assert_eq!(l.order_counts(70_000), (0, 1));
        assert_eq!(l.order_counts(80_000), (0, 0));
    }
}
