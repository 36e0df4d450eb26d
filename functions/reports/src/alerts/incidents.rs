//! Incidents: what the rules found becomes rows. A finding not open yet opens an incident (the
//! partial unique index makes a second run's insert find it instead), changed numbers update it, an
//! open incident its rule no longer finds is resolved. An event opens once and is closed at once.

use std::collections::{HashMap, HashSet};

use libsql::params;
use shared::db::{Conn, Reads, Row, Stmt};
use shared::AppResult;

use super::evaluate::Finding;
use super::message::Incident;
use super::rules::Rule;

/// Events are remembered this long: a payment older than the rule's day is never looked at again.
const EVENT_MEMORY_SECS: i64 = 2 * 86_400;

const COLS: &str = "id, rule, panel_id, subject, title, detail, link, opened_at, resolved_at";

pub fn from_row(r: &Row) -> AppResult<Option<Incident>> {
    let rule: String = r.get(1)?;
    // A rule this build no longer knows is left alone.
    let Some(rule) = Rule::parse(&rule) else { return Ok(None) };
    Ok(Some(Incident {
        id: r.get(0)?,
        rule,
        panel_id: r.get(2)?,
        subject: r.get(3)?,
        title: r.get(4)?,
        detail: r.get(5)?,
        link: r.get(6)?,
        opened_at: r.get(7)?,
        resolved_at: shared::db::opt_i64(r, 8)?,
    }))
}

/// Open incidents and those resolved (or, for events, opened) since `since`. No ORDER BY: with one,
/// SQLite walks the whole table in id order instead of the two ranges of `alert_incidents_resolved`.
pub fn recent_read(reads: &mut Reads, since: i64) -> shared::db::Read<Option<Incident>> {
    reads.add(
        Stmt::new(
            format!("SELECT {COLS} FROM alert_incidents WHERE resolved_at IS NULL OR resolved_at >= ?1"),
            params![since],
        ),
        from_row,
    )
}

type Key = (Rule, i64, String);

/// Applies the findings; (opened, resolved) counts.
pub async fn apply(conn: &Conn, findings: &[Finding], now: i64) -> AppResult<(usize, usize)> {
    let mut reads = Reads::new();
    let known = recent_read(&mut reads, now - EVENT_MEMORY_SECS);
    let known: Vec<Incident> = reads.run(conn).await?.all(known).await?.into_iter().flatten().collect();
    let open: HashMap<Key, &Incident> = known
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .map(|i| ((i.rule, i.panel_id, i.subject.clone()), i))
        .collect();
    let events: HashSet<Key> = known
        .iter()
        .filter(|i| !i.rule.resolves())
        .map(|i| (i.rule, i.panel_id, i.subject.clone()))
        .collect();

    let mut stmts = Vec::new();
    let mut inserts = Vec::new();
    let mut found: HashSet<Key> = HashSet::new();
    for f in findings {
        let key = (f.rule, f.panel_id, f.subject.clone());
        if !found.insert(key.clone()) {
            continue;
        }
        if !f.rule.resolves() {
            if events.contains(&key) {
                continue;
            }
            // Once ever: another run may have opened it since the read above.
            inserts.push(stmts.len());
            stmts.push(Stmt::new(
                "INSERT INTO alert_incidents (rule, panel_id, subject, title, detail, link, opened_at, seen_at, resolved_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7
                 WHERE NOT EXISTS (SELECT 1 FROM alert_incidents WHERE rule = ?1 AND panel_id = ?2 AND subject = ?3)
                 RETURNING id",
                params![f.rule.as_str(), f.panel_id, f.subject.as_str(), f.title.as_str(), f.detail.as_str(), f.link.as_str(), now],
            ));
            continue;
        }
        match open.get(&key) {
            Some(i) if i.title == f.title && i.detail == f.detail && i.link == f.link => {}
            Some(i) => stmts.push(Stmt::new(
                "UPDATE alert_incidents SET title = ?1, detail = ?2, link = ?3, seen_at = ?4 WHERE id = ?5",
                params![f.title.as_str(), f.detail.as_str(), f.link.as_str(), now, i.id],
            )),
            None if !f.opens => {}
            None => {
                inserts.push(stmts.len());
                stmts.push(Stmt::new(
                    "INSERT INTO alert_incidents (rule, panel_id, subject, title, detail, link, opened_at, seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                     ON CONFLICT (rule, panel_id, subject) WHERE resolved_at IS NULL DO NOTHING RETURNING id",
                    params![f.rule.as_str(), f.panel_id, f.subject.as_str(), f.title.as_str(), f.detail.as_str(), f.link.as_str(), now],
                ));
            }
        }
    }
    let mut resolves = Vec::new();
    for (key, i) in &open {
        if i.rule.resolves() && !found.contains(key) {
            resolves.push(stmts.len());
            stmts.push(Stmt::new(
                "UPDATE alert_incidents SET resolved_at = ?1 WHERE id = ?2 AND resolved_at IS NULL RETURNING id",
                params![now, i.id],
            ));
        }
    }
    if stmts.is_empty() {
        return Ok((0, 0));
    }
    let mut results = conn.write_batch(stmts).await?;
    let opened = returned(&mut results, &inserts).await?;
    let resolved = returned(&mut results, &resolves).await?;
    Ok((opened, resolved))
}

/// How many of these statements returned a row (an insert that inserted, an update that updated).
pub async fn returned(results: &mut [shared::db::Rows], at: &[usize]) -> AppResult<usize> {
    let mut n = 0;
    for i in at {
        if let Some(rows) = results.get_mut(*i) {
            if rows.next().await?.is_some() {
                n += 1;
            }
        }
    }
    Ok(n)
}
