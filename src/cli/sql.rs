//! `qm sql`: run SQL over the lake's tables and print each result in one `--format`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::Globals;
use crate::output::{emit, Format};
use crate::query::{self, StatementResult};

#[derive(Debug, clap::Args)]
#[command(after_help = "Functions: `qm sql --functions` lists qm's window functions (`qm_signal`, `sma`, `ema`, \
`rsi`, `atr`, `bb_upper`, `bb_middle`, `bb_lower`) and the aggregate `qm_backtest`.\n\
Tables: every top-level lake directory holding Parquet files, named after it, \
with its `key=value` directory levels as columns (`ohlcv` has `symbol` and `timeframe`).\n\
With `--output` or `--format parquet` only the last statement's result is written; the statements \
before it run for their effects (views, settings).")]
pub struct SqlArgs {
    /// SQL to run; several statements are separated by `;`.
    #[arg(value_name = "QUERY", required_unless_present_any = ["file", "tables", "functions"], conflicts_with_all = ["file", "tables", "functions"])]
    pub query: Option<String>,
    /// Read the SQL from a file (`-` reads stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE.sql", conflicts_with_all = ["tables", "functions"])]
    pub file: Option<PathBuf>,
    /// List the tables with their columns and partition columns.
    #[arg(long, conflicts_with = "functions")]
    pub tables: bool,
    /// List qm's SQL functions (signals, indicators, backtest) with their arguments and an example.
    #[arg(long)]
    pub functions: bool,
    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the result to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: SqlArgs, g: &Globals) -> anyhow::Result<()> {
    let sql = match (&args.query, &args.file) {
        (Some(q), _) => Some(q.clone()),
        (None, Some(f)) if f.as_os_str() == "-" => {
            Some(std::io::read_to_string(std::io::stdin()).context("cannot read SQL from stdin")?)
        }
        (None, Some(f)) => Some(std::fs::read_to_string(f).with_context(|| format!("cannot read `{}`", f.display()))?),
        (None, None) => None,
    };
    if args.functions {
        return print(&args, &functions_listing()?);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let ctx = query::session_for_lake(&g.lake).await.map_err(plain)?;
        match sql {
            None => {
                let listing = tables_batch(&ctx, &g.lake).await?;
                print(&args, &listing)
            }
            Some(sql) => run_statements(&ctx, &sql, &args).await,
        }
    })
}

async fn run_statements(ctx: &datafusion::prelude::SessionContext, sql: &str, args: &SqlArgs) -> anyhow::Result<()> {
    let statements = query::parse_statements(sql).map_err(plain)?;
    if statements.is_empty() {
        anyhow::bail!("no SQL statements given; hint: `qm sql \"SELECT * FROM ohlcv LIMIT 5\"`");
    }
    let only_last = args.output.is_some() || args.format == Format::Parquet;
    let count = statements.len();
    let mut printed = 0;
    for (i, statement) in statements.into_iter().enumerate() {
        let result = query::execute(ctx, statement).await.map_err(plain)?;
        if only_last {
            if i + 1 == count {
                print(args, &result)?;
            }
            continue;
        }
        if !result.has_columns() {
            continue;
        }
        if printed > 0 && args.format != Format::Json {
            println!();
        }
        print(args, &result)?;
        printed += 1;
    }
    Ok(())
}

fn print(args: &SqlArgs, r: &StatementResult) -> anyhow::Result<()> {
    Ok(emit(&r.schema, &r.batches, args.format, args.output.as_deref())?)
}

/// DataFusion errors read best as their own text (their source chains repeat it).
fn plain(e: query::QueryError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// One row per qm SQL function: `name, kind, arguments, returns, description, example`.
fn functions_listing() -> anyhow::Result<StatementResult> {
    let docs = &query::functions::FUNCTIONS;
    let names = ["name", "kind", "arguments", "returns", "description", "example"];
    let schema = Arc::new(Schema::new(names.iter().map(|n| Field::new(*n, DataType::Utf8, false)).collect::<Vec<_>>()));
    let col = |f: fn(&query::functions::FunctionDoc) -> &'static str| -> ArrayRef {
        Arc::new(StringArray::from(docs.iter().map(f).collect::<Vec<_>>()))
    };
    let cols = vec![
        col(|d| d.name),
        col(|d| d.kind),
        col(|d| d.arguments),
        col(|d| d.returns),
        col(|d| d.description),
        col(|d| d.example),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    Ok(StatementResult { schema, batches: vec![batch] })
}

/// One row per column of every table: `table, column, data_type, partition`.
async fn tables_batch(ctx: &datafusion::prelude::SessionContext, root: &std::path::Path) -> anyhow::Result<StatementResult> {
    let found = query::discover_tables(root).map_err(plain)?;
    let (mut t, mut c, mut d, mut p) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for name in query::table_names(ctx) {
        let provider = ctx.table_provider(datafusion::common::TableReference::bare(name.as_str())).await?;
        let parts = found.iter().find(|f| f.name == name).map(|f| f.partitions.clone()).unwrap_or_default();
        for field in provider.schema().fields() {
            t.push(name.clone());
            c.push(field.name().clone());
            d.push(field.data_type().to_string());
            p.push(parts.contains(field.name()));
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("table", DataType::Utf8, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("data_type", DataType::Utf8, false),
        Field::new("partition", DataType::Boolean, false),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(t)),
        Arc::new(StringArray::from(c)),
        Arc::new(StringArray::from(d)),
        Arc::new(BooleanArray::from(p)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    Ok(StatementResult { schema, batches: vec![batch] })
}
