//! `qm catalog` end to end over the README's demo pipeline lake: the DuckDB catalog seen
//! from Python's duckdb (as notebooks use it) against `qm sql` on the same lake, the `sql/`
//! queries in both engines, atomic replacement, and the walk-forward notebook executed
//! headless over it.
//! Python with duckdb, pyarrow and jupyter (requirements-test.txt) is required: the tests
//! fail, not skip, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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

/// A copy of the README's demo pipeline lake (`ohlcv`, `mega`, `wf`, `wf_windows`, and the
/// `trades` and `equity` of the best results), built once per test binary, without its
/// catalog (each test writes its own).
fn demo_lake() -> (tempfile::TempDir, PathBuf) {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let src = BUILT.get_or_init(|| {
        python(repo(), "import duckdb, pyarrow, pandas, matplotlib", &[]);
        let lake = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-demo-lake");
        let _ = std::fs::remove_dir_all(&lake);
        let r = qm(&lake, &["--quiet", "pipeline", "run", s(&repo().join("pipelines/demo.toml"))]).success();
        assert!(r.stdout_text().contains("DEMOUSDT"), "{}", r.stdout_text());
        lake
    });
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    copy_dir(src, &lake);
    (d, lake)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst);
        } else if e.file_name() != "qm.duckdb" {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Every view of the catalog with its row count and columns, as JSON, read by Python's duckdb.
const DESCRIBE: &str = r#"
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
out = {}
for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall():
    n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    cols = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
    out[name] = {"rows": n, "columns": cols}
print(json.dumps(out))
"#;

/// [`DESCRIBE`] run in `cwd` with no settings: the catalog must open in one step.
fn describe(cwd: &Path, catalog: &Path) -> serde_json::Value {
    serde_json::from_str(&python(cwd, DESCRIBE, &[s(catalog)])).unwrap()
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
    let (_d, lake) = demo_lake();
    let r = qm(&lake, &["catalog", "--format", "json"]).success();
    assert!(r.stderr.contains("qm.duckdb with 6 views"), "{}", r.stderr);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&r.stdout_text()).unwrap();
    let mega = listed.iter().find(|v| v["view"] == "mega").unwrap();
    assert_eq!(mega["source"], "mega/symbol=*/timeframe=*/run=*/[!._]*.parquet");
    assert_eq!(mega["partitions"], "symbol, timeframe, run");

    let catalog = lake.join("qm.duckdb");
    // Opened by path from the repository root and from `/`, with no settings.
    let duck = describe(repo(), &catalog);
    assert_eq!(describe(Path::new("/"), &catalog), duck);
    let ours = qm_sql_tables(&lake);
    assert_eq!(duck, ours);
    let names: Vec<&String> = duck.as_object().unwrap().keys().collect();
    assert_eq!(names, ["equity", "mega", "ohlcv", "trades", "wf", "wf_windows"]);
    // Two synthetic coins of 3,000 bars; one recorded best result per coin.
    assert_eq!(duck["ohlcv"]["rows"], 6000);
    assert_eq!(duck["equity"]["rows"], 6000);
    assert!(duck["wf"]["rows"].as_u64().unwrap() > 1000, "{}", duck["wf"]);
    // Nothing but the catalog was added to the lake.
    let leftovers: Vec<_> = std::fs::read_dir(&lake).unwrap().flatten().map(|e| e.file_name()).filter(|n| n.to_string_lossy().contains(".tmp") || n.to_string_lossy().ends_with(".wal")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn pipeline_writes_the_catalog_and_a_moved_lake_needs_one_refresh() {
    let (d, lake) = demo_lake();
    let demo = repo().join("pipelines/demo.toml");
    let r = qm(&lake, &["pipeline", "run", s(&demo), "--format", "csv"]).success();
    assert!(r.stderr.contains("qm.duckdb"), "{}", r.stderr);
    let want = describe(repo(), &lake.join("qm.duckdb"));
    assert_eq!(want, qm_sql_tables(&lake));
    let moved = d.path().join("elsewhere");
    std::fs::rename(&lake, &moved).unwrap();
    qm(&moved, &["catalog"]).success();
    assert_eq!(describe(&moved, Path::new("qm.duckdb")), want);
    assert_eq!(describe(repo(), &moved.join("qm.duckdb")), want);
}

#[test]
fn catalog_is_replaced_atomically_or_not_at_all() {
    let (_d, lake) = demo_lake();
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
    let duck = describe(repo(), &catalog);
    assert!(duck["extra"]["rows"].as_u64().unwrap() > 200, "{duck}");
}

/// Run one SQL file in Python's duckdb over the catalog: header and rows as CSV.
const RUN_FILE: &str = r#"
import csv, duckdb, io, sys
con = duckdb.connect(sys.argv[1], read_only=True)
cur = con.execute(open(sys.argv[2]).read())
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow([d[0] for d in cur.description])
for row in cur.fetchall():
    w.writerow(row)
"#;

#[test]
fn sql_files_run_in_both_engines() {
    let (_d, lake) = demo_lake();
    qm(&lake, &["catalog"]).success();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("sql")).unwrap().flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "sql"));
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let ours = csv_rows(&qm(&lake, &["sql", "-f", s(&file), "--format", "csv"]).success().stdout_text());
        let duck = csv_rows(&python(repo(), RUN_FILE, &[s(&lake.join("qm.duckdb")), s(&file)]));
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
    let (d, lake) = demo_lake();
    qm(&lake, &["catalog"]).success();
    let out = d.path().join("executed.ipynb");
    let run = Command::new("python3")
        .args(["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300"])
        .arg(repo().join("notebooks/walkforward_explorer.ipynb"))
        .arg("--output")
        .arg(&out)
        .env("QM_LAKE", &lake)
        // The kernel's inline backend renders figures into the outputs (Agg would drop them).
        .env_remove("MPLBACKEND")
        .output()
        .expect("python3 runs");
    assert!(run.status.success(), "notebook failed:\n{}", String::from_utf8_lossy(&run.stderr));
    let nb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let outputs: Vec<&serde_json::Value> =
        nb["cells"].as_array().unwrap().iter().filter_map(|c| c["outputs"].as_array()).flatten().collect();
    assert!(outputs.iter().all(|o| o["output_type"] != "error"));
    let images = outputs.iter().filter(|o| o["data"]["image/png"].is_string()).count();
    assert!(images >= 6, "{images} figures");
    // nbformat stores stream text as a string or as a list of lines.
    let text: String = outputs
        .iter()
        .map(|o| match &o["text"] {
            serde_json::Value::String(t) => t.clone(),
            serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect(),
            _ => String::new(),
        })
        .collect();
    let wf_rows = qm(&lake, &["sql", "SELECT count(*) AS n FROM wf", "--format", "csv"]).success().stdout_text();
    let wf_rows = wf_rows.lines().nth(1).unwrap().to_string();
    assert!(text.contains(&format!("{wf_rows} walk-forward results")), "{wf_rows}: {text}");
    assert!(text.contains("3000 equity points"), "{text}");
}
