//! A rival's catalogue with history. Each sync hands over the whole catalogue; only differences from
//! the current versions are written: a new service opens a version, a changed one closes its version
//! and opens another, a vanished one closes its version. The catalogue at any past time `t` is then
//! exactly the versions with `valid_from <= t < valid_to` (or no `valid_to`).

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::Serialize;

use crate::db::{opt_i64, opt_text, read_all, Conn, Db, Read, Reads, Rows, Stmt};
use crate::error::AppResult;
use crate::pp::rows::{ServiceRow, ServiceTerms};

/// One state of one rival service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Version {
    pub service_id: i64,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    #[serde(flatten)]
    pub terms: ServiceTerms,
}

/// A version reads as its terms (`v.rate`).
impl std::ops::Deref for Version {
    type Target = ServiceTerms;
    fn deref(&self) -> &ServiceTerms {
        &self.terms
    }
}

impl Version {
    /// Same stored fields (times aside): no new version needed.
    fn same_as(&self, s: &ServiceRow) -> bool {
        self.terms == s.terms
    }
}

/// What one snapshot changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotChanges {
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
    pub unchanged: i64,
}

impl SnapshotChanges {
    pub fn rows_written(&self) -> i64 {
        self.added + self.changed + self.removed
    }
}

pub(crate) const COLUMNS: &str =
    "service_id, valid_from, valid_to, name, type, category, rate, min, max, refill, cancel";

pub(crate) fn from_row(r: &crate::db::Row) -> AppResult<Version> {
    let b = |i: i32| -> AppResult<Option<bool>> { Ok(opt_i64(r, i)?.map(|v| v != 0)) };
    Ok(Version {
        service_id: r.get(0)?,
        valid_from: r.get(1)?,
        valid_to: opt_i64(r, 2)?,
        terms: ServiceTerms {
            name: r.get(3)?,
            kind: opt_text(r, 4)?,
            category: opt_text(r, 5)?,
            rate: opt_i64(r, 6)?,
            min: opt_i64(r, 7)?,
            max: opt_i64(r, 8)?,
            refill: b(9)?,
            cancel: b(10)?,
        },
    })
}

async fn collect(mut rows: crate::db::Rows) -> AppResult<Vec<Version>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(from_row(&r)?);
    }
    Ok(out)
}

fn opt_b(v: Option<bool>) -> Option<i64> {
    v.map(|b| b as i64)
}

/// Writes the catalogue seen at `at` as changes against the current versions, in one write batch with
/// `then` (the sync's position and counts). A service listed twice counts once (the last row wins).
/// Never before the newest stored version: a clock step back cannot reorder history.
pub async fn apply_snapshot(
    conn: &Conn,
    competitor_id: i64,
    at: i64,
    rows: &[ServiceRow],
    then: Vec<Stmt>,
) -> AppResult<(SnapshotChanges, Vec<Rows>)> {
    let mut reads = Reads::new();
    let current = reads.add(
        Stmt::new(
            format!(
                "SELECT {COLUMNS} FROM competitor_services WHERE competitor_id = ?1 AND valid_to IS NULL"
            ),
            params![competitor_id],
        ),
        from_row,
    );
    let newest = reads.add(
        Stmt::new(
            "SELECT MAX(valid_from) FROM competitor_services WHERE competitor_id = ?1",
            params![competitor_id],
        ),
        |r| Ok(opt_i64(r, 0)?),
    );
    let mut done = reads.run(conn).await?;
    let current: HashMap<i64, Version> =
        done.all(current).await?.into_iter().map(|v| (v.service_id, v)).collect();
    let at = at.max(done.first(newest).await?.flatten().unwrap_or(at));
    let incoming: BTreeMap<i64, &ServiceRow> = rows.iter().map(|s| (s.id, s)).collect();
    let mut ch = SnapshotChanges::default();
    let mut stmts = Vec::new();
    // A version that began this same second was never observable on its own: replaced, not closed.
    let end = |stmts: &mut Vec<Stmt>, id: i64, v: &Version| {
        stmts.push(if v.valid_from >= at {
            delete_version(competitor_id, id, v.valid_from)
        } else {
            close(competitor_id, id, at)
        })
    };
    for (id, s) in &incoming {
        match current.get(id) {
            Some(v) if v.same_as(s) => ch.unchanged += 1,
            Some(v) => {
                ch.changed += 1;
                end(&mut stmts, *id, v);
                stmts.push(insert(competitor_id, at, s));
            }
            None => {
                ch.added += 1;
                stmts.push(insert(competitor_id, at, s));
            }
        }
    }
    for (id, v) in &current {
        if !incoming.contains_key(id) {
            ch.removed += 1;
            end(&mut stmts, *id, v);
        }
    }
    let written = stmts.len();
    stmts.extend(then);
    let mut results = conn.write_batch(stmts).await?;
    Ok((ch, results.split_off(written)))
}

