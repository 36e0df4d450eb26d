//! `panelops serve | migrate | create-owner | ai-review | rollups | bench`.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

use shared::auth::staff::{self, NewStaff};
use shared::auth::Role;
use shared::config::Config;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::{AppError, AppResult, AppState};

#[derive(Parser, Debug)]
#[command(name = "panelops", about = "Operations console for Perfect Panel owners", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the console locally: every function on one server, scheduled jobs on timers.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Seed demo data and print an owner login.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an owner account.
    CreateOwner {
        #[arg(long)]
        username: String,
        #[arg(long, env = "PANELOPS_OWNER_PASSWORD")]
        password: String,
    },
    /// The console's admin API keys.
    ApiKey {
        #[command(subcommand)]
        which: ApiKeyCommand,
    },
    /// Print what a service name promises (speed per day, refill, start) as JSON.
    ServiceName {
        /// The service name, e.g. "Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start".
        name: String,
    },
    /// Manage panels.
    Panel {
        #[command(subcommand)]
        which: PanelCommand,
    },
    /// Sync panels now and print a per-resource summary; exits non-zero if a resource ended in error.
    Sync {
        /// Only this panel: its id or its name.
        #[arg(long)]
        panel: Option<String>,
        /// Keep going until every resource is caught up (otherwise one bounded run).
        #[arg(long)]
        until_idle: bool,
    },
    /// Run the AI reviewer once (what the schedule runs) and print what it did as JSON.
    AiReview,
    /// Alerts: run the rules and deliveries once, or manage channels.
    Alerts {
        #[command(subcommand)]
        which: AlertsCommand,
    },
    /// The reports' roll-ups (sums of the cached orders per hour or day, kept by the database itself).
    Rollups {
        #[command(subcommand)]
        which: RollupsCommand,
    },
    /// Benchmarks; each prints a table and writes it under bench-results/.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum PanelCommand {
    /// Add a panel. The URL may be pasted in any form (`https://panel.com`, `…/adminapi/v2`, `…/admin/adminapi/v2`).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        url: String,
        #[arg(long, env = "PANELOPS_ADMIN_KEY")]
        admin_key: String,
        #[arg(long, env = "PANELOPS_SERVICES_KEY")]
        services_key: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key; prints its token once (only a hash is stored) and logs `api_key.created`.
    Create {
        #[arg(long)]
        name: String,
        /// Scopes separated by commas, e.g. orders:read,orders:write.
        #[arg(long)]
        scopes: String,
        /// Panel ids separated by commas; without it the key reaches every panel.
        #[arg(long)]
        panels: Option<String>,
    },
}

