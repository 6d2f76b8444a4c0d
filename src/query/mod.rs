//! SQL over the lake with DataFusion: table discovery, the session builder and statement runs.

pub mod catalog;
pub mod duckdb;
pub mod functions;
pub mod run;
pub mod session;

use std::path::PathBuf;

pub use catalog::{discover_tables, LakeTable};
pub use duckdb::{write_catalog, CATALOG_FILE};
pub use run::{execute, parse_statements, run_sql, table_names, StatementResult};
pub use session::{register_table, session_for_lake};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("cannot read lake directory `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("lake path `{}` contains glob characters (`*`, `?`, `[`); allowed: plain directory names", path.display())]
    GlobInPath { path: PathBuf },
    #[error("cannot register lake table `{table}`: {}", error.strip_backtrace())]
    Table { table: String, error: datafusion::error::DataFusionError },
    #[error("{message}\nhint: {hint}")]
    UnknownTable { message: String, hint: String },
    #[error("{}", .0.strip_backtrace())]
    DataFusion(datafusion::error::DataFusionError),
    #[error("cannot write the duckdb catalog `{}`: {source}", path.display())]
    DuckDb {
        path: PathBuf,
        #[source]
        source: ::duckdb::Error,
    },
    #[error("duckdb cannot read lake table `{table}`: {source}")]
    DuckDbTable {
        table: String,
        #[source]
        source: ::duckdb::Error,
    },
}

#[cfg(test)]
mod tests;
