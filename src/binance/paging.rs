//! Which kline pages to ask for, newest first, so that after merging with what is stored the
//! newest `want` closed candles are present; pure bookkeeping, no I/O.
//!
//! Rules: the first page has no `endTime` (the newest rows, the forming candle among them);
//! each further page ends just before the oldest row seen. With nothing stored, pages run
//! until `want` closed candles are collected. With a stored range, pages run back until they
//! reach its last candle (so the lake never gets a hole between old and new), and when new
//! plus stored candles are still fewer than `want`, pages continue before the stored first
//! candle. A page shorter than asked means the exchange has no older history.

use super::Kline;

/// What the caller already holds for the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Open time of the oldest and newest stored candle (ms).
    pub first: i64,
    pub last: i64,
    /// Number of stored candles.
    pub len: usize,
}

impl Stored {
    /// What a sorted series of open times holds; `None` when it is empty.
    pub fn of(open_time: &[i64]) -> Option<Stored> {
        Some(Stored { first: *open_time.first()?, last: *open_time.last()?, len: open_time.len() })
    }
}

/// One klines request: the newest `limit` rows with open time at or before `end_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub end_time: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Collecting candles newer than the stored ones (or any, when nothing is stored).
    Newer,
    /// Collecting `need` candles older than the stored first one.
    Older { need: usize },
}

/// The paging state of one download.
#[derive(Debug, Clone)]
pub struct Pager {
    want: usize,
    page_max: usize,
    stored: Option<Stored>,
    phase: Phase,
    rows: Vec<Kline>,
    older: usize,
    next: Option<PageRequest>,
}

impl Pager {
    /// `first_limit` sizes the first page when something is stored (how many rows the caller
    /// expects since its last candle); it is clamped to `1..=page_max`.
    pub fn new(want: usize, page_max: usize, stored: Option<Stored>, first_limit: Option<usize>) -> Pager {
        let want = want.max(1);
        let page_max = page_max.max(1);
        let first = match stored {
            // One more than wanted: the newest row is usually still forming.
            None => want.saturating_add(1),
            Some(_) => first_limit.unwrap_or(page_max),
        };
        Pager {
            want,
            page_max,
            stored,
            phase: Phase::Newer,
            rows: Vec::new(),
            older: 0,
            next: Some(PageRequest { end_time: None, limit: first.clamp(1, page_max) }),
        }
    }

    pub fn next_request(&self) -> Option<PageRequest> {
        self.next
    }

    /// Closed candles kept so far.
    pub fn collected(&self) -> usize {
        self.rows.len()
    }

    /// Take the reply to `req`; a candle is closed when its close time is before `server_time`.
    pub fn accept(&mut self, req: PageRequest, rows: Vec<Kline>, server_time: i64) {
        let short = rows.len() < req.limit;
        // Ignore anything a misbehaving server sends past the end asked for, so each page
        // moves strictly back in time.
        let rows: Vec<Kline> = rows.into_iter().filter(|k| req.end_time.is_none_or(|e| k.open_time <= e)).collect();
        let Some(oldest) = rows.iter().map(|k| k.open_time).min() else {
            return self.phase_done();
        };
        let closed = rows.into_iter().filter(|k| k.close_time < server_time);
        let older_page = |limit: usize| Some(PageRequest { end_time: Some(oldest - 1), limit });
        match (self.phase, self.stored) {
            (Phase::Newer, None) => {
                self.rows.extend(closed);
                let missing = self.want.saturating_sub(self.rows.len());
                if missing == 0 || short {
                    self.next = None;
                } else {
                    self.next = older_page(missing.min(self.page_max));
                }
            }
            (Phase::Newer, Some(s)) => {
                self.rows.extend(closed.filter(|k| k.open_time > s.last));
                if oldest <= s.last || short {
                    self.phase_done();
                } else {
                    self.next = older_page(self.page_max);
                }
            }
            (Phase::Older { need }, Some(s)) => {
                let before = self.rows.len();
                self.rows.extend(closed.filter(|k| k.open_time < s.first));
                self.older += self.rows.len() - before;
                if self.older >= need || short {
                    self.next = None;
                } else {
                    self.next = older_page((need - self.older).min(self.page_max));
                }
            }
            (Phase::Older { .. }, None) => unreachable!("the older phase needs a stored range"),
        }
    }

    /// The current phase has nothing more to give: go before the stored range or stop.
    fn phase_done(&mut self) {
        self.next = None;
        if let (Phase::Newer, Some(s)) = (self.phase, self.stored) {
            let have = self.rows.len().saturating_add(s.len);
            if have < self.want {
                let need = self.want - have;
                self.phase = Phase::Older { need };
                self.next = Some(PageRequest { end_time: Some(s.first - 1), limit: need.min(self.page_max) });
            }
        }
    }

