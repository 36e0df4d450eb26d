//! `panelops bench startup`: every function's stripped release binary size, and the time from process
//! start to its first answered request (HTTP functions) or finished no-op run (jobs), median of
//! repeated starts (the binaries take turns), next to a minimal lambda_http hello-world built the same way.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use shared::config::Config;
use shared::crypto::SecretKey;
use shared::{AppError, AppResult, AppState};
use testkit::lambda_runtime::{Outcome, RuntimeApi};

use super::{median, report};

const HTTP_EVENT: &str = r#"{"version":"2.0","routeKey":"$default","rawPath":"/healthz","rawQueryString":"",
"headers":{"host":"bench.local","user-agent":"bench"},"requestContext":{"accountId":"000000000000","apiId":"bench",
"domainName":"bench.local","domainPrefix":"bench","http":{"method":"GET","path":"/healthz","protocol":"HTTP/1.1",
"sourceIp":"127.0.0.1","userAgent":"bench"},"requestId":"bench","routeKey":"$default","stage":"$default",
"time":"23/Nov/2026:00:00:00 +0000","timeEpoch":0},"isBase64Encoded":false}"#;

const MAX_SIZE_MB: f64 = 8.0;
const MAX_START_RATIO: f64 = 2.0;

struct Target {
    bin: &'static str,
    event: &'static str,
    kind: &'static str,
}

const TARGETS: &[Target] = &[
    Target { bin: "panelops-floor", event: HTTP_EVENT, kind: "floor (hello world)" },
    Target { bin: "panelops-api", event: HTTP_EVENT, kind: "HTTP" },
    Target { bin: "panelops-reports", event: HTTP_EVENT, kind: "HTTP" },
    Target { bin: "panelops-ai-review", event: r#"{"job":"ai-review"}"#, kind: "job" },
    Target { bin: "panelops-sync", event: r#"{"job":"sync"}"#, kind: "job" },
];

/// Builds each function on its own, as SAM and cargo-lambda do: features are then those of that
/// function alone (the job functions leave out the embedded-replica client).
fn build() -> AppResult<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("building release binaries one by one (lto, one codegen unit, stripped)…");
    for t in TARGETS {
        let status = std::process::Command::new(&cargo)
            .args(["build", "--release", "--locked", "-p", t.bin, "--bin", t.bin])
            .status()
            .map_err(|e| AppError::internal(format!("cannot run cargo: {e}")))?;
        if !status.success() {
            return Err(AppError::internal(format!("the release build of {} failed", t.bin)));
        }
    }
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    Ok(PathBuf::from(target).join("release"))
}

async fn time_one(exe: &PathBuf, t: &Target, db: &str, key: &str) -> AppResult<f64> {
    // An emulator per start: the killed process before it may have left a poll parked in its own.
    let mut api = RuntimeApi::start().await.map_err(|e| AppError::internal(format!("runtime API: {e}")))?;
    api.invoke(t.event);
    let start = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", t.bin)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")
        .env("DATABASE_URL", db)
        .env("PANELOPS_SECRET_KEY", key)
        .env("PANELOPS_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AppError::internal(format!("cannot start {}: {e}", exe.display())))?;
    let answer = tokio::time::timeout(Duration::from_secs(30), api.answer()).await;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill().await;
    let answer = answer
        .map_err(|_| AppError::internal(format!("{} did not answer within 30 s", t.bin)))?
        .ok_or_else(|| AppError::internal("runtime API stopped"))?;
    let ok = answer.outcome == Outcome::Response
        && if t.event == HTTP_EVENT {
            answer.body.contains("\"statusCode\":200")
        } else {
            answer.body.contains("\"job\"")
        };
    if !ok {
        return Err(AppError::internal(format!("{} answered unexpectedly: {answer:?}", t.bin)));
    }
    Ok(elapsed)
}

pub async fn startup(runs: usize) -> AppResult<()> {
    let runs = runs.max(1);
    let release = build()?;
    // A migrated database: each start then pays only the connection and the migrations check.
    let dir = std::env::temp_dir().join(format!("panelops-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| AppError::internal(e.to_string()))?;
    let db_path = dir.join("bench.db");
    let key = SecretKey::generate();
    AppState::init(Config::local(&db_path, key.clone())).await?;
    let db = db_path.display().to_string();
    let key = key.to_base64();
    // One unmeasured start each warms the page cache, as a warm Lambda host would have it.
    for t in TARGETS {
        time_one(&release.join(t.bin), t, &db, &key).await?;
    }
    // Rounds of one start of each binary in turn, so a machine that slows down or speeds up during the
    // run moves the floor and the functions alike instead of favouring whichever ran first.
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); TARGETS.len()];
    for _ in 0..runs {
        for (i, t) in TARGETS.iter().enumerate() {
            times[i].push(time_one(&release.join(t.bin), t, &db, &key).await?);
        }
    }
    let mut rows = Vec::new();
    for (t, times) in TARGETS.iter().zip(times) {
        let exe = release.join(t.bin);
        let size =
            std::fs::metadata(&exe).map_err(|e| AppError::internal(format!("{}: {e}", exe.display())))?.len();
        rows.push((t, size as f64 / 1_048_576.0, median(times)));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let floor = rows.first().map(|r| r.2).unwrap_or(f64::NAN);
    let mut table = format!(
        "## panelops bench startup ({runs} rounds of one start each, in turn; median)\n\n\
         | binary | kind | size (MB) | start to first answer (ms) | × floor | targets (≤ {MAX_SIZE_MB} MB, ≤ {MAX_START_RATIO}× floor) |\n\
         |---|---|---:|---:|---:|---|\n"
    );
    for (t, mb, ms) in &rows {
        let ratio = ms / floor;
        let verdict = if t.bin == "panelops-floor" {
            "floor".to_string()
        } else {
            let size_ok = *mb <= MAX_SIZE_MB;
            let start_ok = ratio <= MAX_START_RATIO;
            format!(
                "size {} · start {}",
                if size_ok { "met" } else { "MISSED" },
                if start_ok { "met" } else { "MISSED" }
            )
        };
        table.push_str(&format!("| {} | {} | {mb:.2} | {ms:.1} | {ratio:.2} | {verdict} |\n", t.bin, t.kind));
    }
    table.push_str(&format!(
        "\nMachine: {} cores. Local database file (a Lambda on AWS connects to Turso over the network instead).\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    ));
    report("startup", &table)
}
