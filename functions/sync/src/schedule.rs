//! Keeping the wake-up schedule in step with Settings → Sync: after a run, the sync compares the
//! shortest enabled interval with the period it last applied and, when they differ, updates the
//! schedule (EventBridge Scheduler on AWS, the timer locally).

use libsql::params;

use shared::domain::sync as sync_state;
use shared::schedule::{period_for, BoxFuture, SyncSchedule};
use shared::{AppError, AppResult, AppState};

const APPLIED_KEY: &str = "sync.schedule_secs";

async fn applied(state: &AppState) -> AppResult<Option<u64>> {
    let conn = state.db.connect().await?;
    let mut rows = conn.query("SELECT value FROM settings WHERE key = ?1", params![APPLIED_KEY]).await?;
    Ok(match rows.next().await? {
        Some(r) => r.get::<String>(0)?.parse().ok(),
        None => None,
    })
}

/// Applies the period the intervals call for, if it changed; returns the period now in force.
pub async fn reconcile(state: &AppState, schedule: &dyn SyncSchedule) -> AppResult<u64> {
    let want = period_for(sync_state::shortest_interval(&state.db).await?);
    if applied(state).await? == Some(want) {
        return Ok(want);
    }
    schedule.set_every(want).await?;
    let conn = state.db.connect().await?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![APPLIED_KEY, want.to_string()],
    )
    .await?;
    tracing::info!(every_secs = want, "sync schedule updated");
    Ok(want)
}

/// The EventBridge Scheduler schedule that invokes this function.
pub struct AwsSchedule {
    client: aws_sdk_scheduler::Client,
    name: String,
    group: Option<String>,
}

impl AwsSchedule {
    /// From the Lambda environment: `PANELOPS_SYNC_SCHEDULE` (name, from the template), the region and
    /// the function role's credentials. None outside AWS.
    pub fn from_env() -> Option<AwsSchedule> {
        let name = std::env::var("PANELOPS_SYNC_SCHEDULE").ok().filter(|s| !s.is_empty())?;
        let region = std::env::var("AWS_REGION").ok()?;
        let creds = aws_credential_types::Credentials::new(
            std::env::var("AWS_ACCESS_KEY_ID").ok()?,
            std::env::var("AWS_SECRET_ACCESS_KEY").ok()?,
            std::env::var("AWS_SESSION_TOKEN").ok(),
            None,
            "lambda-environment",
        );
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_sdk_scheduler::Config::builder()
            .behavior_version(aws_sdk_scheduler::config::BehaviorVersion::latest())
            .region(aws_sdk_scheduler::config::Region::new(region))
            .credentials_provider(creds)
            .http_client(http)
            .build();
        Some(AwsSchedule {
            client: aws_sdk_scheduler::Client::from_conf(config),
            name,
            group: std::env::var("PANELOPS_SYNC_SCHEDULE_GROUP").ok().filter(|s| !s.is_empty()),
        })
    }
}

impl SyncSchedule for AwsSchedule {
    fn set_every(&self, secs: u64) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let fail = |e: String| AppError::internal(format!("updating the sync schedule failed: {e}"));
            // update_schedule replaces every field: start from the schedule as it is.
            let current = self
                .client
                .get_schedule()
                .name(&self.name)
                .set_group_name(self.group.clone())
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            let minutes = (secs / 60).max(1);
            let expression =
                if minutes == 1 { "rate(1 minute)".to_string() } else { format!("rate({minutes} minutes)") };
            self.client
                .update_schedule()
                .name(&self.name)
                .set_group_name(current.group_name().map(str::to_string))
                .schedule_expression(expression)
                .set_schedule_expression_timezone(current.schedule_expression_timezone().map(str::to_string))
                .set_start_date(current.start_date().cloned())
                .set_end_date(current.end_date().cloned())
                .set_description(current.description().map(str::to_string))
                .set_state(current.state().cloned())
                .set_kms_key_arn(current.kms_key_arn().map(str::to_string))
                .set_target(current.target().cloned())
                .set_flexible_time_window(current.flexible_time_window().cloned())
                .set_action_after_completion(current.action_after_completion().cloned())
                .send()
                .await
                .map_err(|e| fail(e.to_string()))?;
            Ok(())
        })
    }
}
