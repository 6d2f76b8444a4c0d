//! The API token (from `QM_API_TOKEN` or `<lake>/.qm-token`), the bearer check on mutating
//! requests and the Host check that defends a loopback server against DNS rebinding.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;

/// Name of the token file inside the lake (hidden, so lake discovery ignores it).
pub const TOKEN_FILE: &str = ".qm-token";

/// Where the token came from; decides whether it may be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    File,
    Generated,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the token file `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the token file `{}`: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the token file `{}` is empty or not plain text; delete it to get a new token", path.display())]
    Bad { path: PathBuf },
    #[error("the token file `{}` can be read by other users (mode {mode:o}); run `chmod 600` on it or delete it to get a new token", path.display())]
    Exposed { path: PathBuf, mode: u32 },
    #[error("cannot read random bytes for a new token: {0}")]
    Random(std::io::Error),
}

/// The token to require: `env` when set and not empty, else the lake's token file, else a
/// new random token written to that file with mode 0600.
pub fn load_or_create(env: Option<String>, lake: &Path) -> Result<(String, TokenSource), TokenError> {
    if let Some(t) = env.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        return Ok((t, TokenSource::Env));
    }
    let path = lake.join(TOKEN_FILE);
    if path.exists() {
        // A token others can read protects nothing; refuse it rather than serve with it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map_err(|source| TokenError::Read { path: path.clone(), source })?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(TokenError::Exposed { path, mode });
            }
        }
        let text = std::fs::read_to_string(&path).map_err(|source| TokenError::Read { path: path.clone(), source })?;
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::Bad { path });
        }
        return Ok((t.to_string(), TokenSource::File));
    }
    let token = random_token()?;
    std::fs::create_dir_all(lake).map_err(|source| TokenError::Write { path: path.clone(), source })?;
    write_private(&path, &token).map_err(|source| TokenError::Write { path: path.clone(), source })?;
    Ok((token, TokenSource::Generated))
}

/// 32 bytes from the kernel's CSPRNG as hex.
fn random_token() -> Result<String, TokenError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(TokenError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Create `path` readable by its owner only (the mode is set at creation, so the token is
/// never world-readable, not even briefly).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}

/// Equality whose running time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is not secret (tokens have a fixed size); the content is.
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Whether `host` (a Host header value) names the loopback interface, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inner, port)) if port.is_empty() || valid_port(port.strip_prefix(':')) => return inner == "::1",
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if valid_port(Some(port)) => name,
            Some(_) => return false,
            None => host,
        }
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1"
}

fn valid_port(p: Option<&str>) -> bool {
    p.is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Middleware: loopback Host names only (when bound to loopback), a bearer token on every
/// request that is not a read.
pub async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if state.loopback_only {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !is_loopback_host(host) {
            return ApiError::Forbidden(format!(
                "Host header `{}` is not a loopback name; allowed: 127.0.0.1, localhost, [::1] (with a port)",
                host.chars().take(100).collect::<String>()
            ))
            .into_response();
        }
    }
    let m = req.method();
    let read_only = m == Method::GET || m == Method::HEAD || m == Method::OPTIONS;
    if !read_only {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        match given {
            None => {
                return ApiError::Unauthorized(
                    "this request changes state and needs `Authorization: Bearer <token>` (the token printed by `qm serve`, or QM_API_TOKEN)".into(),
                )
                .into_response()
            }
            Some(t) if !constant_time_eq(t.as_bytes(), state.token.as_bytes()) => {
                return ApiError::Unauthorized("the bearer token is wrong".into()).into_response()
            }
            Some(_) => {}
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.0.0.1:9000", "localhost", "LOCALHOST:1", "[::1]", "[::1]:9000"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["", "evil.com", "127.0.0.1.evil.com", "localhost.evil:80", "[::2]:1", "127.0.0.1:", "127.0.0.1:x", "[::1]x"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
