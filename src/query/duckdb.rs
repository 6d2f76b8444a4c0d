//! The DuckDB catalog of the lake: `<lake>/qm.duckdb` holds one view per lake table over its
//! Parquet files, with the same table and column names as `qm sql`, so notebooks and the
//! DuckDB CLI query the lake without copying it.
//!
//! The views read the files by *absolute* glob (`/abs/lake/mega/symbol=*/timeframe=*/run=*/[!._]*.parquet`),
//! so `duckdb data/lake/qm.duckdb` or `duckdb.connect("data/lake/qm.duckdb", read_only=True)`
//! works from any directory in one step. Every `qm catalog` and `qm pipeline run` rewrites
//! the file, so a moved lake is fixed by running `qm catalog` once where it now lives.

use std::path::{Path, PathBuf};

use super::catalog::{discover_tables, LakeTable};
use super::QueryError;

/// The catalog's file name inside the lake root.
pub const CATALOG_FILE: &str = "qm.duckdb";

/// Only visible Parquet files, as `qm sql` reads them (temp `.x` and marker `_x` files skipped).
const FILE_GLOB: &str = "[!._]*.parquet";

/// One view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogView {
    pub name: String,
    /// The glob, relative to the lake root (the view reads it under the root's absolute path).
    pub source: String,
    pub partitions: Vec<String>,
    pub files: usize,
}

/// `'text'` as a SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `"name"` as a SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The relative glob of a table's data files: one `key=*` level per partition key.
pub fn table_glob(table: &LakeTable) -> String {
    let mut parts = vec![table.name.clone()];
    parts.extend(table.partitions.iter().map(|k| format!("{k}=*")));
    parts.push(FILE_GLOB.to_string());
    parts.join("/")
}

/// The `CREATE VIEW` statement of one table under the (absolute) lake `root`: data columns
/// first, then the partition columns in directory order, all partition values as text (as
/// in `qm sql`).
pub fn view_sql(root: &Path, table: &LakeTable) -> String {
    let glob = literal(&format!("{}/{}", root.to_string_lossy().trim_end_matches('/'), table_glob(table)));
    let name = ident(&table.name);
    if table.partitions.is_empty() {
        return format!("CREATE VIEW {name} AS SELECT * FROM read_parquet({glob}, hive_partitioning = false, union_by_name = true)");
    }
    let keys: Vec<String> = table.partitions.iter().map(|k| ident(k)).collect();
    let keys = keys.join(", ");
    format!(
        "CREATE VIEW {name} AS SELECT * EXCLUDE ({keys}), {keys} FROM read_parquet({glob}, \
         hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
    )
}

/// Names unusable in a glob (glob characters; quotes are escaped instead), in the root
/// path or in a table's names.
fn check_name(root: &Path, table: &LakeTable) -> Result<(), QueryError> {
    let root_text = root.to_string_lossy();
    let all = std::iter::once(root_text.as_ref()).chain(std::iter::once(table.name.as_str())).chain(table.partitions.iter().map(String::as_str));
    if all.into_iter().any(|s| s.contains(['*', '?', '[', ']', '{', '}'])) {
        return Err(QueryError::GlobInPath { path: root.join(&table.name) });
    }
    Ok(())
}

/// Write `<lake_root>/qm.duckdb` with one view per lake table, atomically: the database is
/// built in a hidden temp file next to it and renamed over the old one, so readers see
/// either the old or the new catalog. Returns the catalog's path.
pub fn write_catalog(lake_root: &Path) -> Result<PathBuf, QueryError> {
    write_catalog_views(lake_root).map(|(path, _)| path)
}

/// [`write_catalog`], also returning the views written.
pub fn write_catalog_views(lake_root: &Path) -> Result<(PathBuf, Vec<CatalogView>), QueryError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| QueryError::Io { path, source }
    };
    std::fs::create_dir_all(lake_root).map_err(io(lake_root))?;
    let root = std::path::absolute(lake_root).map_err(io(lake_root))?;
    let tables = discover_tables(&root)?;
    for t in &tables {
        check_name(&root, t)?;
    }
    let target = root.join(CATALOG_FILE);
    let tmp = root.join(format!(".{CATALOG_FILE}.{}.tmp", std::process::id()));
    remove_if_exists(&tmp)?;
    let result = build(&root, &tmp, &tables);
    let views = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = remove_if_exists(&tmp);
            let _ = remove_if_exists(&wal(&tmp));
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &target).map_err(io(&target))?;
    // A WAL of an older catalog would be replayed into the new file.
    remove_if_exists(&wal(&target))?;
    Ok((target, views))
}

