//! What every handler shares: the lake, the token, the job list and a cached DataFusion
//! session over the lake.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use datafusion::execution::context::SessionContext;
use tokio::sync::{RwLock, Semaphore};

use super::error::ApiError;
use super::jobs::Jobs;

pub struct AppState {
    pub lake: PathBuf,
    /// Directory of the pipeline files `POST /api/jobs/pipeline` may name.
    pub pipelines: PathBuf,
    pub token: String,
    /// Bound to a loopback address: only loopback Host names are accepted.
    pub loopback_only: bool,
    pub started: Instant,
    pub jobs: Jobs,
    /// Backtests are CPU-bound; at most this many run at once so reads stay responsive.
    pub backtests: Semaphore,
    /// Bumped when a job wrote the lake, so the next query re-registers the tables.
    pub generation: AtomicU64,
    session: RwLock<Option<CachedSession>>,
}

struct CachedSession {
    generation: u64,
    dirs: Vec<String>,
    ctx: SessionContext,
}

impl AppState {
    pub fn new(lake: PathBuf, pipelines: PathBuf, token: String, loopback_only: bool) -> Arc<AppState> {
        Arc::new(AppState {
            lake,
            pipelines,
            token,
            loopback_only,
            started: Instant::now(),
            jobs: Jobs::default(),
            backtests: Semaphore::new(2),
            generation: AtomicU64::new(0),
            session: RwLock::new(None),
        })
    }

    /// A session with every lake table registered. Listing tables list their files at each
    /// scan, so new runs of a known table show up by themselves; a new table (a new top-level
    /// directory) or a finished job rebuilds the session.
    pub async fn session(&self) -> Result<SessionContext, ApiError> {
        let generation = self.generation.load(Ordering::Acquire);
        let dirs = top_level_dirs(&self.lake);
        if let Some(c) = self.session.read().await.as_ref() {
            if c.generation == generation && c.dirs == dirs {
                return Ok(c.ctx.clone());
            }
        }
        let mut slot = self.session.write().await;
        if let Some(c) = slot.as_ref() {
            if c.generation == generation && c.dirs == dirs {
                return Ok(c.ctx.clone());
            }
        }
        let ctx = crate::query::session_for_lake(&self.lake)
            .await
            .map_err(|e| ApiError::internal(format!("cannot read the lake at `{}`: {e}", self.lake.display())))?;
        *slot = Some(CachedSession { generation, dirs, ctx: ctx.clone() });
        Ok(ctx)
    }

    pub fn lake_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

fn top_level_dirs(root: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| crate::query::catalog::is_visible(n))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
