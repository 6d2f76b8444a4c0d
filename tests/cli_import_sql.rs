//! End-to-end tests of `qm import`, `qm data synth` and `qm sql` through the real binary.

mod common;

use common::*;

const BTC_1H: &str = "SELECT count(*) AS n FROM ohlcv WHERE symbol = 'BTCUSDT' AND timeframe = '1h'";

fn lake_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    (d, lake)
}

/// The single value of a one-row, one-column CSV result.
fn scalar(lake: &std::path::Path, sql: &str) -> String {
    let out = qm(lake, &["sql", sql, "--format", "csv"]).success().stdout_text();
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 2, "{out}");
    rows[1][0].clone()
}

// ---------- import: every source format ----------

#[test]
fn imports_reference_parquet_bit_for_bit() {
    let (d, lake) = lake_dir();
    for (file, symbol) in [("BTC_USDT-1h.parquet", "BTCUSDT"), ("SYNTH-STRESS_USDT-1h.parquet", "STRESSUSDT")] {
        let src = reference_candles(file);
        let r = qm(&lake, &["import", "--symbol", symbol, "--interval", "1h", s(&src)]).success();
        let want = read_parquet(&src);
        let n = want.iter().map(|b| b.num_rows()).sum::<usize>();
        assert!(r.stderr.contains(&format!("imported {n} rows")), "{}", r.stderr);
        assert!(r.stderr.contains("no gaps"), "{}", r.stderr);

        let out = d.path().join(format!("{symbol}.parquet"));
        let sql = format!(
            "SELECT open_time, open, high, low, close, volume FROM ohlcv \
             WHERE symbol = '{symbol}' AND timeframe = '1h' ORDER BY open_time"
        );
        qm(&lake, &["sql", &sql, "--format", "parquet", "--output", s(&out)]).success();
        let got = read_parquet(&out);
        assert_eq!(i64_column(&got, "open_time"), i64_column(&want, "open_time"), "{file}");
        for col in ["open", "high", "low", "close", "volume"] {
            let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
            assert_eq!(bits(f64_column(&got, col)), bits(f64_column(&want, col)), "{file} {col}");
        }
    }
}

#[test]
fn imports_header_csv_in_ms_and_iso() {
    let (d, lake) = lake_dir();
    let a = write(d.path(), "a.csv", &csv_ms(&bars(JAN1_2024, 24)));
    let b = write(d.path(), "b.csv", &csv_iso(&bars(JAN1_2024 + 24 * HOUR, 24)));
    let r = qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&a), s(&b)]).success();
    assert!(r.stderr.contains("imported 48 rows") && r.stderr.contains("from 2 files"), "{}", r.stderr);
    assert!(r.stderr.contains("2024-01-01T00:00:00Z .. 2024-01-02T23:00:00Z"), "{}", r.stderr);
    assert_eq!(scalar(&lake, BTC_1H), "48");
    let last = scalar(&lake, "SELECT CAST(max(open_time) AS BIGINT) FROM ohlcv");
    assert_eq!(last, (JAN1_2024 + 47 * HOUR).to_string());
    // A CSV import without Binance's columns stores them as nulls.
    assert_eq!(scalar(&lake, "SELECT count(trades) FROM ohlcv"), "0");
}

#[test]
fn imports_binance_dumps_in_ms_and_micros() {
    let (d, lake) = lake_dir();
    // December 2024 in ms, January 2025 in µs, as data.binance.vision serves them.
    let dec31 = 1_735_603_200_000;
    let a = write(d.path(), "BTCUSDT-1h-2024-12.csv", &binance_dump(&bars(dec31, 24), false));
    let b = write(d.path(), "BTCUSDT-1h-2025-01.csv", &binance_dump(&bars(dec31 + 24 * HOUR, 24), true));
    qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&a), s(&b)]).success();
    let out = qm(
        &lake,
        &[
            "sql",
            "SELECT count(*) AS n, CAST(min(open_time) AS BIGINT) AS first, CAST(max(open_time) AS BIGINT) AS last, \
             CAST(max(close_time) AS BIGINT) AS last_close, sum(trades) AS trades, count(taker_buy_quote) AS tbq \
             FROM ohlcv WHERE symbol = 'BTCUSDT'",
            "--format",
            "json",
        ],
    )
    .success()
    .stdout_text();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = &v[0];
    assert_eq!(row["n"], 48);
    assert_eq!(row["first"], dec31);
    assert_eq!(row["last"], dec31 + 47 * HOUR);
    assert_eq!(row["last_close"], dec31 + 48 * HOUR - 1);
    // trades were 100..123 in each file.
    assert_eq!(row["trades"], 2 * (100..124).sum::<i64>());
    assert_eq!(row["tbq"], 48);
}