fn wal(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

fn remove_if_exists(p: &Path) -> Result<(), QueryError> {
    match std::fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(QueryError::Io { path: p.to_path_buf(), source: e }),
        _ => Ok(()),
    }
}

/// Create the database at `tmp` and its views; the views are bound (and so checked against
/// the files) as they are created.
fn build(root: &Path, tmp: &Path, tables: &[LakeTable]) -> Result<Vec<CatalogView>, QueryError> {
    let db_err = |source| QueryError::DuckDb { path: tmp.to_path_buf(), source };
    let conn = ::duckdb::Connection::open(tmp).map_err(db_err)?;
    let mut views = Vec::with_capacity(tables.len());
    for t in tables {
        conn.execute_batch(&view_sql(root, t))
            .map_err(|source| QueryError::DuckDbTable { table: t.name.clone(), source })?;
        views.push(CatalogView { name: t.name.clone(), source: table_glob(t), partitions: t.partitions.clone(), files: t.files });
    }
    conn.execute_batch("CHECKPOINT").map_err(db_err)?;
    conn.close().map_err(|(_, source)| db_err(source))?;
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, keys: &[&str]) -> LakeTable {
        LakeTable { name: name.into(), dir: PathBuf::from(name), partitions: keys.iter().map(|k| k.to_string()).collect(), files: 1 }
    }

    #[test]
    fn views_are_absolute_and_keep_qm_sql_column_order() {
        let t = table("mega", &["symbol", "timeframe", "run"]);
        assert_eq!(table_glob(&t), "mega/symbol=*/timeframe=*/run=*/[!._]*.parquet");
        let sql = view_sql(Path::new("/l/lake"), &t);
        assert!(sql.starts_with("CREATE VIEW \"mega\" AS SELECT * EXCLUDE (\"symbol\", \"timeframe\", \"run\"), \"symbol\", \"timeframe\", \"run\" FROM read_parquet('/l/lake/mega/symbol=*/"), "{sql}");
        assert!(sql.contains("hive_types_autocast = false"), "{sql}");
        let plain = view_sql(Path::new("/o'k/"), &table("it's", &[]));
        assert!(plain.contains("\"it's\"") && plain.contains("'/o''k/it''s/[!._]*.parquet'"), "{plain}");
    }

    fn write_parquet(path: &Path, values: &[i64]) {
        use arrow::array::Int64Array;
        use arrow::datatypes::{DataType, Field, Schema};
        use arrow::record_batch::RecordBatch;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let schema = std::sync::Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(Int64Array::from(values.to_vec()))]).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn count(conn: &::duckdb::Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn writes_views_that_read_the_lake_from_anywhere() {
        let d = tempfile::tempdir().unwrap();
        let lake = d.path().join("lake");
        write_parquet(&lake.join("t/symbol=A/run=r1/part-0.parquet"), &[1, 2, 3]);
        write_parquet(&lake.join("t/symbol=B/run=r1/part-0.parquet"), &[4]);
        write_parquet(&lake.join("t/symbol=B/run=r1/.part-0.parquet"), &[99]);
        write_parquet(&lake.join("plain/data.parquet"), &[7, 8]);
        let (path, views) = write_catalog_views(&lake).unwrap();
        assert_eq!(path, std::path::absolute(lake.join(CATALOG_FILE)).unwrap());
        assert_eq!(views.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["plain", "t"]);
        let conn = ::duckdb::Connection::open(&path).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM t"), 4);
        assert_eq!(count(&conn, "SELECT sum(x) FROM t WHERE symbol = 'B'"), 4);
        assert_eq!(count(&conn, "SELECT count(*) FROM plain"), 2);
        let cols: Vec<String> = conn
            .prepare("SELECT column_name FROM (DESCRIBE t)")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(cols, ["x", "symbol", "run"]);
        drop(conn);
        // Rewriting replaces the file; no temp files stay behind.
        write_catalog(&lake).unwrap();
        let names: Vec<String> =
            std::fs::read_dir(&lake).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp") && !n.ends_with(".wal")), "{names:?}");
    }

    #[test]
    fn an_empty_lake_gets_an_empty_catalog() {
        let d = tempfile::tempdir().unwrap();
        let (path, views) = write_catalog_views(&d.path().join("new")).unwrap();
        assert!(views.is_empty() && path.is_file());
    }
}
