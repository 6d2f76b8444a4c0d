//! Background jobs (pipeline runs): one at a time, each on its own thread, with progress
//! counted in series (symbols) done.

use std::sync::{Arc, Mutex};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: u64,
    pub kind: &'static str,
    /// The pipeline file name, or `body` for a TOML sent in the request.
    pub source: String,
    pub pipeline: String,
    pub state: JobState,
    /// Series (symbol × interval) finished and planned.
    pub done: usize,
    pub total: usize,
    /// Epoch milliseconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct Jobs {
    list: Mutex<Vec<Job>>,
}

/// A handle the worker thread uses to report progress on its job.
#[derive(Clone)]
pub struct JobHandle {
    jobs: Arc<super::state::AppState>,
    id: u64,
}

impl Jobs {
    /// Register a running job unless one is already running (pipelines use every core).
    pub fn start(&self, source: String, pipeline: String, total: usize) -> Result<u64, String> {
        let mut list = self.list.lock().expect("jobs lock");
        if let Some(j) = list.iter().find(|j| j.state == JobState::Running) {
            return Err(format!("job {} (pipeline `{}`) is still running; wait for it to finish", j.id, j.pipeline));
        }
        let id = list.last().map_or(1, |j| j.id + 1);
        list.push(Job {
            id,
            kind: "pipeline",
            source,
            pipeline,
            state: JobState::Running,
            done: 0,
            total,
            started_at: chrono::Utc::now().timestamp_millis(),
            finished_at: None,
            error: None,
        });
        Ok(id)
    }

    pub fn list(&self) -> Vec<Job> {
        self.list.lock().expect("jobs lock").clone()
    }

    pub fn get(&self, id: u64) -> Option<Job> {
        self.list.lock().expect("jobs lock").iter().find(|j| j.id == id).cloned()
    }

    pub fn running(&self) -> usize {
        self.list.lock().expect("jobs lock").iter().filter(|j| j.state == JobState::Running).count()
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Some(j) = self.list.lock().expect("jobs lock").iter_mut().find(|j| j.id == id) {
            f(j);
        }
    }
}

impl JobHandle {
    pub fn new(state: Arc<super::state::AppState>, id: u64) -> JobHandle {
        JobHandle { jobs: state, id }
    }

    pub fn progress(&self, done: usize) {
        self.jobs.jobs.update(self.id, |j| j.done = done);
    }

    pub fn finish(&self, result: Result<(), String>) {
        self.jobs.jobs.update(self.id, |j| {
            j.finished_at = Some(chrono::Utc::now().timestamp_millis());
            match result {
                Ok(()) => {
                    j.state = JobState::Succeeded;
                    j.done = j.total;
                }
                Err(e) => {
                    j.state = JobState::Failed;
                    j.error = Some(e);
                }
            }
        });
        self.jobs.lake_changed();
    }
}
