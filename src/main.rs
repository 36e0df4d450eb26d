use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = panelops::cli::Cli::parse();
    shared::telemetry::init(false);
    if let Err(e) = panelops::cli::run(cli).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
