//! By staff, summed where the messages are: each staff reply of the window with its response time (the
//! customer message right before it) and the customer messages after it (before the next staff reply),
//! by window functions over its conversation; then per staff member in SQL, with the length stored
//! with each message. Replies stored before lengths were (`plain_length` NULL) come back one by one and
//! are counted here. One round trip (the AI verdicts' counts ride in it), one row per staff member.

use std::collections::BTreeMap;

use shared::auth::PanelScope;
use shared::db::{Conn, Reads, Stmt};
use shared::domain::ai_verdicts;
use shared::domain::text::plain_text;
use shared::AppResult;

use super::{staff_score, StaffRow, TicketParams, QUICK_FIRE_CHARS, QUICK_FIRE_SECS, REPEATED_AFTER};
use crate::common::round2;

/// One staff member's replies, summed.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    replies: i64,
    length: i64,
    response_total: i64,
    responses: i64,
    quick_fires: i64,
    repeated: i64,
}

/// The replies of the window (`r`: staff, plain_length, body when no length is stored, resp,
/// customer_after). `staff_name`'s rule in SQL: the trimmed sender, else "(unnamed staff)".
fn replies_cte(sc: &str) -> String {
    format!(
        "WITH t AS (SELECT DISTINCT panel_id, ticket_id FROM ticket_messages
                WHERE {sc} AND is_staff = 1 AND created >= ?1 AND created <= ?2),
         m1 AS (SELECT m.is_staff, m.sender_name, m.created, m.plain_length, m.panel_id, m.ticket_id,
                CASE WHEN m.plain_length IS NULL AND m.is_staff = 1 THEN m.message END AS body,
                ROW_NUMBER() OVER w AS pos, COUNT(*) OVER (PARTITION BY m.panel_id, m.ticket_id) AS total,
                LAG(m.is_staff) OVER w AS prev_staff, LAG(m.created) OVER w AS prev_created
             FROM t JOIN ticket_messages m ON m.panel_id = t.panel_id AND m.ticket_id = t.ticket_id
             WINDOW w AS (PARTITION BY m.panel_id, m.ticket_id ORDER BY m.created, m.seq)),
         m2 AS (SELECT *, MIN(CASE WHEN is_staff = 1 THEN pos END) OVER (PARTITION BY panel_id, ticket_id ORDER BY pos
                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_staff FROM m1),
         r AS (SELECT COALESCE(NULLIF(TRIM(sender_name, ' ' || char(9, 10, 11, 12, 13)), ''), '(unnamed staff)') AS staff,
                plain_length, body, CASE WHEN prev_staff = 0 THEN created - prev_created END AS resp,
                COALESCE(next_staff, total + 1) - pos - 1 AS customer_after
             FROM m2 WHERE is_staff = 1 AND created >= ?1 AND created <= ?2)"
    )
}

/// Per staff member: replies, lengths and the flags, from the replies' stored lengths; and the
/// replies without one.
pub async fn by_staff_sums(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffRow>> {
    let sc = scope.sql("panel_id", p.panel);
    let with = replies_cte(&sc);
    let window: Vec<libsql::Value> = vec![(now - p.window_hours * 3600).into(), now.into()];
    let summed = format!(
        "{with} SELECT staff, COUNT(*), SUM(plain_length), COALESCE(SUM(resp), 0), COUNT(resp),
            SUM(plain_length < {QUICK_FIRE_CHARS} OR (resp IS NOT NULL AND resp < {QUICK_FIRE_SECS})),
            SUM(customer_after >= {REPEATED_AFTER})
         FROM r WHERE plain_length IS NOT NULL GROUP BY staff"
    );
    let legacy = format!("{with} SELECT staff, body, resp, customer_after FROM r WHERE plain_length IS NULL");
    let mut reads = Reads::new();
    let summed = reads.add(Stmt::new(summed, window.clone()), |r| {
        let s = Sums {
            replies: r.get(1)?,
            length: r.get(2)?,
            response_total: r.get(3)?,
            responses: r.get(4)?,
            quick_fires: r.get(5)?,
            repeated: r.get(6)?,
        };
        Ok((r.get::<String>(0)?, s))
    });
    let legacy = reads.add(Stmt::new(legacy, window), |r| {
        let body = shared::db::opt_text(r, 1)?.unwrap_or_default();
        Ok((r.get::<String>(0)?, body, shared::db::opt_i64(r, 2)?, r.get::<i64>(3)?))
    });
    // The AI reviewer's verdicts on the window's replies, in the same round trip (its end is exclusive).
    let verdicts = ai_verdicts::counts_read(&mut reads, scope, p.panel, now - p.window_hours * 3600, now + 1);
    let mut done = reads.run(conn).await?;
    let ai = super::by_report_name(ai_verdicts::fold(done.all(verdicts).await?));
    let mut by: BTreeMap<String, Sums> = done.all(summed).await?.into_iter().collect();
    for (staff, body, resp, customer_after) in done.all(legacy).await? {
        let length = plain_text(&body).chars().count();
        let s = by.entry(staff).or_default();
        s.replies += 1;
        s.length += length as i64;
        if let Some(secs) = resp {
            s.response_total += secs;
            s.responses += 1;
        }
        s.quick_fires += i64::from(length < QUICK_FIRE_CHARS || resp.is_some_and(|x| x < QUICK_FIRE_SECS));
        s.repeated += i64::from(customer_after >= REPEATED_AFTER as i64);
    }
    let mut out: Vec<StaffRow> = by
        .into_iter()
        .map(|(staff, s)| {
            let v = ai.get(&staff).copied().unwrap_or_default();
            StaffRow {
                replies: s.replies,
                avg_length: round2(s.length as f64 / s.replies.max(1) as f64),
                avg_response_seconds: (s.responses > 0)
                    .then(|| round2(s.response_total as f64 / s.responses as f64)),
                quick_fires: s.quick_fires,
                repeated: s.repeated,
                score: staff_score(s.replies, s.quick_fires, s.repeated),
                ai_good: v.good,
                ai_mediocre: v.mediocre,
                ai_bad: v.bad,
                staff,
            }
        })
        .collect();
    out.sort_by(|a, b| b.replies.cmp(&a.replies).then(a.staff.cmp(&b.staff)));
    Ok(out)
}
