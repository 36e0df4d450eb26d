//! Configuration, read once from environment variables (documented in the README).

use std::path::{Path, PathBuf};

use crate::crypto::SecretKey;
use crate::error::AppError;

/// Where the database lives.
#[derive(Clone, Debug)]
pub enum DatabaseMode {
    /// A local file (created on first run); used locally and in tests.
    Local(PathBuf),
    /// Turso / libsql server over the network.
    Remote { url: String, token: String },
    /// A local replica file kept in sync with a remote primary; reads are local.
    Replica { path: PathBuf, url: String, token: String },
}

impl DatabaseMode {
    /// The file this process keeps on disk, if any.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        match self {
            DatabaseMode::Local(path) | DatabaseMode::Replica { path, .. } => Some(path),
            DatabaseMode::Remote { .. } => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseMode,
    pub secret_key: SecretKey,
    pub log_level: String,
    /// Minutes of inactivity after which a session ends.
    pub session_idle_minutes: i64,
    /// Hours after sign-in after which a session ends whatever its activity.
    pub session_absolute_hours: i64,
    /// True when requests arrive through a trusted proxy (API Gateway), so `X-Forwarded-For` is believed.
    pub behind_proxy: bool,
    /// True when panels, rivals and the AI provider may be on loopback, private or link-local
    /// addresses (the local demo, tests, a provider on this machine); otherwise only public
    /// addresses are called, so nobody can point the console's keys at an internal service.
    pub allow_private_urls: bool,
    /// How long a page waits for the AI model, retries included: API Gateway ends a request at 30 s.
    pub ai_page_timeout: std::time::Duration,
    /// The path the console is served under (`/console`), for its links; None = at the root, or what
    /// the request says (`cargo lambda watch`, an API Gateway stage).
    pub base_path: Option<String>,
    /// The console's address as staff open it (`https://ops.example.com`), for the links in alert
    /// messages; None = links are paths only.
    pub public_url: Option<String>,
    /// How long one order write waits for its panel's answer; no answer in time is an "unknown"
    /// outcome (never re-sent), re-read from the panel.
    pub action_write_timeout: std::time::Duration,
    /// How long one request spends sending an order action's writes before it answers (API Gateway
    /// ends a request at 30 s); the action's page carries on with the rest.
    pub action_slice: std::time::Duration,
}

pub const DEFAULT_DATABASE_URL: &str = "./data/panelops.db";

/// API Gateway's HTTP API cuts a request at 30 s; the rest is room for the page around the answer.
pub const DEFAULT_AI_PAGE_TIMEOUT_SECS: i64 = 25;
/// One order write's wait for its panel.
pub const DEFAULT_ACTION_TIMEOUT_SECS: i64 = 8;
/// A slice of an order action: with one write's timeout it stays within API Gateway's 30 s.
pub const DEFAULT_ACTION_SLICE_SECS: i64 = 18;

impl Config {
    /// Reads the process environment. Locally a missing secret key is generated next to the database;
    /// on AWS (detected by `AWS_LAMBDA_FUNCTION_NAME`) it is required.
    pub fn from_env() -> Result<Self, AppError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        let on_lambda = get("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let url = get("DATABASE_URL")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let token = get("DATABASE_AUTH_TOKEN").unwrap_or_default();
        let replica = get("DATABASE_REPLICA_PATH").filter(|s| !s.trim().is_empty());
        let database = database_mode(&url, token, replica)?;
        let secret_key = match get("PANELOPS_SECRET_KEY").filter(|s| !s.trim().is_empty()) {
            Some(k) => SecretKey::parse(&k)?,
            None if on_lambda => {
                return Err(AppError::Config(
                    "PANELOPS_SECRET_KEY is required on AWS (32 bytes, base64 or hex)".into(),
                ))
            }
            None => match &database {
                DatabaseMode::Local(p) => SecretKey::load_or_create(&key_file_for(p))?,
                // The stored keys live on the primary: a key made beside one machine's replica could
                // not read what another machine stored.
                DatabaseMode::Remote { .. } | DatabaseMode::Replica { .. } => {
                    return Err(AppError::Config(
                        "PANELOPS_SECRET_KEY is required with a remote database".into(),
                    ))
                }
            },
        };
        Ok(Config {
            database,
            secret_key,
            log_level: get("PANELOPS_LOG").unwrap_or_else(|| "info".into()),
            session_idle_minutes: parse_num(&get, "PANELOPS_SESSION_IDLE_MINUTES", 12 * 60)?,
            session_absolute_hours: parse_num(&get, "PANELOPS_SESSION_MAX_HOURS", 7 * 24)?,
            behind_proxy: on_lambda || get("PANELOPS_BEHIND_PROXY").is_some_and(|v| v == "1" || v == "true"),
            allow_private_urls: get("PANELOPS_ALLOW_PRIVATE_URLS").is_some_and(|v| v == "1" || v == "true"),
            ai_page_timeout: std::time::Duration::from_secs(parse_num(
                &get,
                "PANELOPS_AI_PAGE_TIMEOUT_SECS",
                DEFAULT_AI_PAGE_TIMEOUT_SECS,
            )? as u64),
            base_path: base_path(get("PANELOPS_BASE_PATH").as_deref())?,
            public_url: public_url(get("PANELOPS_PUBLIC_URL").as_deref())?,
            action_write_timeout: std::time::Duration::from_secs(parse_num(
                &get,
                "PANELOPS_ACTION_TIMEOUT_SECS",
                DEFAULT_ACTION_TIMEOUT_SECS,
            )? as u64),
            action_slice: std::time::Duration::from_secs(parse_num(
                &get,
                "PANELOPS_ACTION_SLICE_SECS",
                DEFAULT_ACTION_SLICE_SECS,
            )? as u64),
        })
    }