#[test]
fn import_summary_table_and_gaps() {
    let (d, lake) = lake_dir();
    let mut rows = bars(JAN1_2024, 10);
    rows.drain(3..6); // three missing hours
    let a = write(d.path(), "gappy.csv", &csv_ms(&rows));
    let r = qm(&lake, &["import", "--symbol", "ETHUSDT", "--interval", "1h", "--format", "csv", s(&a)]).success();
    assert!(r.stderr.contains("1 gap (3 missing `1h` bars"), "{}", r.stderr);
    let table = csv_rows(&r.stdout_text());
    assert_eq!(table[0][..4], ["symbol", "interval", "files", "rows"]);
    assert_eq!(table[1][..4], ["ETHUSDT", "1h", "1", "7"]);
}

// ---------- import: validation leaves the lake unchanged ----------

/// Import `bad` (after a valid file) into a lake that already holds candles and expect a
/// failure naming the file, the row and the value, with the lake's bytes untouched.
fn rejects(name: &str, text: &str, row: usize, needle: &str) {
    let (d, lake) = lake_dir();
    let seed = write(d.path(), "seed.csv", &csv_ms(&bars(JAN1_2024 - 10 * HOUR, 10)));
    qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&seed)]).success();
    let before = snapshot(&lake);
    assert!(!before.is_empty());

    let good = write(d.path(), "good.csv", &csv_ms(&bars(JAN1_2024, 5)));
    let bad = write(d.path(), name, text);
    let r = qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&good), s(&bad)]).failure();
    let want = format!("`{}` row {row}: ", bad.display());
    assert!(r.stderr.contains(&want), "expected `{want}` in: {}", r.stderr);
    assert!(r.stderr.contains(needle), "expected `{needle}` in: {}", r.stderr);
    assert_eq!(snapshot(&lake), before, "a rejected import changed the lake");
}

fn bad_csv(edit: impl Fn(&mut Vec<Bar>)) -> String {
    let mut rows = bars(JAN1_2024 + 5 * HOUR, 6);
    edit(&mut rows);
    csv_ms(&rows)
}

#[test]
fn rejects_duplicate_time() {
    rejects("dup.csv", &bad_csv(|b| b[3].t = b[2].t), 4, "duplicate open_time `2024-01-01T07:00:00Z`");
}

#[test]
fn rejects_unordered_time() {
    rejects("unordered.csv", &bad_csv(|b| b.swap(1, 2)), 3, "is before row 2's");
}

#[test]
fn rejects_nan_price() {
    rejects("nan.csv", &bad_csv(|b| b[4].close = f64::NAN), 5, "`close` is `NaN`");
}

#[test]
fn rejects_negative_price() {
    rejects("neg.csv", &bad_csv(|b| b[0].low = -3.0), 1, "`low` is `-3`");
}

#[test]
fn rejects_high_below_low() {
    rejects("hl.csv", &bad_csv(|b| b[5].high = b[5].low - 1.0), 6, "`high` `102.5` is below `low` `103.5`");
}

#[test]
fn rejects_open_outside_range() {
    rejects("open.csv", &bad_csv(|b| b[2].open = b[2].high + 1.0), 3, "`open` `105` is outside");
}

#[test]
fn rejects_non_finite_volume() {
    rejects("vol.csv", &bad_csv(|b| b[1].volume = f64::INFINITY), 2, "`volume` is `inf`");
}

#[test]
fn rejects_files_out_of_order_and_bad_cells() {
    // The second file starts before the first one ends.
    rejects("early.csv", &csv_ms(&bars(JAN1_2024 + 2 * HOUR, 3)), 1, "the last row of");
    let text = "1704085200000,1,2,0.5,1,5,0,0,0,0,0,0\n1704088800000,1,2,x,1,5,0,0,0,0,0,0\n";
    rejects("cells.csv", text, 2, "`low` value `x` is not a number");
    let wrong_interval = csv_ms(&bars(JAN1_2024 + 5 * HOUR, 3)).replace("1704088800000", "1704085260000");
    rejects("minutes.csv", &wrong_interval, 2, "`1h` bars are at least 3600000 ms apart");
}