fn insert(competitor_id: i64, at: i64, s: &ServiceRow) -> Stmt {
    Stmt::new(
        "INSERT INTO competitor_services (competitor_id, service_id, valid_from, valid_to, name, type, category,
                                          rate, min, max, refill, cancel)
         VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (competitor_id, service_id, valid_from) DO UPDATE SET valid_to = NULL, name = excluded.name,
            type = excluded.type, category = excluded.category, rate = excluded.rate, min = excluded.min,
            max = excluded.max, refill = excluded.refill, cancel = excluded.cancel",
        params![
            competitor_id,
            s.id,
            at,
            s.name.as_str(),
            s.kind.as_deref(),
            s.category.as_deref(),
            s.rate,
            s.min,
            s.max,
            opt_b(s.refill),
            opt_b(s.cancel)
        ],
    )
}

fn close(competitor_id: i64, service_id: i64, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE competitor_services SET valid_to = ?1 WHERE competitor_id = ?2 AND service_id = ?3 AND valid_to IS NULL",
        params![at, competitor_id, service_id],
    )
}

fn delete_version(competitor_id: i64, service_id: i64, from: i64) -> Stmt {
    Stmt::new(
        "DELETE FROM competitor_services WHERE competitor_id = ?1 AND service_id = ?2 AND valid_from = ?3",
        params![competitor_id, service_id, from],
    )
}

/// The catalogue as it was at `t`, by service id.
pub async fn as_of(db: &Db, competitor_id: i64, t: i64) -> AppResult<Vec<Version>> {
    let conn = db.connect().await?;
    collect(
        conn.query(
            &format!(
                "SELECT {COLUMNS} FROM competitor_services
                 WHERE competitor_id = ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)
                 ORDER BY service_id"
            ),
            params![competitor_id, t],
        )
        .await?,
    )
    .await
}

/// The current catalogue (same as `as_of(now)`, through the partial index).
pub async fn current(db: &Db, competitor_id: i64) -> AppResult<Vec<Version>> {
    Ok(read_all(&db.connect().await?, |r| current_of(r, &[competitor_id]))
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// The live catalogues of several competitors, as (competitor, version), by competitor and service.
pub fn current_of(reads: &mut Reads, competitors: &[i64]) -> Read<(i64, Version)> {
    let list = serde_json::to_string(competitors).unwrap_or_else(|_| "[]".into());
    reads.add(
        Stmt::new(
            format!(
                "SELECT {COLUMNS}, competitor_id FROM competitor_services
                 WHERE competitor_id IN (SELECT value FROM json_each(?1)) AND valid_to IS NULL
                 ORDER BY competitor_id, service_id"
            ),
            params![list],
        ),
        |r| Ok((r.get(11)?, from_row(r)?)),
    )
}

/// Every version of one service that overlaps `[from, to]`, oldest first: its price line in a chart.
pub async fn history(
    db: &Db,
    competitor_id: i64,
    service_id: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<Version>> {
    let conn = db.connect().await?;
    collect(
        conn.query(
            &format!(
                "SELECT {COLUMNS} FROM competitor_services
                 WHERE competitor_id = ?1 AND service_id = ?2 AND valid_from <= ?4 AND (valid_to IS NULL OR valid_to > ?3)
                 ORDER BY valid_from"
            ),
            params![competitor_id, service_id, from, to],
        )
        .await?,
    )
    .await
}

/// When the first catalogue of this competitor was stored (None: never synced).
pub async fn history_starts(db: &Db, competitor_id: i64) -> AppResult<Option<i64>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT MIN(valid_from) FROM competitor_services WHERE competitor_id = ?1",
            params![competitor_id],
        )
        .await?;
    match rows.next().await? {
        Some(r) => Ok(opt_i64(&r, 0)?),
        None => Ok(None),
    }
}
