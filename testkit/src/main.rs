//! `panel-sim`: one simulated panel on a port, for manual testing and benchmarks.

use std::net::SocketAddr;

use clap::Parser;

#[derive(Parser)]
#[command(about = "A simulated Perfect Panel (admin API v2 and public API v2)")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8700")]
    addr: SocketAddr,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 20_000)]
    orders: u64,
    /// Answer 429 above 5 requests per second, as real panels do.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    rate_limit: bool,
    /// Let the simulated clock follow the wall clock (orders progress, new ones arrive); `false` keeps
    /// the panel as it was at start, for measuring a sync run when nothing changed.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    live_clock: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let cfg = testkit::SimConfig::new(args.seed, args.orders, chrono::Utc::now().timestamp());
    let sim = testkit::SimHandle::start_on(cfg, args.live_clock, args.addr).await?;
    sim.faults(|f| f.rate_limit = args.rate_limit);
    println!("simulated panel at {}", sim.base_url);
    println!("admin API key:    {}", sim.admin_key);
    println!("services API key: {}", sim.services_key);
    tokio::signal::ctrl_c().await
}