    /// A configuration for tests and tools: a local file and a fixed key; panels may be on loopback
    /// (the simulators are).
    pub fn local(path: &Path, secret_key: SecretKey) -> Self {
        Config {
            database: DatabaseMode::Local(path.to_path_buf()),
            secret_key,
            log_level: "warn".into(),
            session_idle_minutes: 12 * 60,
            session_absolute_hours: 7 * 24,
            ai_page_timeout: std::time::Duration::from_secs(DEFAULT_AI_PAGE_TIMEOUT_SECS as u64),
            base_path: None,
            public_url: None,
            action_write_timeout: std::time::Duration::from_secs(DEFAULT_ACTION_TIMEOUT_SECS as u64),
            action_slice: std::time::Duration::from_secs(DEFAULT_ACTION_SLICE_SECS as u64),
            behind_proxy: false,
            allow_private_urls: true,
        }
    }

    /// As `local`, on a remote libSQL server (the hosted test tier, benchmarks).
    pub fn remote(url: &str, token: &str, secret_key: SecretKey) -> Self {
        let database = DatabaseMode::Remote { url: url.to_string(), token: token.to_string() };
        Config { database, ..Config::local(Path::new(DEFAULT_DATABASE_URL), secret_key) }
    }
}

fn parse_num(get: &impl Fn(&str) -> Option<String>, key: &str, default: i64) -> Result<i64, AppError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| AppError::Config(format!("{key} must be a positive whole number, got {v:?}"))),
    }
}

/// `/console` from `console`, `/console/` or `/console`; None for the root.
fn base_path(value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(v) = value.map(|v| v.trim().trim_matches('/')).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let clean = v.split('/').all(|seg| {
        !seg.is_empty()
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    });
    if !clean {
        return Err(AppError::Config(format!(
            "PANELOPS_BASE_PATH must be a path like /console (letters, digits, - _ . ~ between slashes), got {v:?}"
        )));
    }
    Ok(Some(format!("/{v}")))
}

/// `https://ops.example.com` (a trailing slash dropped); None when unset.
fn public_url(value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(Some(v.trim_end_matches('/').to_string()))
        }
        _ => Err(AppError::Config(format!(
            "PANELOPS_PUBLIC_URL must be the console's address like https://ops.example.com, got {v:?}"
        ))),
    }
}

fn database_mode(url: &str, token: String, replica: Option<String>) -> Result<DatabaseMode, AppError> {
    let remote = url.starts_with("libsql://") || url.starts_with("https://") || url.starts_with("http://");
    if !remote {
        let path = url.strip_prefix("file:").unwrap_or(url);
        return Ok(DatabaseMode::Local(PathBuf::from(path)));
    }
    // Turso speaks https; libsql:// is its alias.
    let url = match url.strip_prefix("libsql://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    };
    Ok(match replica {
        Some(path) => DatabaseMode::Replica { path: PathBuf::from(path), url, token },
        None => DatabaseMode::Remote { url, token },
    })
}

fn key_file_for(db_path: &Path) -> PathBuf {
    db_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("secret.key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_modes_from_the_url() {
        let m = database_mode("libsql://x.turso.io", "t".into(), None).unwrap();
        assert!(matches!(m, DatabaseMode::Remote { ref url, .. } if url == "https://x.turso.io"));
        let m = database_mode("file:/tmp/a.db", String::new(), None).unwrap();
        assert!(matches!(m, DatabaseMode::Local(ref p) if p == Path::new("/tmp/a.db")));
        let m = database_mode("https://x", "t".into(), Some("/tmp/r.db".into())).unwrap();
        assert!(matches!(m, DatabaseMode::Replica { .. }));
    }

    #[test]
    fn lambda_requires_a_secret_key() {
        let err = Config::from_lookup(|k| (k == "AWS_LAMBDA_FUNCTION_NAME").then(|| "api".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("PANELOPS_SECRET_KEY"));
        // Nor is one made beside a replica of a remote database: the stored keys live on the primary.
        let dir = tempfile::tempdir().unwrap();
        let replica = dir.path().join("r.db").display().to_string();
        let err = Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some("libsql://x.turso.io".into()),
            "DATABASE_REPLICA_PATH" => Some(replica.clone()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("PANELOPS_SECRET_KEY"), "{err}");
        assert!(!dir.path().join("secret.key").exists());
    }

    #[test]
    fn private_addresses_are_allowed_only_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db").display().to_string();
        let with = |allow: Option<&str>| {
            Config::from_lookup(|k| match k {
                "DATABASE_URL" => Some(db.clone()),
                "PANELOPS_ALLOW_PRIVATE_URLS" => allow.map(str::to_string),
                _ => None,
            })
            .unwrap()
            .allow_private_urls
        };
        assert!(!with(None));
        assert!(!with(Some("0")));
        assert!(with(Some("1")));
        assert!(with(Some("true")));
    }

    #[test]
    fn base_paths_are_normalised() {
        assert_eq!(base_path(Some("console/")).unwrap().as_deref(), Some("/console"));
        assert_eq!(base_path(Some("/a/b")).unwrap().as_deref(), Some("/a/b"));
        assert_eq!(base_path(Some("/")).unwrap(), None);
        assert!(base_path(Some("/a b")).is_err() && base_path(Some("/a//b")).is_err());
    }

    #[test]
    fn rejects_a_bad_number() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db").display().to_string();
        let err = Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some(db.clone()),
            "PANELOPS_SESSION_IDLE_MINUTES" => Some("soon".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("PANELOPS_SESSION_IDLE_MINUTES"));
    }
}
