//! CSV candle files: with a header naming the columns, or headerless in Binance's kline
//! order (the bulk dumps from data.binance.vision).

use std::borrow::Cow;

use super::columns::{is_time, map_headers, missing_required, parse_count, Builder, Role, BINANCE_ORDER};
use super::time::parse_millis;
use super::ImportError;
use super::Ohlcv;

/// Parse the text of one CSV file named `path` (used in errors).
pub fn parse_csv(path: &str, text: &str) -> Result<Ohlcv, ImportError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return Err(ImportError::Empty { path: path.to_string() });
    };
    let first_fields = split_fields(first);
    let headerless = parse_millis(&first_fields[0]).is_some();
    let map: Vec<(Role, usize)> = if headerless {
        if first_fields.len() < 6 {
            return Err(ImportError::Layout {
                path: path.to_string(),
                problem: format!(
                    "its first line has no header and {} columns; headerless files need Binance's kline order \
                     (open_time, open, high, low, close, volume, ...)",
                    first_fields.len()
                ),
            });
        }
        BINANCE_ORDER.iter().copied().zip(0..first_fields.len()).collect()
    } else {
        let map = map_headers(&first_fields);
        if let Some(role) = missing_required(&map) {
            return Err(ImportError::MissingColumn {
                path: path.to_string(),
                column: role.name(),
                found: first_fields.join(", "),
            });
        }
        map
    };
    let width = first_fields.len();
    let mut b = Builder::for_roles(&map);
    let data_lines = if headerless { Some(first).into_iter().chain(lines) } else { None.into_iter().chain(lines) };
    for (i, line) in data_lines.enumerate() {
        let row = i + 1;
        let fields = split_fields(line);
        if fields.len() != width {
            return Err(row_err(path, row, format!("has {} fields where the first line has {width}", fields.len())));
        }
        for &(role, idx) in &map {
            let cell = fields[idx].as_ref();
            if is_time(role) {
                let ms = parse_millis(cell).ok_or_else(|| {
                    row_err(
                        path,
                        row,
                        format!("`{}` value `{cell}` is not a timestamp (epoch ms or µs, or ISO 8601)", role.name()),
                    )
                })?;
                b.push_i64(role, ms);
            } else if role == Role::Trades {
                let n = parse_count(cell).ok_or_else(|| {
                    row_err(path, row, format!("`{}` value `{cell}` is not an integer", role.name()))
                })?;
                b.push_i64(role, n);
            } else {
                let v: f64 = cell.trim().parse().map_err(|_| {
                    row_err(path, row, format!("`{}` value `{cell}` is not a number", role.name()))
                })?;
                b.push_f64(role, v);
            }
        }
    }
    Ok(b.finish())
}

fn row_err(path: &str, row: usize, problem: String) -> ImportError {
    ImportError::Row { path: path.to_string(), row, problem }
}

/// Split one line on commas; double-quoted fields may hold commas and `""` escapes.
fn split_fields(line: &str) -> Vec<Cow<'_, str>> {
    if !line.contains('"') {
        return line.split(',').map(|f| Cow::Borrowed(f.trim())).collect();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(Cow::Owned(std::mem::take(&mut cur).trim().to_string())),
            _ => cur.push(c),
        }
    }
    out.push(Cow::Owned(cur.trim().to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        let f = split_fields(r#""2024-01-01 00:00:00", "1,5" ,"say ""hi""",x"#);
        assert_eq!(f, vec!["2024-01-01 00:00:00", "1,5", r#"say "hi""#, "x"]);
        assert_eq!(split_fields("a, b,c"), vec!["a", "b", "c"]);
    }

    #[test]
    fn header_csv_with_iso_times() {
        let text = "timestamp,open,high,low,close,volume\n\
                    2024-01-01T00:00:00Z,1,2,0.5,1.5,10\r\n\
                    \n\
                    2024-01-01T01:00:00Z,1.5,2,1,1,0\n";
        let o = parse_csv("a.csv", text).unwrap();
        assert_eq!(o.candles.open_time, vec![1_704_067_200_000, 1_704_070_800_000]);
        assert_eq!(o.candles.low, vec![0.5, 1.0]);
        assert!(o.close_time.is_none());
    }

    #[test]
    fn headerless_binance_dump_in_micros() {
        let text = "1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,769017.88,1317,4.82,451051.78,0\n";
        let o = parse_csv("BTCUSDT-1m-2025-01.csv", text).unwrap();
        assert_eq!(o.candles.open_time, vec![1_735_689_600_000]);
        assert_eq!(o.close_time, Some(vec![1_735_689_659_999]));
        assert_eq!(o.trades, Some(vec![1317]));
        assert_eq!(o.taker_buy_quote, Some(vec![451051.78]));
    }

    #[test]
    fn bad_cells_name_row_and_value() {
        let text = "open_time,open,high,low,close,volume\n1,1,1,1,1,1\n2,abc,1,1,1,1\n";
        let e = parse_csv("x.csv", text).unwrap_err().to_string();
        assert_eq!(e, "`x.csv` row 2: `open` value `abc` is not a number");
        let e = parse_csv("x.csv", "open_time,open,high,low,close,volume\n1,1,1,1,1\n").unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("5 fields"), "{e}");
        let e = parse_csv("x.csv", "time,open,high,close,volume\n").unwrap_err().to_string();
        assert!(e.contains("`low`") && e.contains("time, open, high, close, volume"), "{e}");
        let e = parse_csv("x.csv", "1,2,3\n").unwrap_err().to_string();
        assert!(e.contains("3 columns"), "{e}");
        assert!(matches!(parse_csv("x.csv", "\n\n"), Err(ImportError::Empty { .. })));
    }
}
