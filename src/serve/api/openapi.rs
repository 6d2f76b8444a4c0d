//! `GET /api/openapi.json`: an OpenAPI 3.0 description generated from the route table below,
//! which lists every route the router serves (a test checks the two agree).

use crate::serve::json::Json;
use serde_json::{json, Map, Value};

/// One query parameter: name, JSON type, required, description.
type QueryParam = (&'static str, &'static str, bool, &'static str);

pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub query: &'static [QueryParam],
    /// Body fields: name, JSON type, required.
    pub body: &'static [(&'static str, &'static str, bool)],
    pub auth: bool,
}

const RESULT_QUERY: &[QueryParam] = &[
    ("symbol", "string", false, "symbol partition, e.g. BTCUSDT"),
    ("timeframe", "string", false, "interval partition, e.g. 1h"),
    ("strategy", "string", false, "strategy name"),
    ("run", "string", false, "run partition"),
    ("min_trades", "number", false, "minimum trades (mega) or mean OOS trades (wf)"),
    ("min_consistency", "number", false, "minimum consistency (wf only)"),
    ("sort", "string", false, "a scalar column of the table"),
    ("order", "string", false, "desc (default) or asc"),
    ("limit", "integer", false, "1..1000, default 50"),
    ("offset", "integer", false, ">= 0"),
];

pub const ROUTES: &[RouteDoc] = &[
    RouteDoc { method: "get", path: "/api/health", summary: "liveness and version", query: &[], body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/system", summary: "lake tables (files, bytes, runs), version, jobs", query: &[], body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/strategies", summary: "strategies, parameter schemas, grid sizes", query: &[], body: &[], auth: false },
    RouteDoc {
        method: "get",
        path: "/api/candles",
        summary: "newest candles of one series, column-wise",
        query: &[("symbol", "string", true, "e.g. BTCUSDT"), ("interval", "string", true, "e.g. 1h"), ("limit", "integer", false, "1..100000, default 1000")],
        body: &[],
        auth: false,
    },
    RouteDoc {
        method: "post",
        path: "/api/candles/fetch",
        summary: "fetch the newest closed candles the lake lacks from Binance (futures or spot) into the lake",
        query: &[],
        body: &[("symbol", "string", true), ("interval", "string", true), ("limit", "integer", false), ("market", "string", false)],
        auth: true,
    },
    RouteDoc {
        method: "post",
        path: "/api/backtest",
        summary: "backtest one strategy on lake candles (same numbers as `qm backtest`)",
        query: &[],
        body: &[
            ("symbol", "string", true), ("interval", "string", true), ("strategy", "string", true), ("params", "object", true),
            ("sl", "number", false), ("tp", "number", false), ("leverage", "number", false), ("capital", "number", false),
            ("commission", "number", false), ("slippage", "number", false), ("maintenance_margin", "number", false), ("limit", "integer", false),
        ],
        auth: true,
    },
    RouteDoc { method: "get", path: "/api/results/mega", summary: "ranked page of sweep results", query: RESULT_QUERY, body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/results/wf", summary: "ranked page of walk-forward results", query: RESULT_QUERY, body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/results/mega/best", summary: "best sweep row of each strategy", query: RESULT_QUERY, body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/results/wf/best", summary: "best walk-forward row of each strategy", query: RESULT_QUERY, body: &[], auth: false },
    RouteDoc {
        method: "get",
        path: "/api/wf/windows",
        summary: "the walk-forward windows of one combination-level",
        query: &[
            ("symbol", "string", true, ""), ("timeframe", "string", true, ""), ("run", "string", true, ""), ("strategy", "string", true, ""),
            ("combo", "integer", true, "grid position"), ("level", "integer", true, "SL/TP level"),
        ],
        body: &[],
        auth: false,
    },
    RouteDoc {
        method: "get",
        path: "/api/heatmap",
        summary: "mean of a metric over two parameters of one strategy",
        query: &[
            ("strategy", "string", true, ""), ("x", "string", false, "parameter name"), ("y", "string", false, "parameter name"),
            ("metric", "string", false, "numeric column, default oos_sharpe_mean"), ("table", "string", false, "wf (default) or mega"),
            ("symbol", "string", false, ""), ("timeframe", "string", false, ""), ("run", "string", false, ""),
        ],
        body: &[],
        auth: false,
    },
    RouteDoc {
        method: "post",
        path: "/api/jobs/pipeline",
        summary: "start a pipeline (a file of the pipelines directory or TOML text) as a background job",
        query: &[],
        body: &[("file", "string", false), ("toml", "string", false)],
        auth: true,
    },
    RouteDoc { method: "get", path: "/api/jobs", summary: "all jobs with progress", query: &[], body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/jobs/{id}", summary: "one job", query: &[], body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/bots", summary: "bots of the lake's journal (read-only)", query: &[], body: &[], auth: false },
    RouteDoc { method: "get", path: "/api/openapi.json", summary: "this document", query: &[], body: &[], auth: false },
];

fn error_response(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut params: Vec<Value> = r
            .query
            .iter()
            .map(|(name, ty, required, desc)| json!({ "name": name, "in": "query", "required": required, "description": desc, "schema": { "type": ty } }))
            .collect();
        if r.path.contains("{id}") {
            params.push(json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }));
        }
        let mut responses = Map::new();
        responses.insert("200".into(), json!({ "description": "success", "content": { "application/json": { "schema": { "type": "object" } } } }));
        responses.insert("400".into(), error_response("invalid input; `field` names it"));
        responses.insert("404".into(), error_response("not found"));
        let mut op = json!({ "summary": r.summary, "operationId": format!("{}{}", r.method, r.path.replace(['/', '{', '}', '.'], "_")), "parameters": params });
        if !r.body.is_empty() {
            let props: Map<String, Value> = r.body.iter().map(|(n, t, _)| (n.to_string(), json!({ "type": t }))).collect();
            let required: Vec<&str> = r.body.iter().filter(|(_, _, req)| *req).map(|(n, _, _)| *n).collect();
            let mut schema = json!({ "type": "object", "properties": props, "additionalProperties": false });
            if !required.is_empty() {
                schema["required"] = json!(required);
            }
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
        }
        if r.auth {
            op["security"] = json!([{ "bearer": [] }]);
            responses.insert("401".into(), error_response("missing or wrong bearer token"));
            if r.path == "/api/jobs/pipeline" {
                responses.insert("202".into(), json!({ "description": "job started" }));
                responses.insert("409".into(), error_response("a job is already running"));
            }
        }
        op["responses"] = Value::Object(responses);
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "qm serve", "version": crate::VERSION, "description": "REST API of qm over a Parquet lake" },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" }, "field": { "type": "string" } } } },
        },
    })
}

pub async fn openapi() -> Json<Value> {
    Json(document())
}
