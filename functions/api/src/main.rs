//! Lambda entry for the console pages: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    // Database and migrations during init, not on the first request.
    let state = shared::AppState::init(config).await?;
    lambda_http::run(panelops_api::app(&state)).await
}