#[test]
fn rejects_bad_arguments_before_reading() {
    let (d, lake) = lake_dir();
    let f = write(d.path(), "x.csv", &csv_ms(&bars(JAN1_2024, 2)));
    let r = qm(&lake, &["import", "--symbol", "btc", "--interval", "1h", s(&f)]).failure();
    assert!(r.stderr.contains("`btc`"), "{}", r.stderr);
    let r = qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "7m", s(&f)]);
    assert!(!r.ok && r.stderr.contains("7m"), "{}", r.stderr);
    let r = qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", "/nonexistent/x.csv"]).failure();
    assert!(r.stderr.contains("cannot read `/nonexistent/x.csv`"), "{}", r.stderr);
    assert!(snapshot(&lake).is_empty());
}

// ---------- synth ----------

#[test]
fn synth_is_deterministic() {
    let d = tempfile::tempdir().unwrap();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    let args = |seed: &str| ["data", "synth", "--symbols", "AAAUSDT,BBBUSDT", "--interval", "1h", "--bars", "3000", "--seed", seed].map(String::from);
    for (lake, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let argv = args(seed);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let r = qm(lake, &argv).success();
        assert!(r.stderr.contains("synth `AAAUSDT` `1h`: 3000 bars"), "{}", r.stderr);
    }
    let (sa, sb, sc) = (snapshot(&a), snapshot(&b), snapshot(&c));
    assert_eq!(sa.len(), 2);
    assert_eq!(sa, sb, "same seed gave different files");
    assert_ne!(sa, sc, "a different seed gave the same files");

    let v: Vec<Vec<u8>> = sa.into_values().collect();
    assert_ne!(v[0], v[1], "two symbols got the same series");
    // Default series end at the fixed reference date, on hour boundaries.
    assert_eq!(scalar(&a, "SELECT CAST(max(open_time) AS BIGINT) FROM ohlcv"), "1735686000000");
    let bad = "SELECT count(*) FROM ohlcv WHERE low > open OR low > close OR high < open OR high < close \
               OR low <= 0 OR volume <= 0 OR CAST(open_time AS BIGINT) % 3600000 <> 0";
    assert_eq!(scalar(&a, bad), "0");
    assert_eq!(scalar(&a, "SELECT count(*) FROM ohlcv"), "6000");
}

#[test]
fn synth_start_and_rerun_replace() {
    let (_d, lake) = lake_dir();
    let args = ["data", "synth", "--symbols", "SYNUSDT", "--interval", "4h", "--bars", "50", "--start", "2024-03-01"];
    qm(&lake, &args).success();
    let first = snapshot(&lake);
    qm(&lake, &args).success();
    assert_eq!(snapshot(&lake), first, "rerunning synth changed the lake");
    let start = scalar(&lake, "SELECT CAST(min(open_time) AS BIGINT) FROM ohlcv WHERE timeframe = '4h'");
    assert_eq!(start, "1709251200000");
    let r = qm(&lake, &["data", "synth", "--symbols", "SYNUSDT", "--bars", "0"]).failure();
    assert!(r.stderr.contains("`0`"), "{}", r.stderr);
}

// ---------- sql ----------

fn two_symbol_lake() -> (tempfile::TempDir, std::path::PathBuf) {
    let (d, lake) = lake_dir();
    qm(&lake, &["data", "synth", "--symbols", "BTCUSDT,ETHUSDT", "--interval", "1h", "--bars", "100", "--seed", "1"]).success();
    qm(&lake, &["data", "synth", "--symbols", "BTCUSDT", "--interval", "4h", "--bars", "30", "--seed", "1"]).success();
    (d, lake)
}

#[test]
fn sql_every_format() {
    let (d, lake) = two_symbol_lake();
    let q = "SELECT symbol, timeframe, count(*) AS n FROM ohlcv GROUP BY symbol, timeframe ORDER BY symbol, timeframe";

    let table = qm(&lake, &["sql", q]).success().stdout_text();
    assert!(table.contains("| symbol  | timeframe | n   |"), "{table}");
    assert!(table.contains("| BTCUSDT | 4h        | 30  |"), "{table}");

    let csv = qm(&lake, &["sql", q, "--format", "csv"]).success().stdout_text();
    assert_eq!(csv, "symbol,timeframe,n\nBTCUSDT,1h,100\nBTCUSDT,4h,30\nETHUSDT,1h,100\n");

    let json = qm(&lake, &["sql", q, "--format", "json"]).success().stdout_text();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[2]["symbol"], "ETHUSDT");
    assert_eq!(v[1]["n"], 30);

    let out = d.path().join("out.parquet");
    let r = qm(&lake, &["sql", q, "--format", "parquet", "--output", s(&out)]).success();
    assert!(r.stdout.is_empty());
    let back = read_parquet(&out);
    assert_eq!(i64_column(&back, "n"), vec![100, 30, 100]);

    let out_csv = d.path().join("sub/out.csv");
    qm(&lake, &["sql", q, "--format", "csv", "--output", s(&out_csv)]).success();
    assert_eq!(std::fs::read_to_string(&out_csv).unwrap(), csv);
}

