//! API credentials from the environment or a `.env` file, held in a type that prints as
//! `***` and has no serialisation, so a key cannot end up in a log, the journal or the lake.

use std::fmt;
use std::path::Path;

/// Environment variable holding the API key.
pub const KEY_VAR: &str = "QM_BINANCE_API_KEY";
/// Environment variable holding the API secret.
pub const SECRET_VAR: &str = "QM_BINANCE_API_SECRET";

/// A secret string: readable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for signing and the `X-MBX-APIKEY` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An API key and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub key: Secret,
    pub secret: Secret,
}

/// Missing or unreadable credentials.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("`{0}` is not set (in the environment or `.env`); live and demo trading need it")]
    Missing(&'static str),
    #[error("`{var}` is empty; set it to the exchange's value")]
    Empty { var: &'static str },
    #[error("cannot read `{path}`: {error}")]
    Read { path: String, error: std::io::Error },
}

/// `KEY=value` lines of a `.env` file (blank lines and `#` comments skipped, optional
/// `export ` prefix, values optionally in single or double quotes).
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (k, v) = line.split_once('=')?;
            let v = v.trim();
            let v = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|&(a, b)| v.strip_prefix(a).and_then(|x| x.strip_suffix(b)))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// Credentials from the environment, else from `dotenv` (a `.env` file) when it exists;
/// the environment wins over the file.
pub fn load(dotenv: Option<&Path>) -> Result<Credentials, CredentialsError> {
    let file: Vec<(String, String)> = match dotenv {
        Some(p) if p.exists() => {
            let text = std::fs::read_to_string(p).map_err(|error| CredentialsError::Read { path: p.display().to_string(), error })?;
            parse_dotenv(&text)
        }
        _ => Vec::new(),
    };
    let get = |var: &'static str| -> Result<Secret, CredentialsError> {
        let v = std::env::var(var).ok().or_else(|| file.iter().rev().find(|(k, _)| k == var).map(|(_, v)| v.clone()));
        match v {
            None => Err(CredentialsError::Missing(var)),
            Some(v) if v.trim().is_empty() => Err(CredentialsError::Empty { var }),
            Some(v) => Ok(Secret::new(v.trim())),
        }
    };
    Ok(Credentials { key: get(KEY_VAR)?, secret: get(SECRET_VAR)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials { key: Secret::new("AKIA-visible-key"), secret: Secret::new("s3cr3t-value") };
        let shown = format!("{c:?} {} {}", c.key, c.secret);
        assert!(!shown.contains("AKIA") && !shown.contains("s3cr3t"), "{shown}");
        assert_eq!(c.secret.expose(), "s3cr3t-value");
    }

    #[test]
    fn dotenv_lines() {
        let text = "# keys\nexport QM_BINANCE_API_KEY=\"abc\"\n\nQM_BINANCE_API_SECRET='x=y'\nOTHER = 1\nnot a pair\n";
        assert_eq!(
            parse_dotenv(text),
            [("QM_BINANCE_API_KEY".into(), "abc".into()), ("QM_BINANCE_API_SECRET".into(), "x=y".into()), ("OTHER".into(), "1".into())]
        );
    }

    #[test]
    fn load_from_a_dotenv_file_names_what_is_missing() {
        // Only meaningful when the environment does not set the variables itself.
        if std::env::var(KEY_VAR).is_ok() || std::env::var(SECRET_VAR).is_ok() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        std::fs::write(&p, "QM_BINANCE_API_KEY=k1\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("`QM_BINANCE_API_SECRET`"), "{e}");
        std::fs::write(&p, "QM_BINANCE_API_KEY=k1\nQM_BINANCE_API_SECRET=s1\n").unwrap();
        let c = load(Some(&p)).unwrap();
        assert_eq!((c.key.expose(), c.secret.expose()), ("k1", "s1"));
        assert!(load(Some(&d.path().join("none"))).unwrap_err().to_string().contains("`QM_BINANCE_API_KEY`"));
    }
}
