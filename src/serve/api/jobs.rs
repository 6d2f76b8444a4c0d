//! Pipeline jobs: `POST /api/jobs/pipeline` starts a pipeline (a file of the pipelines
//! directory, or TOML in the body) on a background thread; `GET /api/jobs[/{id}]` report it.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use crate::serve::json::Json;
use serde_json::{json, Value};

use super::body::Body;
use crate::cli::Globals;
use crate::output::Format;
use crate::pipeline::config::{load, parse, PipelinePlan};
use crate::serve::error::{ApiError, ApiResult};
use crate::serve::jobs::JobHandle;
use crate::serve::params::clip;
use crate::serve::state::AppState;

pub async fn list(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "jobs": state.jobs.list() }))
}

pub async fn get(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let n: u64 = id.parse().map_err(|_| ApiError::invalid("id", format!("job id must be a positive integer, got `{}`", clip(&id))))?;
    let job = state.jobs.get(n).ok_or_else(|| ApiError::not_found(Some("id"), format!("no job {n}")))?;
    Ok(Json(json!(job)))
}

pub async fn start_pipeline(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let b = Body::parse(&body, &["file", "toml"])?;
    let (source, mut plan) = match (b.text("file")?, b.text("toml")?) {
        (Some(file), None) => (file.to_string(), load_named(&state, file)?),
        (None, Some(text)) => {
            let plan = parse(text, std::path::Path::new("<request body>")).map_err(|e| ApiError::invalid("toml", e.to_string()))?;
            ("body".to_string(), plan)
        }
        _ => return Err(ApiError::invalid("file", "give exactly one of `file` (a pipeline in the pipelines directory) or `toml` (the pipeline text)")),
    };
    // The ranking would go to the server's stdout; clients read the tables instead.
    plan.top = 0;
    let total = plan.data.symbols.len();
    let id = state.jobs.start(source, plan.name.clone(), total).map_err(ApiError::Conflict)?;
    spawn(Arc::clone(&state), id, plan);
    let job = state.jobs.get(id);
    Ok((StatusCode::ACCEPTED, Json(json!(job))))
}

/// A file name (no directories) of the pipelines directory, `.toml` optional.
fn load_named(state: &AppState, file: &str) -> ApiResult<PipelinePlan> {
    let name = if file.ends_with(".toml") { file.to_string() } else { format!("{file}.toml") };
    let stem = &name[..name.len() - 5];
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(ApiError::invalid("file", format!("`{}` is not a pipeline name; allowed: letters, digits, `-`, `_`, optionally `.toml`", clip(file))));
    }
    let path: PathBuf = state.pipelines.join(&name);
    if !path.is_file() {
        return Err(ApiError::not_found(Some("file"), format!("no pipeline `{name}` in `{}`", state.pipelines.display())));
    }
    load(&path).map_err(|e| ApiError::invalid("file", e.to_string()))
}

/// The pipeline builds its own runtimes, so it runs on a plain thread, not a tokio one.
fn spawn(state: Arc<AppState>, id: u64, plan: PipelinePlan) {
    let handle = JobHandle::new(Arc::clone(&state), id);
    let g = Globals { lake: state.lake.clone(), quiet: true };
    let spawned = std::thread::Builder::new().name(format!("qm-job-{id}")).spawn({
        let handle = handle.clone();
        move || {
            let progress = |n: usize| handle.progress(n);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::cli::pipeline::execute_observed(&plan, &g, Format::Table, &progress)
            }));
            handle.finish(match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("{e:#}")),
                Err(_) => Err("the pipeline panicked; see the server's stderr".into()),
            });
        }
    });
    if let Err(e) = spawned {
        handle.finish(Err(format!("cannot start a thread for the job: {e}")));
    }
}
