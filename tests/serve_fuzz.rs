//! Schemathesis (PyPI, `requirements-test.txt`) fuzzes the API from its own OpenAPI document:
//! no request may produce a 5xx. Bounded by a small example count and a time budget. Fails,
//! never skips, when schemathesis is missing.

mod serve_support;

use std::process::Command;

use serve_support::*;

#[test]
fn openapi_fuzz_finds_no_server_errors() {
    let st = std::env::var("QM_SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let report = tempfile::tempdir().unwrap();
    let out = Command::new(&st)
        .args(["run", &s.url("/api/openapi.json")])
        .args(["--checks", "not_a_server_error", "--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "15", "--max-time", "60", "--workers", "1", "--request-timeout", "120"])
        // Starting pipelines would turn a fuzz run into a sweep; the endpoint's input
        // validation is covered by serve_api.
        .args(["--exclude-path", "/api/jobs/pipeline"])
        // Reaches the exchange (none here: a 502 by design); covered by tests/serve_api.rs.
        .args(["--exclude-path", "/api/candles/fetch"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(report.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{st}` ({e}); install it: pip install -r requirements-test.txt"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}\nserver stderr:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.stderr_rest()
    );
}
