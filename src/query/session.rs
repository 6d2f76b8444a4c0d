//! The one place a DataFusion session over the lake is built: configuration, functions and
//! one listing table per lake table.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;

use super::catalog::{discover_tables, LakeTable};
use super::QueryError;

/// Only visible Parquet files: temp files (`.x`) and markers (`_x`) are skipped in every
/// directory that is not a `key=value` partition level.
const FILE_GLOB: &str = "[!._]*.parquet";

/// A session with every table of the lake at `root` registered under its directory name,
/// hive partition columns (Utf8) declared so `WHERE symbol = 'BTCUSDT'` prunes files.
/// Sweeps, the server and `qm sql` all start here; functions are registered here too.
pub async fn session_for_lake(root: &Path) -> Result<SessionContext, QueryError> {
    let config = SessionConfig::new().with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    super::functions::register(&ctx);
    for table in discover_tables(root)? {
        register_table(&ctx, &table).await?;
    }
    Ok(ctx)
}

/// Register one lake table as a listing table.
pub async fn register_table(ctx: &SessionContext, table: &LakeTable) -> Result<(), QueryError> {
    let dir = std::path::absolute(&table.dir).map_err(|source| QueryError::Io { path: table.dir.clone(), source })?;
    let dir_text = dir.to_string_lossy();
    // The glob is passed as text, so a directory whose name is itself a glob cannot be listed.
    if dir_text.contains(['*', '?', '[']) {
        return Err(QueryError::GlobInPath { path: dir.clone() });
    }
    let table_err = |error| QueryError::Table { table: table.name.clone(), error };
    let url = ListingTableUrl::parse(format!("{}/{FILE_GLOB}", dir_text.trim_end_matches('/'))).map_err(table_err)?;
    let state = ctx.state();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let file_schema = options.infer_schema(&state, &url).await.map_err(table_err)?;
    // A key that is also a data column stays a data column (its file values win).
    let partitions: Vec<(String, DataType)> = table
        .partitions
        .iter()
        .filter(|k| file_schema.field_with_name(k).is_err())
        .map(|k| (k.clone(), DataType::Utf8))
        .collect();
    let config = ListingTableConfig::new(url)
        .with_listing_options(options.with_table_partition_cols(partitions))
        .with_schema(file_schema);
    let provider = ListingTable::try_new(config).map_err(table_err)?;
    ctx.register_table(TableReference::bare(table.name.as_str()), Arc::new(provider)).map_err(table_err)?;
    Ok(())
}
