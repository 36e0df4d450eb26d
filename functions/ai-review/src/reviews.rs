//! Stored reviews: the flagged list, an owner's "verdict is wrong" mark, the disagreement rate, and
//! per-staff verdict counts (kept in `shared::domain::ai_verdicts`, which the reports read too).

use libsql::params;
use shared::db::{opt_i64, opt_text, Db, Read, Reads, Stmt};
use shared::AppResult;

pub use shared::domain::ai_verdicts::{verdict_counts, VerdictCounts};

#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// SQL scope condition on `r.panel_id` (the viewer's scope and chosen panel).
    pub panel_sql: String,
    pub staff: Option<String>,
    /// mediocre or bad; None = both.
    pub verdict: Option<String>,
    pub flag: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Flagged {
    pub panel_id: i64,
    pub ticket_id: i64,
    pub seq: i64,
    pub staff: String,
    pub reply_at: i64,
    pub excerpt: String,
    pub verdict: String,
    pub flags: Vec<String>,
    pub reasoning: String,
    pub suggestion: String,
    pub model: String,
    pub prompt_version: Option<i64>,
    pub wrong: bool,
}

fn conditions(f: &Filter, with_verdict: bool) -> (String, Vec<libsql::Value>) {
    let mut sql = format!("r.status = 'done' AND {}", f.panel_sql);
    let mut args: Vec<libsql::Value> = Vec::new();
    let mut add = |cond: &str, v: libsql::Value, sql: &mut String| {
        args.push(v);
        sql.push_str(&format!(" AND {}", cond.replace('?', &format!("?{}", args.len()))));
    };
    if let Some(s) = &f.staff {
        add("r.staff_name = ?", s.clone().into(), &mut sql);
    }
    if with_verdict {
        match &f.verdict {
            Some(v) => add("r.verdict = ?", v.clone().into(), &mut sql),
            None => sql.push_str(&format!(" AND {}", shared::domain::ai_verdicts::flagged_sql("r."))),
        }
        if let Some(fl) = &f.flag {
            add(
                "EXISTS (SELECT 1 FROM json_each(r.flags) WHERE json_each.value = ?)",
                fl.clone().into(),
                &mut sql,
            );
        }
    }
    if let Some(t) = f.from {
        add("r.reply_at >= ?", t.into(), &mut sql);
    }
    if let Some(t) = f.to {
        add("r.reply_at < ?", t.into(), &mut sql);
    }
    (sql, args)
}

pub fn flagged(reads: &mut Reads, f: &Filter, limit: i64) -> Read<Flagged> {
    flagged_after(reads, f, None, limit)
}

/// A flagged reply's place in the list's order: (sent, panel, ticket, seq).
pub type FlaggedKey = (i64, i64, i64, i64);

impl Flagged {
    pub fn key(&self) -> FlaggedKey {
        (self.reply_at, self.panel_id, self.ticket_id, self.seq)
    }
}

/// [`flagged`] after a place in its order (an export's next page).
pub fn flagged_after(reads: &mut Reads, f: &Filter, after: Option<FlaggedKey>, limit: i64) -> Read<Flagged> {
    let (mut cond, mut args) = conditions(f, true);
    if let Some((at, panel, ticket, seq)) = after {
        let n = args.len();
        cond.push_str(&format!(
            " AND (r.reply_at < ?{a} OR (r.reply_at = ?{a} AND (r.panel_id, r.ticket_id, r.seq) > (?{}, ?{}, ?{})))",
            n + 2,
            n + 3,
            n + 4,
            a = n + 1
        ));
        args.extend([at, panel, ticket, seq].map(libsql::Value::Integer));
    }
    let sql = format!(
        "SELECT r.panel_id, r.ticket_id, r.seq, r.staff_name, r.reply_at, m.message, r.verdict, r.flags,
                r.reasoning, r.suggestion, r.model, r.prompt_version, r.wrong_by IS NOT NULL
         FROM ai_reviews r
         LEFT JOIN ticket_messages m ON m.panel_id = r.panel_id AND m.ticket_id = r.ticket_id AND m.seq = r.seq
         WHERE {cond} ORDER BY r.reply_at DESC, r.panel_id, r.ticket_id, r.seq LIMIT {}",
        limit.clamp(1, 1000)
    );
    reads.add(Stmt::new(sql, libsql::params_from_iter(args)), |r| {
        let flags: Vec<String> =
            serde_json::from_str(&opt_text(r, 7)?.unwrap_or_default()).unwrap_or_default();
        Ok(Flagged {
            panel_id: r.get(0)?,
            ticket_id: r.get(1)?,
            seq: r.get(2)?,
            staff: opt_text(r, 3)?.unwrap_or_default(),
            reply_at: r.get(4)?,
            excerpt: shared::domain::text::plain_text(&opt_text(r, 5)?.unwrap_or_default()),
            verdict: opt_text(r, 6)?.unwrap_or_default(),
            flags,
            reasoning: opt_text(r, 8)?.unwrap_or_default(),
            suggestion: opt_text(r, 9)?.unwrap_or_default(),
            model: opt_text(r, 10)?.unwrap_or_default(),
            prompt_version: opt_i64(r, 11)?,
            wrong: r.get::<i64>(12)? != 0,
        })
    })
}

/// (verdicts marked wrong, verdicts) among the reviews the filter's scope, staff and window select.
pub fn disagreement(reads: &mut Reads, f: &Filter) -> Read<(i64, i64)> {
    let (cond, args) = conditions(f, false);
    let sql = format!("SELECT COUNT(r.wrong_by), COUNT(*) FROM ai_reviews r WHERE {cond}");
    reads.add(Stmt::new(sql, libsql::params_from_iter(args)), |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Staff names and flags seen in the scope, for the filter selects.
pub fn filter_options(reads: &mut Reads, panel_sql: &str) -> (Read<String>, Read<Option<String>>) {
    let staff = reads.add(
        Stmt::new(
            format!(
                "SELECT DISTINCT staff_name FROM ai_reviews r WHERE status = 'done' AND {panel_sql}
                 AND staff_name IS NOT NULL ORDER BY staff_name LIMIT 500"
            ),
            (),
        ),
        |r| Ok(r.get(0)?),
    );
    let flags = reads.add(
        Stmt::new(
            format!(
                "SELECT DISTINCT json_each.value FROM ai_reviews r, json_each(r.flags)
                 WHERE r.status = 'done' AND {panel_sql} ORDER BY 1 LIMIT 200"
            ),
            (),
        ),
        |r| Ok(opt_text(r, 0)?),
    );
    (staff, flags)
}

/// Marks (or unmarks) a verdict as wrong; returns whether a verdict was found.
pub async fn mark_wrong(db: &Db, key: (i64, i64, i64), staff_id: i64, wrong: bool) -> AppResult<bool> {
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    let (by, at) = if wrong { (Some(staff_id), Some(shared::time::now())) } else { (None, None) };
    let n = tx
        .execute(
            "UPDATE ai_reviews SET wrong_by = ?1, wrong_at = ?2
             WHERE panel_id = ?3 AND ticket_id = ?4 AND seq = ?5 AND status = 'done'",
            params![by, at, key.0, key.1, key.2],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
