//! `qm catalog`: write `<lake>/qm.duckdb`, one DuckDB view per lake table, and list them.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::Globals;
use crate::output::{emit, Format};
use crate::query::duckdb::write_catalog_views;

#[derive(Debug, clap::Args)]
#[command(after_help = "The views read the lake's Parquet files by absolute glob \
(`<lake>/mega/symbol=*/timeframe=*/run=*/[!._]*.parquet`), so the catalog opens from anywhere in one step:\n  \
duckdb -readonly data/lake/qm.duckdb -c \"SELECT count(*) FROM mega\"\n  \
python3 -c \"import duckdb; print(duckdb.connect('data/lake/qm.duckdb', read_only=True).sql('FROM wf LIMIT 5'))\"\n\
`qm pipeline run` rewrites it after every run; after moving the lake, run `qm catalog` once where it now lives.")]
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
    Ok(emit(&schema, &[batch], args.format, None)?)
}