// Parsed once per process: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum AlertsCommand {
    /// Evaluate every rule and deliver what is due, once (what the schedule runs every minute); prints
    /// JSON: opened, resolved, sent, failed, errors.
    Run,
    /// Manage alert channels.
    Channel {
        #[command(subcommand)]
        which: ChannelCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// Add a channel; prints its id (and a webhook's signing secret, shown only this once).
    Add {
        #[arg(long)]
        name: String,
        /// webhook, telegram, slack, discord or email.
        #[arg(long)]
        kind: String,
        /// The webhook URL (webhook, slack, discord), or the SMTP server (email):
        /// smtp://user:password@host:587?tls=required or smtps://user:password@host:465.
        #[arg(long, env = "PANELOPS_ALERT_URL")]
        url: Option<String>,
        /// The Telegram bot token.
        #[arg(long, env = "PANELOPS_ALERT_TOKEN")]
        token: Option<String>,
        /// The Telegram chat id.
        #[arg(long)]
        chat: Option<String>,
        /// The Telegram Bot API address (default https://api.telegram.org).
        #[arg(long)]
        api_base: Option<String>,
        /// Email: the sender address.
        #[arg(long)]
        from: Option<String>,
        /// Email: the recipients, separated by commas.
        #[arg(long)]
        to: Option<String>,
        /// `all`, or rule names separated by commas (service_critical, stuck_orders, provider_failing,
        /// sync_trouble, waiting_ticket, big_deposit, new_whale, risky_payment, bad_reply, rival_undercut).
        #[arg(long, default_value = "all")]
        rules: String,
        /// `all`, or panel ids separated by commas.
        #[arg(long, default_value = "all")]
        panels: String,
        /// The channel's time zone by its IANA name (Europe/Berlin), for quiet hours and digests.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// Digests: none, daily, weekly (on Mondays) or both.
        #[arg(long, default_value = "none")]
        digest: String,
        /// The local hour digests are sent at, 0–23.
        #[arg(long, default_value_t = 9)]
        digest_hour: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Release binary sizes and cold-start times of every function next to a hello-world floor.
    Startup {
        /// Starts per binary (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// End-to-end sync throughput from a simulated panel, next to the direct-insert floor; peak RSS;
    /// an idle incremental run. Run it on a release build: `cargo run --release -- bench sync`.
    Sync {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
    /// Each report's p50/p95 on a 1,000,000-order cache next to its bare SQL, and the query plans.
    /// Run it on a release build: `cargo run --release -- bench reports`.
    Reports {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
    /// `GET /orders.csv` of every order of a 1,000,000-order cache, streamed, with the peak RSS.
    /// Run it on a release build: `cargo run --release -- bench export`.
    Export {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
    /// `GET /adminapi/v2/orders?limit=1000` pages over a 1,000,000-order cache next to their bare SQL.
    /// Run it on a release build: `cargo run --release -- bench api`.
    Api {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
    /// Every page, report and admin API call over a real libSQL server (sqld) through a proxy that
    /// counts round trips and adds 10 ms to each, next to a local file; a sync's round trips per page;
    /// a cold start. Run it on a release build: `cargo run --release -- bench hosted`.
    Hosted {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
    /// Each list page's p50/p95 (first, filtered, deep, search) through the router on a 1,000,000-order
    /// cache next to its bare SQL. Run it on a release build: `cargo run --release -- bench pages`.
    Pages {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum RollupsCommand {
    /// Compare every roll-up with the orders it sums; exits non-zero when one differs.
    Verify,
    /// Sum every roll-up again from the orders, and store each catalogue service's promised speed.
    Rebuild,
}

pub async fn run(cli: Cli) -> AppResult<()> {
    match cli.command {
        Command::Serve { addr, demo } => {
            let mut config = Config::from_env()?;
            // The demo's panels, rivals and AI stand-in are simulators on loopback.
            config.allow_private_urls |= demo;
            let state = AppState::init(config).await?;
            crate::server::serve(state, addr, demo).await
        }
        Command::Migrate => {
            let config = Config::from_env()?;
            shared::fs_mode::secure_database(config.database.local_path())?;
            let db = shared::db::Db::open(&config.database).await?;
            let n = shared::db::migrate(&db).await?;
            println!("migrations applied: {n}");
            Ok(())
        }
        Command::CreateOwner { username, password } => {
            let state = AppState::init(Config::from_env()?).await?;
            let new = NewStaff {
                username: &username,
                password: &password,
                role: Role::Owner,
                all_panels: true,
                panels: &[],
                only_if_first: false,
            };
            let id = staff::create(&state.db, new).await.map_err(|e| match e {
                AppError::BadRequest(m) | AppError::Conflict(m) => AppError::BadRequest(m),
                other => other,
            })?;
            println!("owner {username} created (id {id})");
            Ok(())
        }
        Command::ApiKey { which: ApiKeyCommand::Create { name, scopes, panels } } => {
            let state = AppState::init(Config::from_env()?).await?;
            let token = crate::api_keys::create(&state, &name, &scopes, panels.as_deref()).await?;
            println!("{token}");
            Ok(())
        }
        Command::ServiceName { name } => {
            let promise = shared::domain::service_name::parse(&name);
            let json =
                serde_json::to_string_pretty(&promise).map_err(|e| AppError::internal(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
        Command::Panel { which: PanelCommand::Add { name, url, admin_key, services_key } } => {
            let state = AppState::init(Config::from_env()?).await?;
            let base_url = panels::checked_base_url(&url, state.config.allow_private_urls)
                .await
                .map_err(AppError::BadRequest)?;
            let input = PanelInput {
                name: name.trim().to_string(),
                base_url: base_url.clone(),
                status: PanelStatus::Active,
                admin_key: Some(admin_key.trim().to_string()),
                services_key: services_key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty()),
            };
            let id =
                panels::create(&state.db, &state.config.secret_key, &input).await.map_err(|e| match e {
                    AppError::Conflict(m) => AppError::BadRequest(m),
                    other => other,
                })?;
            shared::domain::sync::ensure_rows(&state.db, id).await?;
            println!("panel {name} added (id {id}): {base_url}");
            Ok(())
        }
        Command::Sync { panel, until_idle } => {
            let state = AppState::init(Config::from_env()?).await?;
            let panel = match panel {
                Some(p) => Some(panel_id(&state, &p).await?),
                None => None,
            };
            let opts = panelops_sync::RunOptions {
                panel,
                until_idle,
                force: true,
                ..panelops_sync::RunOptions::default()
            };
            let report = panelops_sync::run_with(&state, &opts).await?;
            print!("{}", crate::sync_summary::table(&report));
            match (report.errors(), report.busy()) {
                (0, 0) => Ok(()),
                (0, n) if until_idle => {
                    Err(AppError::internal(format!("{n} resource(s) were not caught up")))
                }
                (0, _) => Ok(()),
                (n, _) => Err(AppError::internal(format!("{n} resource(s) or panel(s) ended in error"))),
            }
        }
        Command::AiReview => {
            let state = AppState::init(Config::from_env()?).await?;
            let report = panelops_ai_review::run(&state).await?;
            let json = serde_json::to_string(&report).map_err(|e| AppError::internal(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
        Command::Alerts { which: AlertsCommand::Run } => {
            let state = AppState::init(Config::from_env()?).await?;
            let report = panelops_reports::alerts::run(&state).await?;
            let json = serde_json::to_string(&report).map_err(|e| AppError::internal(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
        Command::Alerts { which: AlertsCommand::Channel { which } } => {
            let state = AppState::init(Config::from_env()?).await?;
            crate::alert_channels::run(&state, which).await
        }
        Command::Rollups { which } => {
            use shared::cache::rollups;
            let state = AppState::init(Config::from_env()?).await?;
            let conn = state.db.connect().await?;
            if matches!(which, RollupsCommand::Rebuild) {
                let services = rollups::rebuild(&conn).await?;
                println!("roll-ups summed again from the orders; speeds stored for {services} services");
            }
            let drift = rollups::verify(&conn).await?;
            for d in &drift {
                println!(
                    "{}: {}",
                    d.table,
                    if d.buckets == 0 {
                        "exact".to_string()
                    } else {
                        format!("{} buckets differ", d.buckets)
                    }
                );
            }
            match drift.iter().map(|d| d.buckets).sum::<i64>() {
                0 => Ok(()),
                n => Err(AppError::internal(format!(
                    "{n} roll-up buckets differ from the orders: run `panelops rollups rebuild`"
                ))),
            }
        }
        Command::Bench { which: BenchCommand::Startup { runs } } => crate::bench::startup(runs).await,
        Command::Bench { which: BenchCommand::Sync { orders } } => crate::bench::sync(orders).await,
        Command::Bench { which: BenchCommand::Reports { orders } } => crate::bench::reports(orders).await,
        Command::Bench { which: BenchCommand::Api { orders } } => crate::bench::api(orders).await,
        Command::Bench { which: BenchCommand::Export { orders } } => crate::bench::export(orders).await,
        Command::Bench { which: BenchCommand::Pages { orders } } => crate::bench::pages(orders).await,
        Command::Bench { which: BenchCommand::Hosted { orders } } => crate::bench::hosted(orders).await,
    }
}

/// A panel named on the command line by id or by the name it was added with.
async fn panel_id(state: &AppState, given: &str) -> AppResult<i64> {
    let all = panels::list(&state.db, &shared::auth::PanelScope::All).await?;
    all.iter()
        .find(|p| given.parse::<i64>().is_ok_and(|id| id == p.id))
        .or_else(|| all.iter().find(|p| p.name == given))
        .or_else(|| all.iter().find(|p| p.name.eq_ignore_ascii_case(given)))
        .map(|p| p.id)
        .ok_or_else(|| {
            let names: Vec<String> = all.iter().map(|p| format!("{} ({})", p.id, p.name)).collect();
            AppError::BadRequest(format!("no panel {given:?}; panels: {}", names.join(", ")))
        })
}
