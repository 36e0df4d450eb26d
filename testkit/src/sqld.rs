//! A real libSQL server (`sqld`, the server behind Turso) on loopback, with Turso-like JWT auth, for
//! the hosted test tier and `bench hosted`. It is not on any registry: found through `PANELOPS_SQLD`,
//! `sqld` on `PATH`, or `../shared/tools/sqld` beside the project.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where sqld is, if anywhere.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PANELOPS_SQLD").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    if let Some(p) = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("sqld"))
        .find(|p| p.is_file())
    {
        return Some(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/sqld");
    beside.is_file().then_some(beside)
}

/// The signing keys of every server this process starts, made once (Ed25519, by `libsql-token`).
struct Keys {
    _dir: tempfile_dir::Dir,
    public: PathBuf,
    private: PathBuf,
}

mod tempfile_dir {
    /// A folder removed when dropped (the testkit does not depend on `tempfile`).
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn token_tool(sqld: &Path) -> PathBuf {
    let beside = sqld.with_file_name("libsql-token");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("libsql-token")
    }
}

/// A new key pair in `dir` (`jwt_public.pem`, `jwt_private.pem`), made by the token tool beside `sqld`.
fn genkey(sqld: &Path, dir: &Path) -> Result<(), String> {
    let out = Command::new(token_tool(sqld))
        .arg("genkey")
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run libsql-token: {e}"))?;
    if !out.status.success() {
        return Err(format!("libsql-token genkey failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

static KEYS: OnceLock<Result<Keys, String>> = OnceLock::new();

fn keys(sqld: &Path) -> Result<&'static Keys, String> {
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("panelops-sqld-keys-{}", std::process::id()));
        genkey(sqld, &dir)?;
        Ok(Keys {
            public: dir.join("jwt_public.pem"),
            private: dir.join("jwt_private.pem"),
            _dir: tempfile_dir::Dir(dir),
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// A token for the servers of this process: `rw` or `ro`, expiring after `ttl_secs` (0 = never).
pub fn token(sqld: &Path, access: &str, ttl_secs: u64) -> Result<String, String> {
    let keys = keys(sqld)?;
    let out = Command::new(token_tool(sqld))
        .arg("token")
        .arg(&keys.private)
        .arg(access)
        .arg(ttl_secs.to_string())
        .output()
        .map_err(|e| format!("cannot run libsql-token: {e}"))?;
    if !out.status.success() {
        return Err(format!("libsql-token token failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A token whose expiry passed an hour ago, signed like `libsql-token`'s (which only makes live ones):
/// sqld allows a minute of clock leeway, so a freshly expired token would still pass.
pub fn expired_token(sqld: &Path) -> Result<String, String> {
    let keys = keys(sqld)?;
    let script = r#"set -euo pipefail
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
h=$(printf '%s' '{"alg":"EdDSA","typ":"JWT"}' | b64url)
p=$(printf '{"a":"rw","iat":%s,"exp":%s}' $((now - 7200)) $((now - 3600)) | b64url)
tmp=$(mktemp); printf '%s.%s' "$h" "$p" >"$tmp"
s=$(openssl pkeyutl -sign -rawin -inkey "$1" -in "$tmp" | b64url); rm -f "$tmp"
echo "$h.$p.$s""#;
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("expired-token")
        .arg(&keys.private)
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !out.status.success() {
        return Err(format!("signing failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One running server with its own database folder. Stopped (and its folder removed) when dropped.
pub struct Sqld {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    /// The key tokens are checked with (this process's, until rotated).
    public_key: PathBuf,
    /// A read-write token that does not expire.
    pub token: String,
}

impl Sqld {
    /// Starts a server on a free loopback port with a fresh database, and waits until it answers.
    pub fn start(bin: &Path) -> Result<Sqld, String> {
        let dir = std::env::temp_dir().join(format!(
            "panelops-sqld-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let token = token(bin, "rw", 0)?;
        let public_key = keys(bin)?.public.clone();
        let mut s = Sqld { bin: bin.to_path_buf(), dir, port: 0, child: None, public_key, token };
        // A port found free can be taken before sqld binds it: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            s.port = free_port()?;
            match s.spawn() {
                Ok(()) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new(&self.bin)
            .arg("--db-path")
            .arg(self.dir.join("data.sqld"))
            .arg("--http-listen-addr")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--no-welcome")
            .arg("--auth-jwt-key-file")
            .arg(&self.public_key)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                return Err(format!("sqld exited at start: {status}"));
            }
            if healthy(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        Err("sqld did not become healthy within 15 s".into())
    }

    /// `http://127.0.0.1:PORT`: what `DATABASE_URL` takes.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Kills the server at once (as a crash would), keeping its database folder.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again with a key of its own, so every token made so far is refused (a
    /// rotated key, a revoked token).
    pub fn restart_with_new_key(&mut self) -> Result<(), String> {
        let dir = self.dir.join("rotated-key");
        genkey(&self.bin, &dir)?;
        self.public_key = dir.join("jwt_public.pem");
        self.restart()
    }

    /// Starts the server again on the same port and database.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Drop for Sqld {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// sqld answers `GET /health` once it serves.
fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf[9..12] == *b"200")
}