    /// The collected candles, oldest first, one per open time.
    pub fn finish(self) -> Vec<Kline> {
        let mut rows = self.rows;
        rows.sort_by_key(|k| k.open_time);
        rows.dedup_by_key(|k| k.open_time);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    /// An exchange with hourly candles opening at `first..=last` hours, answering like Binance.
    struct Exchange {
        first: i64,
        last: i64,
    }

    impl Exchange {
        fn page(&self, req: PageRequest) -> Vec<Kline> {
            let end = req.end_time.map_or(self.last, |e| (e.div_euclid(H)).min(self.last));
            let start = (end - req.limit as i64 + 1).max(self.first);
            (start..=end).map(|h| kline(h * H)).collect()
        }

        /// Now is half-way through the last candle.
        fn now(&self) -> i64 {
            self.last * H + H / 2
        }

        fn run(&self, want: usize, page_max: usize, stored: Option<Stored>, hint: Option<usize>) -> (Vec<Kline>, Vec<PageRequest>) {
            let mut p = Pager::new(want, page_max, stored, hint);
            let mut reqs = Vec::new();
            while let Some(r) = p.next_request() {
                reqs.push(r);
                assert!(reqs.len() < 1000, "pager does not terminate");
                p.accept(r, self.page(r), self.now());
            }
            (p.finish(), reqs)
        }
    }

    fn kline(open_time: i64) -> Kline {
        Kline {
            open_time,
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 1.0,
            close_time: open_time + H - 1,
            quote_volume: 1.0,
            trades: 1,
            taker_buy_base: 0.5,
            taker_buy_quote: 0.5,
        }
    }

    fn hours(rows: &[Kline]) -> (i64, i64, usize) {
        (rows[0].open_time / H, rows.last().unwrap().open_time / H, rows.len())
    }

    #[test]
    fn cold_fetch_collects_exactly_the_newest_closed() {
        let ex = Exchange { first: 0, last: 20_000 };
        let (rows, reqs) = ex.run(2500, 1000, None, None);
        // Hour 20000 is still forming.
        assert_eq!(hours(&rows), (17_500, 19_999, 2500));
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0], PageRequest { end_time: None, limit: 1000 });
        assert_eq!(reqs[2].limit, 501);
        assert!(rows.windows(2).all(|w| w[1].open_time - w[0].open_time == H));
    }

    #[test]
    fn short_history_stops_early() {
        let ex = Exchange { first: 100, last: 600 };
        let (rows, reqs) = ex.run(2000, 1000, None, None);
        assert_eq!(hours(&rows), (100, 599, 500));
        assert_eq!(reqs.len(), 1);
    }

    #[test]
    fn incremental_is_one_request() {
        let ex = Exchange { first: 0, last: 20_000 };
        let stored = Stored { first: 17_000 * H, last: 19_994 * H, len: 2995 };
        // With an exact hint and with no hint at all.
        for hint in [Some(8), None] {
            let (rows, reqs) = ex.run(2500, 1000, Some(stored), hint);
            assert_eq!(hours(&rows), (19_995, 19_999, 5));
            assert_eq!(reqs.len(), 1, "{reqs:?}");
        }
        // Up to date: one request, nothing new.
        let stored = Stored { first: 17_000 * H, last: 19_999 * H, len: 3000 };
        let (rows, reqs) = ex.run(2500, 1000, Some(stored), Some(2));
        assert!(rows.is_empty());
        assert_eq!(reqs.len(), 1);
    }

    #[test]
    fn a_low_hint_costs_pages_not_correctness() {
        let ex = Exchange { first: 0, last: 20_000 };
        let stored = Stored { first: 10_000 * H, last: 17_000 * H, len: 7001 };
        let (rows, reqs) = ex.run(10, 1000, Some(stored), Some(2));
        // The whole hole since the stored end is filled, beyond `want`.
        assert_eq!(hours(&rows), (17_001, 19_999, 2999));
        assert_eq!(reqs.len(), 4);
    }

    #[test]
    fn too_little_stored_extends_back() {
        let ex = Exchange { first: 0, last: 20_000 };
        let stored = Stored { first: 19_900 * H, last: 19_997 * H, len: 98 };
        let (rows, reqs) = ex.run(1500, 1000, Some(stored), Some(5));
        // 2 new, 98 stored: 1400 more before hour 19900.
        assert_eq!(rows.len(), 1402);
        assert_eq!(rows[0].open_time, 18_500 * H);
        assert_eq!(rows.last().unwrap().open_time, 19_999 * H);
        assert_eq!(reqs[1], PageRequest { end_time: Some(19_900 * H - 1), limit: 1000 });
        assert_eq!(reqs[2].limit, 400);
        assert_eq!(reqs.len(), 3);
    }

    #[test]
    fn empty_or_rogue_pages_end_the_download() {
        let mut p = Pager::new(10, 1000, None, None);
        let r = p.next_request().unwrap();
        p.accept(r, vec![], 0);
        assert_eq!(p.next_request(), None);

        // A server ignoring endTime cannot make the pager loop.
        let mut p = Pager::new(3000, 1000, None, None);
        let all: Vec<Kline> = (0..1000).map(|h| kline(h * H)).collect();
        p.accept(p.next_request().unwrap(), all.clone(), 2000 * H);
        let r = p.next_request().unwrap();
        assert_eq!(r.end_time, Some(-1));
        p.accept(r, all, 2000 * H);
        assert_eq!(p.next_request(), None);
        assert_eq!(p.finish().len(), 1000);
    }
}
