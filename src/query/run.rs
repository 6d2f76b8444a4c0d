//! Running SQL text: split into statements by DataFusion's parser, plan and collect each,
//! and explain unknown table names with the tables the session has.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};

use super::QueryError;

/// The rows one statement produced (statements such as `CREATE VIEW` have no columns).
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl StatementResult {
    /// Whether the statement returns a table at all (DDL does not).
    pub fn has_columns(&self) -> bool {
        !self.schema.fields().is_empty()
    }

    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Parse `sql` into its `;`-separated statements (comments and quoted `;` are handled by the
/// parser); empty text gives no statements.
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>, QueryError> {
    Ok(DFParser::parse_sql(sql).map_err(QueryError::DataFusion)?.into_iter().collect())
}

/// Plan and run one statement.
pub async fn execute(ctx: &SessionContext, statement: Statement) -> Result<StatementResult, QueryError> {
    let attempt = async {
        let plan = ctx.state().statement_to_plan(statement).await?;
        let df = ctx.execute_logical_plan(plan).await?;
        let schema = df.schema().inner().clone();
        let batches = df.collect().await?;
        Ok::<_, DataFusionError>(StatementResult { schema, batches })
    };
    attempt.await.map_err(|e| explain(ctx, e))
}

/// Run every statement of `sql`, returning each result.
pub async fn run_sql(ctx: &SessionContext, sql: &str) -> Result<Vec<StatementResult>, QueryError> {
    let mut out = Vec::new();
    for statement in parse_statements(sql)? {
        out.push(execute(ctx, statement).await?);
    }
    Ok(out)
}

/// The table names registered in the session's default schema, sorted.
pub fn table_names(ctx: &SessionContext) -> Vec<String> {
    let state = ctx.state();
    let opts = &state.config().options().catalog;
    let mut names = ctx
        .catalog(&opts.default_catalog)
        .and_then(|c| c.schema(&opts.default_schema))
        .map(|s| s.table_names())
        .unwrap_or_default();
    names.sort();
    names
}

/// Attach the list of tables to a "table not found" error; other errors pass through.
fn explain(ctx: &SessionContext, e: DataFusionError) -> QueryError {
    let message = e.strip_backtrace();
    if message.contains("table '") && message.contains("' not found") {
        let names = table_names(ctx);
        let hint = if names.is_empty() {
            "the lake has no tables yet; `qm fetch`, `qm import` or `qm data synth` create `ohlcv`".to_string()
        } else {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("tables present: {}", list.join(", "))
        };
        QueryError::UnknownTable { message, hint }
    } else {
        QueryError::DataFusion(e)
    }
}
