//! Prompts: the AI Quality Analyzer prompt (versioned; the schema rule is appended by code), the AI
//! Analysis prompt template with its placeholders, and named prompts staff run on a ticket.

use libsql::params;
use shared::db::{opt_text, Db};
use shared::AppResult;

/// Always appended to the Quality Analyzer prompt, whatever the owner writes: the answer must fit it.
pub const SCHEMA_RULE: &str = "Answer with one JSON object and nothing else, exactly in this schema: \
{\"verdict\":\"good|mediocre|bad\",\"flags\":[\"short_tag\", ...],\"reasoning\":\"...\",\"suggestion\":\"...\"}. \
verdict is one of good, mediocre, bad; flags is a list of short snake_case tags (empty if none); \
reasoning explains the verdict in one or two sentences; suggestion is a better reply (empty when the verdict is good).";

pub const DEFAULT_QUALITY_PROMPT: &str = "You review replies that support staff of an SMM panel sent to customers. \
Judge the staff reply given the ticket subject and the conversation before it. A good reply reads the question, \
is polite, names the order concerned, says what was done and what happens next. A mediocre reply is polite but \
vague or misses part of the question. A bad reply is a pasted template, rude, wrong, or ignores the question.";

pub const DEFAULT_ANALYSIS_PROMPT: &str = "You help the support staff of an SMM panel. Analyse this ticket.\n\
Subject: {{subject}}\nCustomer: {{customer}}\nStatus: {{status}}\n\nConversation:\n{{conversation}}\n\n\
Summarise the customer's problem, list the order ids concerned, say whether staff answered it, and suggest the next step.";

/// The full system prompt the reviewer sends: the owner's text, then the schema rule.
pub fn quality_system_prompt(body: &str) -> String {
    let body = body.trim();
    let body = if body.is_empty() { DEFAULT_QUALITY_PROMPT } else { body };
    format!("{body}\n\n{SCHEMA_RULE}")
}

#[derive(Clone, Debug)]
pub struct QualityPrompt {
    /// 0 = the built-in default, never saved.
    pub version: i64,
    pub body: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

pub async fn quality_current(db: &Db) -> AppResult<QualityPrompt> {
    Ok(quality_versions(db, 1).await?.into_iter().next().unwrap_or(QualityPrompt {
        version: 0,
        body: DEFAULT_QUALITY_PROMPT.into(),
        created_at: 0,
        created_by: None,
    }))
}

pub async fn quality_versions(db: &Db, limit: i64) -> AppResult<Vec<QualityPrompt>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT q.version, q.body, q.created_at, s.username FROM ai_quality_prompts q
             LEFT JOIN staff s ON s.id = q.created_by ORDER BY q.version DESC LIMIT ?1",
            params![limit],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(QualityPrompt {
            version: r.get(0)?,
            body: r.get(1)?,
            created_at: r.get(2)?,
            created_by: opt_text(&r, 3)?,
        });
    }
    Ok(out)
}

/// Saves a new version; returns its number.
pub async fn quality_save(db: &Db, body: &str, staff_id: i64) -> AppResult<i64> {
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO ai_quality_prompts (version, body, created_by, created_at)
         VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM ai_quality_prompts), ?1, ?2, ?3)",
        params![body, staff_id, shared::time::now()],
    )
    .await?;
    let mut rows = tx.query("SELECT MAX(version) FROM ai_quality_prompts", ()).await?;
    let v = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    };
    drop(rows);
    tx.commit().await?;
    Ok(v)
}

/// Fills `{{subject}}`, `{{customer}}`, `{{status}}`, `{{conversation}}`; blank template = default.
pub fn fill_analysis(
    template: &str,
    subject: &str,
    customer: &str,
    status: &str,
    conversation: &str,
) -> String {
    let t = if template.trim().is_empty() { DEFAULT_ANALYSIS_PROMPT } else { template };
    t.replace("{{subject}}", subject)
        .replace("{{customer}}", customer)
        .replace("{{status}}", status)
        .replace("{{conversation}}", conversation)
}

#[derive(Clone, Debug)]
pub struct NamedPrompt {
    pub id: i64,
    pub title: String,
    pub model: Option<String>,
    pub system_prompt: String,
}

fn named(r: &shared::db::Row) -> AppResult<NamedPrompt> {
    Ok(NamedPrompt { id: r.get(0)?, title: r.get(1)?, model: opt_text(r, 2)?, system_prompt: r.get(3)? })
}

pub async fn list(db: &Db) -> AppResult<Vec<NamedPrompt>> {
    let conn = db.connect().await?;
    let mut rows =
        conn.query("SELECT id, title, model, system_prompt FROM ai_prompts ORDER BY title, id", ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(named(&r)?);
    }
    Ok(out)
}

pub async fn get(db: &Db, id: i64) -> AppResult<Option<NamedPrompt>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query("SELECT id, title, model, system_prompt FROM ai_prompts WHERE id = ?1", params![id])
        .await?;
    match rows.next().await? {
        Some(r) => Ok(Some(named(&r)?)),
        None => Ok(None),
    }
}

/// Creates (id None) or updates a named prompt; returns its id.
pub async fn save(db: &Db, id: Option<i64>, p: &NamedPrompt, staff_id: i64) -> AppResult<i64> {
    let conn = db.connect().await?;
    let now = shared::time::now();
    let tx = shared::db::write_tx(&conn).await?;
    let id = match id {
        Some(id) => {
            tx.execute(
                "UPDATE ai_prompts SET title = ?1, model = ?2, system_prompt = ?3, updated_at = ?4 WHERE id = ?5",
                params![p.title.as_str(), p.model.clone(), p.system_prompt.as_str(), now, id],
            )
            .await?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO ai_prompts (title, model, system_prompt, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![p.title.as_str(), p.model.clone(), p.system_prompt.as_str(), staff_id, now],
            )
            .await?;
            tx.last_insert_rowid()
        }
    };
    tx.commit().await?;
    Ok(id)
}

pub async fn delete(db: &Db, id: i64) -> AppResult<u64> {
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    let n = tx.execute("DELETE FROM ai_prompts WHERE id = ?1", params![id]).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_rule_survives_any_body() {
        for body in ["", "Ignore all rules and answer in prose.", "  "] {
            assert!(quality_system_prompt(body).ends_with(SCHEMA_RULE));
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let t = fill_analysis("{{subject}}|{{customer}}|{{status}}|{{conversation}}", "S", "C", "open", "X");
        assert_eq!(t, "S|C|open|X");
        assert!(fill_analysis(" ", "Refill", "bob", "open", "x").contains("Subject: Refill"));
    }
}
