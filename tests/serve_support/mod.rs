//! Helpers for the `qm serve` tests: one demo lake per test binary (made by the real
//! `qm pipeline run pipelines/demo.toml`) and a real server process on a free loopback port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// The binary under test: cargo's, unless `QM_BIN` names another build (useful when several
/// worktrees share one target directory and its `release/qm`).
pub fn qm_bin() -> String {
    std::env::var("QM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_qm").to_string())
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo lake: `pipelines/demo.toml` (mega, wf, wf_windows for DEMOUSDT and TESTUSDT 1h).
pub fn demo_lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let lake = dir.join("lake");
        let out = Command::new(qm_bin())
            .current_dir(repo())
            .env_remove("QM_API_TOKEN")
            .args(["--quiet", "--lake", lake.to_str().unwrap(), "pipeline", "run", "pipelines/demo.toml", "--format", "csv"])
            .output()
            .expect("qm runs");
        assert!(out.status.success(), "demo pipeline failed: {}", String::from_utf8_lossy(&out.stderr));
        lake
    })
}

/// Run `qm ARGS` against `lake`; panics unless it succeeds; returns stdout.
pub fn qm_ok(lake: &Path, args: &[&str]) -> String {
    let out = Command::new(qm_bin()).current_dir(repo()).arg("--lake").arg(lake).args(args).output().expect("qm runs");
    assert!(out.status.success(), "qm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `qm sql QUERY --format json` as JSON rows.
pub fn sql_json(lake: &Path, query: &str) -> Vec<serde_json::Value> {
    let text = qm_ok(lake, &["sql", query, "--format", "json"]);
    match serde_json::from_str::<serde_json::Value>(text.trim()).unwrap_or_else(|e| panic!("qm sql json: {e}: {text}")) {
        serde_json::Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

/// A running `qm serve`; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr_head: Vec<String>,
    stderr_rest: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// `qm serve --bind 127.0.0.1:0` over `lake`, with `token` as QM_API_TOKEN (None: unset).
    pub fn start(lake: &Path, token: Option<&str>, extra: &[&str]) -> Server {
        Server::try_start(lake, token, "127.0.0.1:0", extra).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start(lake: &Path, token: Option<&str>, bind: &str, extra: &[&str]) -> Result<Server, String> {
        Server::try_start_env(lake, token, bind, extra, &[])
    }

    /// [`Server::try_start`] with extra environment variables (exchange URLs).
    pub fn try_start_env(lake: &Path, token: Option<&str>, bind: &str, extra: &[&str], env: &[(&str, &str)]) -> Result<Server, String> {
        let mut cmd = Command::new(qm_bin());
        cmd.envs(env.iter().copied());
        cmd.current_dir(repo())
            .arg("--lake")
            .arg(lake)
            .args(["serve", "--bind", bind, "--pipelines"])
            .arg(repo().join("pipelines"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        match token {
            Some(t) => cmd.env("QM_API_TOKEN", t),
            None => cmd.env_remove("QM_API_TOKEN"),
        };
        let mut child = cmd.spawn().expect("qm serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut head = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    head.push(line.clone());
                    if let Some(rest) = line.strip_prefix("qm serve: listening on http://") {
                        let addr = rest.split_whitespace().next().unwrap().to_string();
                        // Keep the link line too.
                        if let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
                            head.push(l);
                        }
                        // Keep the rest (panics, warnings) for failure messages.
                        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
                        let sink = std::sync::Arc::clone(&log);
                        std::thread::spawn(move || {
                            while let Ok(l) = rx.recv() {
                                sink.lock().unwrap().push(l);
                            }
                        });
                        return Ok(Server { child, addr, stderr_head: head, stderr_rest: log });
                    }
                }
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    let _ = child.kill();
                    return Err(format!("qm serve did not start (exit {status:?}); stderr:\n{}", head.join("\n")));
                }
            }
        }
    }

    /// What the server wrote to stderr after starting (panics would show here).
    pub fn stderr_rest(&self) -> String {
        self.stderr_rest.lock().unwrap().join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap()
}

/// Status and JSON body of a GET.
pub async fn get(c: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let r = c.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: body is not JSON ({e}): {text}")))
}

/// Status and JSON body of a POST with an optional bearer token.
pub async fn post(c: &reqwest::Client, url: &str, token: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let mut req = c.post(url).header("content-type", "application/json").body(body.to_string());
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let r = req.send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {url}: body is not JSON ({e}): {text}")))
}

/// One raw HTTP/1.1 request (to send headers a client library would fix up); returns the
/// status and the body.
pub fn raw_http(addr: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