#[test]
fn sql_partition_filters_prune_files() {
    let (_d, lake) = two_symbol_lake();
    let n = scalar(&lake, "SELECT count(*) FROM ohlcv WHERE symbol = 'BTCUSDT' AND timeframe = '4h'");
    assert_eq!(n, "30");
    let plan = qm(
        &lake,
        &["sql", "EXPLAIN SELECT sum(close) FROM ohlcv WHERE symbol = 'ETHUSDT' AND timeframe = '1h'", "--format", "csv"],
    )
    .success()
    .stdout_text();
    assert!(plan.contains("symbol=ETHUSDT/timeframe=1h/data.parquet"), "{plan}");
    assert!(!plan.contains("symbol=BTCUSDT"), "BTCUSDT files were not pruned:\n{plan}");
}

#[test]
fn sql_errors_are_plain_and_fail() {
    let (_d, lake) = two_symbol_lake();
    let r = qm(&lake, &["sql", "SELEC * FROM ohlcv"]).failure();
    assert!(r.stderr.contains("SELEC"), "{}", r.stderr);
    assert!(!r.stderr.contains("backtrace"), "{}", r.stderr);
    let r = qm(&lake, &["sql", "SELECT nope FROM ohlcv"]).failure();
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
    let r = qm(&lake, &["sql", "SELECT * FROM candles"]).failure();
    assert!(r.stderr.contains("candles") && r.stderr.contains("hint: tables present: `ohlcv`"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let (_e, empty) = lake_dir();
    let r = qm(&empty, &["sql", "SELECT * FROM ohlcv"]).failure();
    assert!(r.stderr.contains("no tables yet"), "{}", r.stderr);
    assert_eq!(scalar(&empty, "SELECT 40 + 2"), "42");
}

#[test]
fn sql_file_with_several_statements() {
    let (d, lake) = two_symbol_lake();
    let f = write(
        d.path(),
        "report.sql",
        "-- hourly candles only; ';' inside strings is not a separator\n\
         CREATE VIEW hourly AS SELECT * FROM ohlcv WHERE timeframe = '1h';\n\
         SELECT count(*) AS n FROM hourly;\n\
         SELECT symbol, ';' AS sep FROM hourly GROUP BY symbol ORDER BY symbol;\n",
    );
    let out = qm(&lake, &["sql", "-f", s(&f), "--format", "csv"]).success().stdout_text();
    assert_eq!(out, "n\n200\n\nsymbol,sep\nBTCUSDT,;\nETHUSDT,;\n");

    let table = qm(&lake, &["sql", "-f", s(&f)]).success().stdout_text();
    assert_eq!(table.lines().filter(|l| l.starts_with('+')).count(), 6, "{table}");

    // With --output only the last result is written; the view still exists for it.
    let out = d.path().join("last.json");
    qm(&lake, &["sql", "-f", s(&f), "--format", "json", "--output", s(&out)]).success();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);

    let r = qm_stdin(&lake, &["sql", "-f", "-", "--format", "csv"], "SELECT 1 AS a; SELECT 2 AS b");
    assert_eq!(r.success().stdout_text(), "a\n1\n\nb\n2\n");

    let bad = write(d.path(), "bad.sql", "SELECT 1;\nSELECT * FROM missing;");
    let r = qm(&lake, &["sql", "-f", s(&bad), "--format", "csv"]).failure();
    assert!(r.stderr.contains("missing"), "{}", r.stderr);
}

#[test]
fn sql_lists_tables() {
    let (_d, lake) = two_symbol_lake();
    let out = qm(&lake, &["sql", "--tables", "--format", "json"]).success().stdout_text();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let find = |c: &str| rows.iter().find(|r| r["column"] == c).unwrap_or_else(|| panic!("no `{c}` in {out}")).clone();
    assert_eq!(find("open_time")["table"], "ohlcv");
    assert_eq!(find("open_time")["partition"], false);
    assert!(find("open_time")["data_type"].as_str().unwrap().starts_with("Timestamp"), "{out}");
    assert_eq!(find("trades")["partition"], false);
    assert_eq!(find("symbol")["partition"], true);
    assert_eq!(find("timeframe")["partition"], true);
    assert_eq!(find("timeframe")["data_type"], "Utf8");
    assert_eq!(rows.len(), 13, "{out}");
    let table = qm(&lake, &["sql", "--tables"]).success().stdout_text();
    assert!(table.contains("| ohlcv | symbol "), "{table}");
}

// ---------- sqllogictest-style files ----------

/// One block of a `.slt` file.
enum Block {
    Statement { sql: String, error: Option<String> },
    Query { sql: String, expected: Vec<String>, line: usize },
}

fn parse_slt(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let head = lines[i].trim();
        i += 1;
        if head.is_empty() || head.starts_with('#') {
            continue;
        }
        let start = i;
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim() != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        let sql = sql.join("\n");
        if head == "query" {
            assert_eq!(lines.get(i).map(|l| l.trim()), Some("----"), "line {start}: query without `----`");
            i += 1;
            let mut expected = Vec::new();
            while i < lines.len() && !lines[i].trim().is_empty() {
                expected.push(lines[i].to_string());
                i += 1;
            }
            blocks.push(Block::Query { sql, expected, line: start });
        } else if head == "statement ok" {
            blocks.push(Block::Statement { sql, error: None });
        } else if let Some(msg) = head.strip_prefix("statement error ") {
            blocks.push(Block::Statement { sql, error: Some(msg.to_string()) });
        } else {
            panic!("line {start}: unknown block `{head}`");
        }
    }
    blocks
}

