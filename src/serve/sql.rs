//! Building SQL from request values without interpolating them: identifiers are checked
//! against the table's schema and quoted, values become escaped literals.

use arrow::record_batch::RecordBatch;
use datafusion::execution::context::SessionContext;
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};

/// `"name"` for a column of `columns`; anything else is a 400 naming `field`.
pub fn column(columns: &[String], name: &str, field: &str) -> ApiResult<String> {
    if columns.iter().any(|c| c == name) {
        Ok(quote_ident(name))
    } else {
        Err(ApiError::invalid(field, format!("`{}` is not a column; allowed: {}", super::params::clip(name), columns.join(", "))))
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL text literal.
pub fn text(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// A SQL number literal of a finite value.
pub fn number(v: f64) -> String {
    debug_assert!(v.is_finite());
    // Rust's `Display` for f64 never uses an exponent, which SQL parsers all accept.
    format!("{v}")
}

/// Conditions joined with AND (`TRUE` when there are none).
#[derive(Debug, Default)]
pub struct Where(Vec<String>);

impl Where {
    pub fn eq_text(&mut self, col: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.0.push(format!("{} = {}", quote_ident(col), text(v)));
        }
    }

    pub fn at_least(&mut self, col: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.0.push(format!("{} >= {}", quote_ident(col), number(v)));
        }
    }

    pub fn sql(&self) -> String {
        if self.0.is_empty() {
            "TRUE".into()
        } else {
            self.0.join(" AND ")
        }
    }
}

/// The column names of a registered table (only the sortable ones, not lists, when
/// `scalar_only`), or 404 naming the table.
pub async fn table_columns(ctx: &SessionContext, table: &str) -> ApiResult<Vec<String>> {
    columns_of(ctx, table, |_| true).await
}

pub async fn scalar_columns(ctx: &SessionContext, table: &str) -> ApiResult<Vec<String>> {
    columns_of(ctx, table, |t| !t.is_nested()).await
}

/// Columns a mean can be taken of.
pub async fn numeric_columns(ctx: &SessionContext, table: &str) -> ApiResult<Vec<String>> {
    columns_of(ctx, table, |t| t.is_numeric()).await
}

async fn columns_of(ctx: &SessionContext, table: &str, keep: fn(&arrow::datatypes::DataType) -> bool) -> ApiResult<Vec<String>> {
    let provider = ctx.table_provider(table).await.map_err(|_| {
        ApiError::not_found(
            Some("table"),
            format!("the lake has no `{table}` table yet; run a pipeline (`qm pipeline run pipelines/demo.toml` or POST /api/jobs/pipeline)"),
        )
    })?;
    Ok(provider
        .schema()
        .fields()
        .iter()
        .filter(|f| keep(f.data_type()))
        .map(|f| f.name().clone())
        .collect())
}

/// Run one query built by this module and return its rows as JSON objects.
pub async fn rows(ctx: &SessionContext, sql: &str) -> ApiResult<Vec<Map<String, Value>>> {
    let df = ctx.sql(sql).await.map_err(|e| ApiError::internal(format!("query failed: {}", e.strip_backtrace())))?;
    let batches = df.collect().await.map_err(|e| ApiError::internal(format!("query failed: {}", e.strip_backtrace())))?;
    batches_to_json(&batches)
}

/// Record batches as JSON objects (timestamps as RFC 3339 text, lists as arrays).
pub fn batches_to_json(batches: &[RecordBatch]) -> ApiResult<Vec<Map<String, Value>>> {
    let mut buf = Vec::new();
    {
        let mut w = arrow::json::writer::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow::json::writer::JsonArray>(&mut buf);
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        w.write_batches(&refs).map_err(ApiError::internal)?;
        w.finish().map_err(ApiError::internal)?;
    }
    if buf.is_empty() {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_slice(&buf).map_err(ApiError::internal)?;
    Ok(match v {
        Value::Array(items) => items.into_iter().filter_map(|i| if let Value::Object(m) = i { Some(m) } else { None }).collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped() {
        assert_eq!(text("a'b"), "'a''b'");
        assert_eq!(quote_ident("x\"y"), "\"x\"\"y\"");
        assert_eq!(number(1e-7), "0.0000001");
    }
}
