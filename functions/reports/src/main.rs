//! Lambda entry for the reports: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    lambda_http::run(reports::app(&state)).await
}
