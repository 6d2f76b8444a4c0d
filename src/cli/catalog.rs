//! `qm catalog`: write `<lake>/qm.duckdb`, one DuckDB view per lake table, and list them.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::Globals;
use crate::output::{emit, Format, OutputError};
use crate::query::duckdb::write_catalog_views;

#[derive(Debug, clap::Args)]
#[command(after_help = "The views read the lake's Parquet files through paths relative to the lake root \
(`mega/symbol=*/timeframe=*/run=*/[!._]*.parquet`), so the catalog survives moving the lake. Open it from \
the lake root, or set DuckDB's search path first:\n  \
duckdb -readonly /path/to/lake/qm.duckdb -c \"SET file_search_path = '/path/to/lake'; SELECT count(*) FROM mega\"\n\
Python: con = duckdb.connect('/path/to/lake/qm.duckdb', read_only=True); \
con.execute(\"SET file_search_path = '/path/to/lake'\")")]
pub struct CatalogArgs {
    /// How to print the list of views written.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(args: CatalogArgs, g: &Globals) -> anyhow::Result<()> {
    let (path, views) = write_catalog_views(&g.lake).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !g.quiet {
        eprintln!("wrote {} with {} views", path.display(), views.len());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("view", DataType::Utf8, false),
        Field::new("partitions", DataType::Utf8, false),
        Field::new("files", DataType::UInt64, false),
        Field::new("source", DataType::Utf8, false),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(views.iter().map(|v| v.name.clone()))),
        Arc::new(StringArray::from_iter_values(views.iter().map(|v| v.partitions.join(", ")))),
        Arc::new(UInt64Array::from_iter_values(views.iter().map(|v| v.files as u64))),
        Arc::new(StringArray::from_iter_values(views.iter().map(|v| v.source.clone()))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    emit(&schema, &[batch], args.format, None).map_err(|e| match e {
        // Keep the io::Error itself in the chain so `main` sees a closed pipe.
        OutputError::Io(io) => anyhow::Error::from(io),
        other => anyhow::Error::from(other),
    })
}
