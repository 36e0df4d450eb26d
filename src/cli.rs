//! `panelops serve | migrate | create-owner | bench`.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

use shared::auth::staff::{self, NewStaff};
use shared::auth::Role;
use shared::config::Config;
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
    /// Benchmarks; each prints a table and writes it under bench-results/.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
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
}

pub async fn run(cli: Cli) -> AppResult<()> {
    match cli.command {
        Command::Serve { addr, demo } => {
            let state = AppState::init(Config::from_env()?).await?;
            crate::server::serve(state, addr, demo).await
        }
        Command::Migrate => {
            let config = Config::from_env()?;
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
        Command::Bench { which: BenchCommand::Startup { runs } } => crate::bench::startup(runs).await,
    }
}
