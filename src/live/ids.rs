//! Deterministic client order ids: the same bot, bar and action always give the same id, so
//! a restarted bot can look up an order it may already have sent instead of sending it again.
//! Binance allows at most 36 characters of `[.A-Za-z0-9:/_-]`.

/// What an order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Open,
    Close,
    StopLoss,
    TakeProfit,
    Flatten,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Action::Open => "o",
            Action::Close => "c",
            Action::StopLoss => "sl",
            Action::TakeProfit => "tp",
            Action::Flatten => "f",
        }
    }
}

/// Binance's limit on `newClientOrderId` / `clientAlgoId`.
pub const MAX_LEN: usize = 36;

/// `qm-<bot>-<bar open time in base 36>-<action>`, with the bot name reduced to allowed
/// characters and shortened (with a short hash of the full name) to fit in 36 characters.
pub fn client_order_id(bot: &str, bar_open_ms: i64, action: Action) -> String {
    let bar = base36(bar_open_ms.max(0) as u64);
    let tail = format!("-{bar}-{}", action.code());
    let clean: String = bot.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_')).collect();
    let room = MAX_LEN - 3 - tail.len();
    let name = if clean.len() <= room && clean.len() == bot.len() {
        clean
    } else {
        // Distinct names that clean or cut to the same text keep distinct ids.
        let h = base36(fnv1a(bot.as_bytes()) % 36u64.pow(5));
        let keep = room.saturating_sub(h.len() + 1).min(clean.len());
        format!("{}.{h}", &clean[..keep])
    };
    format!("qm-{name}{tail}")
}

fn base36(mut x: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(x % 36) as usize]);
        x /= 36;
        if x == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii digits")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(id: &str) -> bool {
        id.len() <= MAX_LEN && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-'))
    }

    #[test]
    fn ids_are_deterministic_valid_and_distinct() {
        let t = 1_735_689_600_000;
        let a = client_order_id("rsi-ema-btc", t, Action::Open);
        assert_eq!(a, client_order_id("rsi-ema-btc", t, Action::Open));
        assert!(allowed(&a), "{a}");
        let others = [
            client_order_id("rsi-ema-btc", t, Action::Close),
            client_order_id("rsi-ema-btc", t + 3_600_000, Action::Open),
            client_order_id("rsi_ema_btc", t, Action::Open),
            client_order_id("rsiemabtc", t, Action::Open),
        ];
        for o in &others {
            assert!(allowed(o), "{o}");
            assert_ne!(&a, o);
        }
        let long = client_order_id(&"a very long bot name with spaces ".repeat(3), t, Action::StopLoss);
        assert!(allowed(&long), "{long}");
        assert!(long.ends_with("-sl"));
        assert_eq!(client_order_id("simple", t, Action::TakeProfit), format!("qm-simple-{}-tp", base36(t as u64)));
    }
}
