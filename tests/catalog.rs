//! `qm catalog` end to end: the DuckDB catalog seen from Python's duckdb (as notebooks use
//! it) against `qm sql` on the same lake, the `sql/` queries in both engines, atomic
//! replacement, and the walk-forward notebook executed headless over it.
//! Python with duckdb, pyarrow and jupyter (requirements-test.txt) is required: the tests
//! fail, not skip, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `python3 -c CODE ARGS...` in `cwd`; panics with its stderr if it fails.
fn python(cwd: &Path, code: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .current_dir(cwd)
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python3 runs (install Python 3 and requirements-test.txt)");
    assert!(
        out.status.success(),
        "python failed: {}\nhint: python3 -m pip install -r requirements-test.txt",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A lake with sweep-result tables (fixture script) and real BTC 1h candles.
fn result_lake() -> (tempfile::TempDir, PathBuf) {
    python(repo(), "import duckdb, pyarrow, numpy", &[]);
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    let script = repo().join("tests/fixtures/make_result_lake.py");
    let out = Command::new("python3").arg(&script).arg(&lake).output().expect("python3 runs");
    assert!(out.status.success(), "fixture script failed: {}", String::from_utf8_lossy(&out.stderr));
    qm(&lake, &["import", "--symbol", "BTCUSDT", "--interval", "1h", s(&reference_candles("BTC_USDT-1h.parquet"))]).success();
    (d, lake)
}

/// Every view of the catalog with its row count and columns, as JSON, read by Python's duckdb.
const DESCRIBE: &str = r#"
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
if len(sys.argv) > 2:
    con.execute("SET file_search_path = '" + sys.argv[2].replace("'", "''") + "'")
out = {}
for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall():
    n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    cols = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
    out[name] = {"rows": n, "columns": cols}
print(json.dumps(out))
"#;

fn describe(cwd: &Path, catalog: &Path, search: Option<&Path>) -> serde_json::Value {
    let mut args = vec![s(catalog)];
    if let Some(p) = search {
        args.push(s(p));
    }
    serde_json::from_str(&python(cwd, DESCRIBE, &args)).unwrap()
}

/// Row counts and column names of every table as `qm sql` sees them.
fn qm_sql_tables(lake: &Path) -> serde_json::Value {
    let out = qm(lake, &["sql", "--tables", "--format", "json"]).success().stdout_text();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut tables = serde_json::Map::new();
    for r in rows {
        let t = r["table"].as_str().unwrap().to_string();
        let entry = tables.entry(t.clone()).or_insert_with(|| {
            let n = qm(lake, &["sql", &format!("SELECT count(*) AS n FROM \"{t}\""), "--format", "json"]).success().stdout_text();
            let n: Vec<serde_json::Value> = serde_json::from_str(&n).unwrap();
            serde_json::json!({"rows": n[0]["n"], "columns": []})
        });
        entry["columns"].as_array_mut().unwrap().push(r["column"].clone());
    }
    serde_json::Value::Object(tables)
}

#[test]
fn catalog_views_match_qm_sql() {
    let (_d, lake) = result_lake();
    let r = qm(&lake, &["catalog", "--format", "json"]).success();
    assert!(r.stderr.contains("qm.duckdb with 5 views"), "{}", r.stderr);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&r.stdout_text()).unwrap();
    let mega = listed.iter().find(|v| v["view"] == "mega").unwrap();
    assert_eq!(mega["source"], "mega/symbol=*/timeframe=*/run=*/[!._]*.parquet");
    assert_eq!(mega["partitions"], "symbol, timeframe, run");

    let catalog = lake.join("qm.duckdb");
    let duck = describe(repo(), &catalog, Some(&lake));
    let ours = qm_sql_tables(&lake);
    assert_eq!(duck, ours);
    let names: Vec<&String> = duck.as_object().unwrap().keys().collect();
    assert_eq!(names, ["equity", "mega", "ohlcv", "wf", "wf_windows"]);
    assert_eq!(duck["wf_windows"]["rows"], 2430);
    assert_eq!(duck["ohlcv"]["rows"].as_u64().unwrap() as usize, read_parquet(&reference_candles("BTC_USDT-1h.parquet")).iter().map(|b| b.num_rows()).sum::<usize>());
    // Nothing but the catalog was added to the lake.
    let leftovers: Vec<_> = std::fs::read_dir(&lake).unwrap().flatten().map(|e| e.file_name()).filter(|n| n.to_string_lossy().contains(".tmp") || n.to_string_lossy().ends_with(".wal")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn catalog_survives_moving_the_lake() {
    let (d, lake) = result_lake();
    qm(&lake, &["catalog"]).success();
    let want = describe(repo(), &lake.join("qm.duckdb"), Some(&lake));
    let moved = d.path().join("elsewhere");
    std::fs::rename(&lake, &moved).unwrap();
    // From the lake root without any setting, and from anywhere with the search path.
    assert_eq!(describe(&moved, Path::new("qm.duckdb"), None), want);
    assert_eq!(describe(repo(), &moved.join("qm.duckdb"), Some(&moved)), want);
}

#[test]
fn catalog_is_replaced_atomically_or_not_at_all() {
    let (_d, lake) = result_lake();
    qm(&lake, &["catalog"]).success();
    let catalog = lake.join("qm.duckdb");
    let before = std::fs::read(&catalog).unwrap();
    std::fs::create_dir_all(lake.join("broken")).unwrap();
    std::fs::write(lake.join("broken/data.parquet"), b"not parquet").unwrap();
    let r = qm(&lake, &["catalog"]).failure();
    assert!(r.stderr.contains("`broken`"), "{}", r.stderr);
    assert_eq!(std::fs::read(&catalog).unwrap(), before, "a failed run changed the catalog");
    let names: Vec<String> = std::fs::read_dir(&lake).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
    // Fixed, the next run replaces it and sees the new table.
    std::fs::remove_dir_all(lake.join("broken")).unwrap();
    std::fs::create_dir_all(lake.join("extra")).unwrap();
    std::fs::copy(reference_candles("BTC_USDT-1d.parquet"), lake.join("extra/data.parquet")).unwrap();
    qm(&lake, &["catalog"]).success();
    let duck = describe(repo(), &catalog, Some(&lake));
    assert!(duck["extra"]["rows"].as_u64().unwrap() > 200, "{duck}");
}

/// Run one SQL file in Python's duckdb over the catalog: header and rows as CSV.
const RUN_FILE: &str = r#"
import csv, duckdb, io, sys
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET file_search_path = '" + sys.argv[2].replace("'", "''") + "'")
cur = con.execute(open(sys.argv[3]).read())
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow([d[0] for d in cur.description])
for row in cur.fetchall():
    w.writerow(row)
"#;

#[test]
fn sql_files_run_in_both_engines() {
    let (_d, lake) = result_lake();
    qm(&lake, &["catalog"]).success();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("sql")).unwrap().flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "sql"));
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let ours = csv_rows(&qm(&lake, &["sql", "-f", s(&file), "--format", "csv"]).success().stdout_text());
        let duck = csv_rows(&python(repo(), RUN_FILE, &[s(&lake.join("qm.duckdb")), s(&lake), s(&file)]));
        let name = file.file_name().unwrap().to_string_lossy();
        assert_eq!(ours[0], duck[0], "{name}: columns");
        assert_eq!(ours.len(), duck.len(), "{name}: rows");
        assert!(ours.len() > 1, "{name} returned nothing on the fixture lake");
        // The leading (key) columns agree row for row.
        for (a, b) in ours.iter().zip(&duck).skip(1) {
            assert_eq!(a[..2], b[..2], "{name}");
        }
    }
}

#[test]
fn walkforward_notebook_executes_headless() {
    let (d, lake) = result_lake();
    qm(&lake, &["catalog"]).success();
    let out = d.path().join("executed.ipynb");
    let run = Command::new("python3")
        .args(["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300"])
        .arg(repo().join("notebooks/walkforward_explorer.ipynb"))
        .arg("--output")
        .arg(&out)
        .env("QM_LAKE", &lake)
        .env("MPLBACKEND", "Agg")
        .output()
        .expect("python3 runs");
    assert!(run.status.success(), "notebook failed:\n{}", String::from_utf8_lossy(&run.stderr));
    let nb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let outputs: Vec<&serde_json::Value> =
        nb["cells"].as_array().unwrap().iter().filter_map(|c| c["outputs"].as_array()).flatten().collect();
    assert!(outputs.iter().all(|o| o["output_type"] != "error"));
    let images = outputs.iter().filter(|o| o["data"]["image/png"].is_string()).count();
    assert!(images >= 6, "{images} figures");
    let text: String = outputs.iter().filter_map(|o| o["text"].as_str()).collect();
    assert!(text.contains("486 walk-forward results") && text.contains("equity points"), "{text}");
}
