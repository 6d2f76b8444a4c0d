//! Rolling sample variance and standard deviation: pandas' Welford update with Kahan
//! compensation (separate add/remove terms) and the consecutive-equal-value counter.

#[derive(Default)]
struct WelfordWindow {
    nobs: usize,
    mean: f64,
    ssq: f64,
    c_add: f64,
    c_rem: f64,
    same: usize,
    prev: f64,
}

impl WelfordWindow {
    fn reset(&mut self, first: f64) {
        *self = WelfordWindow { prev: first, ..WelfordWindow::default() };
    }

    #[inline]
    fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        if v == self.prev {
            self.same += 1;
        } else {
            self.same = 1;
        }
        self.prev = v;
        self.nobs += 1;
        let pm = self.mean - self.c_add;
        let y = v - self.c_add;
        let t = y - self.mean;
        self.c_add = (t + self.mean) - y;
        self.mean = self.mean + t / self.nobs as f64;
        self.ssq = self.ssq + (v - pm) * (v - self.mean);
    }

    #[inline]
    fn remove(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.nobs -= 1;
        if self.nobs > 0 {
            let pm = self.mean - self.c_rem;
            let y = v - self.c_rem;
            let t = y - self.mean;
            self.c_rem = (t + self.mean) - y;
            self.mean = self.mean - t / self.nobs as f64;
            self.ssq = self.ssq - (v - pm) * (v - self.mean);
        } else {
            self.mean = 0.0;
            self.ssq = 0.0;
        }
    }

    #[inline]
    fn var(&self, minp: usize) -> f64 {
        if self.nobs < minp || self.nobs <= 1 {
            return f64::NAN;
        }
        if self.same >= self.nobs {
            0.0
        } else {
            self.ssq / (self.nobs - 1) as f64
        }
    }
}

/// pandas `rolling(n).var()` (ddof = 1).
pub fn roll_var(x: &[f64], n: usize) -> Vec<f64> {
    assert!(n >= 1, "rolling window must be at least 1");
    let mut out = Vec::with_capacity(x.len());
    let mut w = WelfordWindow::default();
    for i in 0..x.len() {
        if i == 0 || n == 1 {
            w.reset(x[i]);
        } else if i >= n {
            w.remove(x[i - n]);
        }
        w.add(x[i]);
        out.push(w.var(n));
    }
    out
}

/// pandas `rolling(n).std()`: the square root of `roll_var`, a negative variance read as 0.
pub fn roll_std(x: &[f64], n: usize) -> Vec<f64> {
    let mut v = roll_var(x, n);
    for s in v.iter_mut() {
        *s = if *s < 0.0 { 0.0 } else { s.sqrt() };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_variance_of_small_windows() {
        let v = roll_var(&[1.0, 2.0, 4.0, 7.0], 3);
        assert!(v[0].is_nan() && v[1].is_nan());
        // Values as pandas prints them: Welford's rounding, not the exact 7/3 and 19/3.
        assert_eq!(v[2], 2.333333333333333);
        assert_eq!(v[3], 6.333333333333334);
        assert_eq!(roll_std(&[1.0, 3.0], 2)[1], 2.0f64.sqrt());
    }

    #[test]
    fn equal_runs_have_zero_variance() {
        let v = roll_var(&[0.1, 0.7, 0.3, 0.3, 0.3], 3);
        assert_eq!(v[4].to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn windows_of_one_and_nan_gaps_are_nan() {
        assert!(roll_var(&[1.0, 2.0], 1).iter().all(|v| v.is_nan()));
        let v = roll_var(&[1.0, f64::NAN, 3.0, 5.0], 2);
        assert!(v[1].is_nan() && v[2].is_nan());
        assert_eq!(v[3], 2.0);
    }
}
