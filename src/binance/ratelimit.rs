//! Request pacing: a gate shared by every request of one client that honours `Retry-After`
//! pauses and slows down as `X-MBX-USED-WEIGHT-1M` nears the per-minute limit.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW_MS: i64 = 60_000;

/// Shared pacing state of one client.
#[derive(Debug)]
pub struct WeightGate {
    limit: u32,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Last reported weight and the minute window it belongs to.
    used: u32,
    window: i64,
    paused_until: Option<Instant>,
}

impl WeightGate {
    pub fn new(limit: u32) -> WeightGate {
        WeightGate { limit, state: Mutex::new(State::default()) }
    }

    /// Record the `X-MBX-USED-WEIGHT-1M` of a response received at `now_ms` (epoch ms).
    pub fn observe(&self, used: u32, now_ms: i64) {
        let window = now_ms.div_euclid(WINDOW_MS);
        let mut s = self.state.lock().unwrap();
        // Responses of one window may arrive out of order: keep the highest count.
        if window > s.window || (window == s.window && used > s.used) {
            s.used = used;
            s.window = window;
        }
    }

    /// Stop every request of this client for `d` (a 429/418 `Retry-After`).
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = self.state.lock().unwrap();
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
    }

    /// What is left of a `Retry-After` pause.
    pub fn pause_remaining(&self) -> Duration {
        let s = self.state.lock().unwrap();
        s.paused_until.map(|p| p.saturating_duration_since(Instant::now())).unwrap_or_default()
    }

    /// The weight-based delay for one request sent at `now_ms`.
    pub fn pace(&self, now_ms: i64) -> Duration {
        let s = self.state.lock().unwrap();
        weight_delay(s.used, s.window, self.limit, now_ms)
    }

    /// Wait until a request may be sent: pace once by weight, then sit out any pause (which
    /// another request may extend meanwhile).
    pub async fn wait(&self) {
        let pace = self.pace(now_ms());
        if !pace.is_zero() {
            tokio::time::sleep(pace).await;
        }
        loop {
            let d = self.pause_remaining();
            if d.is_zero() {
                return;
            }
            tokio::time::sleep(d).await;
        }
    }
}

/// The pause before the next request given the last reported weight `used` (in minute
/// `window`) and the per-minute `limit`: nothing below 75 %, a short pacing delay up to 90 %,
/// and above that a wait for the next minute window (plus a second of clock slack).
pub fn weight_delay(used: u32, window: i64, limit: u32, now_ms: i64) -> Duration {
    if now_ms.div_euclid(WINDOW_MS) != window || limit == 0 {
        return Duration::ZERO;
    }
    let (used, limit) = (u64::from(used), u64::from(limit));
    if used * 10 >= limit * 9 {
        let into = now_ms.rem_euclid(WINDOW_MS);
        Duration::from_millis((WINDOW_MS - into + 1_000) as u64)
    } else if used * 4 >= limit * 3 {
        Duration::from_millis(250)
    } else {
        Duration::ZERO
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn weight_delay_grows_near_the_limit() {
        let now = 1_000 * MIN + 15_000;
        let w = now / MIN;
        assert_eq!(weight_delay(100, w, 6000, now), Duration::ZERO);
        assert_eq!(weight_delay(4500, w, 6000, now), Duration::from_millis(250));
        assert_eq!(weight_delay(5400, w, 6000, now), Duration::from_millis(46_000));
        assert_eq!(weight_delay(2300, w, 2400, now), Duration::from_millis(46_000));
    }

    #[test]
    fn a_past_window_does_not_count() {
        let now = 1_000 * MIN + 15_000;
        assert_eq!(weight_delay(5999, now / MIN - 1, 6000, now), Duration::ZERO);
    }

    #[test]
    fn gate_keeps_the_highest_weight_of_a_window_and_pauses() {
        let g = WeightGate::new(2400);
        let now = 1_000 * MIN + 1_000;
        g.observe(2300, now);
        g.observe(10, now + 5);
        assert!(g.pace(now + 10) >= Duration::from_secs(59));
        // A new window resets the count.
        g.observe(10, now + MIN);
        assert_eq!(g.pace(now + MIN), Duration::ZERO);
        assert_eq!(g.pause_remaining(), Duration::ZERO);
        g.pause_for(Duration::from_secs(5));
        g.pause_for(Duration::from_secs(1));
        let d = g.pause_remaining();
        assert!(d > Duration::from_secs(4) && d <= Duration::from_secs(5), "{d:?}");
    }
}
