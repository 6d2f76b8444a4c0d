//! The dashboard in a real browser: headless Chromium (Debian package) driven by
//! playwright-core (`tests/browser/`, `npm ci --prefix tests/browser`). Fails, never skips,
//! when either is missing.

mod serve_support;

use std::process::Command;

use serve_support::*;

#[test]
fn dashboard_in_chromium() {
    let chromium = std::env::var("QM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "Chromium not found at `{chromium}`: `apt-get install -y chromium` or set QM_CHROMIUM"
    );
    let dir = repo().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core missing: run `npm ci --prefix tests/browser`"
    );
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("dashboard.mjs")
        .env("QM_URL", format!("http://{}", s.addr))
        .env("QM_TOKEN", TOKEN)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs (install nodejs)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "browser checks failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}