/// Render blocks back to text with fresh query results (for `QM_SLT_COMPLETE=1`).
fn render_slt(original: &str, results: &[(usize, Vec<String>)]) -> String {
    let lines: Vec<&str> = original.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        out.push(lines[i].to_string());
        if let Some((_, rows)) = results.iter().find(|(l, _)| *l == i + 1) {
            // Copy the SQL and `----`, then replace the old result.
            i += 1;
            while lines[i].trim() != "----" {
                out.push(lines[i].to_string());
                i += 1;
            }
            out.push("----".to_string());
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() {
                i += 1;
            }
            out.extend(rows.iter().cloned());
            continue;
        }
        i += 1;
    }
    out.join("\n") + "\n"
}

#[test]
fn sql_logic_files() {
    let (d, lake) = lake_dir();
    let btc = write(d.path(), "btc.csv", &csv_ms(&bars(JAN1_2024, 48)));
    let eth = write(d.path(), "eth.csv", &csv_ms(&bars(JAN1_2024, 24)));
    qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&btc)]).success();
    qm(&lake, &["import", "--symbol", "ETHUSDT", "--interval", "1h", s(&eth)]).success();
    let complete = std::env::var("QM_SLT_COMPLETE").is_ok_and(|v| v == "1");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "slt"));
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut setup = String::new();
        let mut results = Vec::new();
        let mut failures = Vec::new();
        for block in parse_slt(&text) {
            match block {
                Block::Statement { sql, error: None } => setup.push_str(&format!("{sql};\n")),
                Block::Statement { sql, error: Some(msg) } => {
                    let f = write(d.path(), "stmt.sql", &format!("{setup}{sql};\n"));
                    let r = qm(&lake, &["sql", "-f", s(&f)]);
                    if r.ok || !r.stderr.contains(&msg) {
                        failures.push(format!("`{sql}`: expected an error with `{msg}`, got: {}", r.stderr));
                    }
                }
                Block::Query { sql, expected, line } => {
                    let f = write(d.path(), "query.sql", &format!("{setup}{sql};\n"));
                    let out = d.path().join("query.csv");
                    let r = qm(&lake, &["sql", "-f", s(&f), "--format", "csv", "--output", s(&out)]);
                    let got: Vec<String> = if r.ok {
                        std::fs::read_to_string(&out).unwrap().lines().map(str::to_string).collect()
                    } else {
                        vec![format!("error: {}", r.stderr.trim())]
                    };
                    if got != expected {
                        failures.push(format!("{}:{line}\n{sql}\nexpected:\n{}\ngot:\n{}", file.display(), expected.join("\n"), got.join("\n")));
                    }
                    results.push((line, got));
                }
            }
        }
        if complete {
            std::fs::write(&file, render_slt(&text, &results)).unwrap();
        } else {
            assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        }
    }
}
