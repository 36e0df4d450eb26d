//! One axum server with every function's routes, and the scheduled jobs on timers.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use shared::schedule::LocalSchedule;
use shared::{AppError, AppResult, AppState, Routes};

/// Every route of every function, as the local runner serves them.
pub fn routes(state: &AppState) -> Routes {
    shared::health::routes(state)
        .merge(shared::routes::static_assets(state))
        .merge(panelops_api::routes(state))
        .merge(panelops_reports::routes(state))
        .merge(panelops_ai_review::routes(state))
}

pub fn router(state: &AppState) -> Router {
    routes(state).into_router()
}

/// Binds `addr` (port 0 for a free one) and serves in the background; returns the bound address.
pub async fn spawn(
    state: &AppState,
    addr: SocketAddr,
) -> AppResult<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| AppError::Config(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok((bound, handle))
}

/// The in-process stand-in for EventBridge Scheduler: the same job entries the Lambdas run.
pub fn start_timers(state: &AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        let schedule = LocalSchedule::new(60);
        loop {
            match panelops_sync::run(&s).await {
                Ok(r) => tracing::debug!(?r, "sync run"),
                Err(e) => tracing::warn!(error = %e, "sync run failed"),
            }
            if let Err(e) = panelops_sync::schedule::reconcile(&s, &schedule).await {
                tracing::warn!(error = %e, "sync schedule not updated");
            }
            // As the EventBridge schedule would wake it, or at once after "Sync now".
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(schedule.every())) => {}
                _ = s.sync_kick.notified() => {}
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        // As the EventBridge schedule would: every minute.
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match panelops_reports::alerts::run(&s).await {
                Ok(r) => tracing::debug!(?r, "alerts run"),
                Err(e) => tracing::warn!(error = %e, "alerts run failed"),
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        // As the EventBridge schedule would (every 5 minutes on AWS); locally a little more often, so the
        // demo shows verdicts soon after its first sync. The budget bounds the cost either way.
        let mut tick = tokio::time::interval(Duration::from_secs(120));
        loop {
            tick.tick().await;
            match panelops_ai_review::run(&s).await {
                Ok(r) => tracing::debug!(?r, "ai review run"),
                Err(e) => tracing::warn!(error = %e, "ai review run failed"),
            }
        }
    });
}

pub async fn serve(state: AppState, addr: SocketAddr, demo: bool) -> AppResult<()> {
    // The simulators must outlive the server: they are the demo's panels.
    let sims = if demo { crate::demo::start_simulators().await? } else { Vec::new() };
    let login = if demo { Some(crate::demo::seed(&state, &sims).await?) } else { None };
    let (bound, handle) = spawn(&state, addr).await?;
    start_timers(&state);
    for sim in &sims {
        println!("simulated panel: {}", sim.base_url);
    }
    println!("panelops console: http://{bound}/");
    match login {
        Some(l) => {
            println!("owner login: username {}  password {}", l.username, l.password);
            for (u, role, p) in &l.others {
                println!("  {role:<6} login: username {u}  password {p}");
            }
        }
        None if shared::auth::staff::count(&state.db).await? == 0 => {
            println!("no staff yet: open http://{bound}/setup, or run `panelops create-owner`");
        }
        None => {}
    }
    tokio::select! {
        _ = handle => Ok(()),
        _ = tokio::signal::ctrl_c() => { println!("stopping"); Ok(()) }
    }
}
