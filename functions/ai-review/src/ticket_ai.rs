//! Analysis and translation run on one ticket: the request to the model, the stored result.

use libsql::params;
use shared::db::Db;
use shared::{AppResult, AppState};

use crate::client::{Chat, ClientOptions, LlmError};
use crate::conversation::{transcript, Ticket};
use crate::job::record_call;
use crate::prompts::{fill_analysis, NamedPrompt};
use crate::settings::AiSettings;

/// What to run on a ticket.
pub enum Task<'a> {
    /// The AI Analysis prompt of AI settings (blank = built-in default).
    Analysis,
    /// A named prompt from AI prompts.
    Prompt(&'a NamedPrompt),
    /// The conversation into the Translation language.
    Translate,
    /// A staff draft into the customer's language.
    TranslateDraft(&'a str),
}

impl Task<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::Analysis => "analysis",
            Task::Prompt(_) => "prompt",
            Task::Translate => "translate",
            Task::TranslateDraft(_) => "translate-draft",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StoredResult {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub model: String,
    pub output: String,
    pub tokens: i64,
    pub created_at: i64,
}

/// (title, model, system, user) for a task.
fn request(cfg: &AiSettings, ticket: &Ticket, task: &Task<'_>) -> (String, String, String, String) {
    let conv = transcript(&ticket.messages, 40);
    let model = cfg.model.clone();
    match task {
        Task::Analysis => (
            "AI analysis".into(),
            model,
            "You are an assistant for the support staff of an SMM panel. Be brief and concrete.".into(),
            fill_analysis(&cfg.analysis_prompt, &ticket.subject, &ticket.customer, &ticket.status, &conv),
        ),
        Task::Prompt(p) => (
            p.title.clone(),
            p.model.clone().filter(|m| !m.trim().is_empty()).unwrap_or(model),
            p.system_prompt.clone(),
            format!(
                "Subject: {}\nCustomer: {}\nStatus: {}\n\nConversation:\n{conv}",
                ticket.subject, ticket.customer, ticket.status
            ),
        ),
        Task::Translate => (
            format!("Translation into {}", cfg.translation_language),
            model,
            format!(
                "Translate the text into {}. Keep the [Customer] and [Staff …] labels, order ids and numbers \
                 as they are. Answer with the translation only.",
                cfg.translation_language
            ),
            conv,
        ),
        Task::TranslateDraft(draft) => {
            let customer: Vec<_> = ticket.messages.iter().filter(|m| !m.is_staff).cloned().collect();
            (
                "Draft in the customer's language".into(),
                model,
                "Translate the staff draft into the customer's language, detected from the customer's messages. \
                 Keep order ids, numbers and links. Answer with the translated draft only."
                    .into(),
                format!("Customer messages:\n{}\n\nStaff draft to translate:\n{draft}", transcript(&customer, 5)),
            )
        }
    }
}

/// Runs the task, records the call and stores the result.
pub async fn run(
    state: &AppState,
    cfg: &AiSettings,
    ticket: &Ticket,
    task: &Task<'_>,
    staff_id: i64,
) -> AppResult<Result<StoredResult, LlmError>> {
    let (title, model, system, user) = request(cfg, ticket, task);
    // API Gateway ends a request at 30 s: the model gets `ai_page_timeout` (25 s) in all, a retry after
    // a 429 or 5xx included. Long work is the scheduled reviewer's, which has minutes.
    let wait = state.config.ai_page_timeout;
    let opts = ClientOptions { timeout: wait, attempts: 2, ..ClientOptions::default() };
    let client = match cfg.client(&state.config, opts) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let chat = Chat { model: &model, system: &system, user: &user, json: false, max_tokens: 1500 };
    let answered = tokio::time::timeout(wait, client.complete(&chat)).await.unwrap_or(Err(LlmError::Timeout));
    let answer = match answered {
        Ok(a) => a,
        Err(e) => {
            record_call(&state.db, task.kind(), &model, &Default::default(), Some(&e.to_string())).await?;
            return Ok(Err(e));
        }
    };
    record_call(&state.db, task.kind(), &answer.model, &answer.usage, None).await?;
    let now = shared::time::now();
    let prompt_id = match task {
        Task::Prompt(p) => Some(p.id),
        _ => None,
    };
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO ai_results (panel_id, ticket_id, kind, prompt_id, title, model, output, tokens, staff_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            ticket.panel_id,
            ticket.id,
            task.kind(),
            prompt_id,
            title.as_str(),
            answer.model.as_str(),
            answer.content.as_str(),
            answer.usage.total(),
            staff_id,
            now
        ],
    )
    .await?;
    let id = tx.last_insert_rowid();
    tx.commit().await?;
    Ok(Ok(StoredResult {
        id,
        kind: task.kind().into(),
        title,
        model: answer.model,
        output: answer.content,
        tokens: answer.usage.total(),
        created_at: now,
    }))
}

/// Stored analyses and translations of a ticket, newest first (for the ticket page). The caller checks
/// the panel scope.
pub async fn ticket_results(
    db: &Db,
    panel_id: i64,
    ticket_id: i64,
    limit: i64,
) -> AppResult<Vec<StoredResult>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT id, kind, title, model, output, tokens, created_at FROM ai_results
             WHERE panel_id = ?1 AND ticket_id = ?2 ORDER BY id DESC LIMIT ?3",
            params![panel_id, ticket_id, limit],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(StoredResult {
            id: r.get(0)?,
            kind: r.get(1)?,
            title: r.get(2)?,
            model: r.get(3)?,
            output: r.get(4)?,
            tokens: r.get(5)?,
            created_at: r.get(6)?,
        });
    }
    Ok(out)
}
