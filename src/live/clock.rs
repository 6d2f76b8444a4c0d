//! The time a bot (and a simulated exchange) lives in.
//!
//! * [`Clock::System`] — the wall clock, for paper, demo and live trading.
//! * [`Clock::Stepped`] — simulated time that jumps forward whenever a sleeper asks for a later
//!   instant: `qm bot replay` runs the bot and the mock exchange on one such clock, so a year of
//!   candles replays in seconds and every run is the same.
//! * [`Clock::Scaled`] — simulated time running `speed` times faster than the wall clock from a
//!   common origin. Two processes given the same origin and speed agree on the time without
//!   talking to each other (a bot process and a mock exchange in a test; `QM_SIM_CLOCK`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Variable selecting a scaled clock: `ORIGIN_MS:WALL_ORIGIN_MS:SPEED`.
pub const SIM_CLOCK_VAR: &str = "QM_SIM_CLOCK";

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Stepped(Arc<AtomicI64>),
    Scaled { origin_ms: i64, wall_origin_ms: i64, speed: f64 },
}

/// A malformed `QM_SIM_CLOCK`.
#[derive(Debug, thiserror::Error)]
#[error("`{SIM_CLOCK_VAR}` is `{0}`; expected `ORIGIN_MS:WALL_ORIGIN_MS:SPEED` (integers, SPEED a number > 0)")]
pub struct ClockError(String);

/// Milliseconds since the Unix epoch on the wall clock.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Clock {
    /// A stepped clock starting at `t_ms`.
    pub fn stepped(t_ms: i64) -> Clock {
        Clock::Stepped(Arc::new(AtomicI64::new(t_ms)))
    }

    /// The scaled clock of `QM_SIM_CLOCK` when it is set, else the system clock.
    pub fn from_env() -> Result<Clock, ClockError> {
        match std::env::var(SIM_CLOCK_VAR) {
            Ok(v) if !v.trim().is_empty() => Clock::parse_scaled(&v),
            _ => Ok(Clock::System),
        }
    }

    pub fn parse_scaled(v: &str) -> Result<Clock, ClockError> {
        let bad = || ClockError(v.to_string());
        let parts: Vec<&str> = v.trim().split(':').collect();
        let [o, w, s] = parts[..] else { return Err(bad()) };
        let origin_ms = o.parse().map_err(|_| bad())?;
        let wall_origin_ms = w.parse().map_err(|_| bad())?;
        let speed: f64 = s.parse().map_err(|_| bad())?;
        if !(speed.is_finite() && speed > 0.0) {
            return Err(bad());
        }
        Ok(Clock::Scaled { origin_ms, wall_origin_ms, speed })
    }

    /// The `QM_SIM_CLOCK` value describing this clock (scaled clocks only).
    pub fn to_env(&self) -> Option<String> {
        match self {
            Clock::Scaled { origin_ms, wall_origin_ms, speed } => Some(format!("{origin_ms}:{wall_origin_ms}:{speed}")),
            _ => None,
        }
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => wall_ms(),
            Clock::Stepped(t) => t.load(Ordering::SeqCst),
            Clock::Scaled { origin_ms, wall_origin_ms, speed } => origin_ms + ((wall_ms() - wall_origin_ms) as f64 * speed) as i64,
        }
    }

    /// Move a stepped clock forward to `t_ms` (never backwards); other clocks ignore it.
    pub fn advance_to(&self, t_ms: i64) {
        if let Clock::Stepped(t) = self {
            t.fetch_max(t_ms, Ordering::SeqCst);
        }
    }

    /// Clock milliseconds per wall-clock millisecond (1 for the system clock; a stepped clock
    /// is treated as 1).
    pub fn speed(&self) -> f64 {
        match self {
            Clock::Scaled { speed, .. } => *speed,
            _ => 1.0,
        }
    }

    /// Whether time passes by itself (not a stepped clock).
    pub fn is_real_time(&self) -> bool {
        !matches!(self, Clock::Stepped(_))
    }

    /// Wait until the clock reads at least `t_ms`. A stepped clock jumps there at once.
    pub async fn sleep_until(&self, t_ms: i64) {
        match self {
            Clock::Stepped(_) => self.advance_to(t_ms),
            Clock::System | Clock::Scaled { .. } => loop {
                let left = t_ms - self.now_ms();
                if left <= 0 {
                    return;
                }
                let speed = if let Clock::Scaled { speed, .. } = self { *speed } else { 1.0 };
                let wall = ((left as f64 / speed).ceil() as u64).clamp(1, 60_000);
                tokio::time::sleep(Duration::from_millis(wall)).await;
            },
        }
    }

    /// Sleep `ms` of this clock's time.
    pub async fn sleep_ms(&self, ms: i64) {
        let t = self.now_ms() + ms;
        self.sleep_until(t).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stepped_time_jumps_and_never_goes_back() {
        let c = Clock::stepped(1_000);
        c.sleep_until(5_000).await;
        assert_eq!(c.now_ms(), 5_000);
        c.advance_to(4_000);
        assert_eq!(c.now_ms(), 5_000);
        let c2 = c.clone();
        c2.sleep_ms(10).await;
        assert_eq!(c.now_ms(), 5_010);
    }

    #[tokio::test]
    async fn scaled_clocks_agree_across_parses() {
        let c = Clock::Scaled { origin_ms: 1_700_000_000_000, wall_origin_ms: wall_ms(), speed: 1000.0 };
        let d = Clock::parse_scaled(&c.to_env().unwrap()).unwrap();
        assert!((c.now_ms() - d.now_ms()).abs() < 100);
        let t = c.now_ms() + 2_000;
        c.sleep_until(t).await;
        assert!(c.now_ms() >= t);
        assert!(Clock::parse_scaled("1:2").unwrap_err().to_string().contains("ORIGIN_MS:WALL_ORIGIN_MS:SPEED"));
        assert!(Clock::parse_scaled("1:2:0").is_err());
    }
}
