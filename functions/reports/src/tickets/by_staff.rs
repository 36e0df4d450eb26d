//! By staff, summed where the messages are: each staff reply stores its length, its response time
//! (the customer message right before it) and the customer messages after it (before the next staff
//! reply) when its conversation is stored, so the window's replies are summed per staff member in SQL
//! from the `ticket_messages_created` index. A ticket with a reply stored another way (no counts or no
//! length: `UNWORKED`) is worked out as before, by window functions over its conversation, and its
//! replies come back one by one. One round trip (the AI verdicts' counts ride in it), one row per
//! staff member.

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

/// `staff_name`'s rule in SQL: the trimmed sender, else "(unnamed staff)".
pub(super) const STAFF_SQL: &str =
    "COALESCE(NULLIF(TRIM(sender_name, ' ' || char(9, 10, 11, 12, 13)), ''), '(unnamed staff)')";

/// A staff reply the reports cannot sum as stored: its conversation was stored before the counts (or
/// the length) were, or another way. Matches the partial index `ticket_messages_unworked`.
const UNWORKED: &str = "is_staff = 1 AND (customer_after IS NULL OR plain_length IS NULL)";

/// The window's (`?1`..=`?2`) staff replies `m` of tickets without an unworked reply in the window:
/// summed as stored.
pub(super) fn worked(sc: &str) -> String {
    format!(
        "{sc} AND m.is_staff = 1 AND m.created >= ?1 AND m.created <= ?2 AND NOT EXISTS (
             SELECT 1 FROM ticket_messages u WHERE u.panel_id = m.panel_id AND u.ticket_id = m.ticket_id
             AND {UNWORKED} AND u.created >= ?1 AND u.created <= ?2)"
    )
}

/// The window's replies of the other tickets, worked out from their conversations (`r`: panel_id,
/// ticket_id, staff, plain_length, body when no length is stored, resp, customer_after).
pub(super) fn unworked_cte(sc: &str) -> String {
    format!(
        "WITH t AS (SELECT DISTINCT panel_id, ticket_id FROM ticket_messages
                WHERE {sc} AND {UNWORKED} AND created >= ?1 AND created <= ?2),
         m1 AS (SELECT m.is_staff, m.sender_name, m.created, m.plain_length, m.panel_id, m.ticket_id,
                CASE WHEN m.plain_length IS NULL AND m.is_staff = 1 THEN m.message END AS body,
                ROW_NUMBER() OVER w AS pos, COUNT(*) OVER (PARTITION BY m.panel_id, m.ticket_id) AS total,
                LAG(m.is_staff) OVER w AS prev_staff, LAG(m.created) OVER w AS prev_created
             FROM t JOIN ticket_messages m ON m.panel_id = t.panel_id AND m.ticket_id = t.ticket_id
             WINDOW w AS (PARTITION BY m.panel_id, m.ticket_id ORDER BY m.created, m.seq)),
         m2 AS (SELECT *, MIN(CASE WHEN is_staff = 1 THEN pos END) OVER (PARTITION BY panel_id, ticket_id ORDER BY pos
                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_staff FROM m1),
         r AS (SELECT panel_id, ticket_id, {STAFF_SQL} AS staff,
                plain_length, body, CASE WHEN prev_staff = 0 THEN created - prev_created END AS resp,
                COALESCE(next_staff, total + 1) - pos - 1 AS customer_after
             FROM m2 WHERE is_staff = 1 AND created >= ?1 AND created <= ?2)"
    )
}

/// Per staff member: replies, lengths and the flags, summed from what the replies store; the replies
/// of tickets that store less, worked out one by one.
pub async fn by_staff_sums(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffRow>> {
    let sc = scope.sql("panel_id", p.panel);
    let window: Vec<libsql::Value> = vec![(now - p.window_hours * 3600).into(), now.into()];
    let summed = format!(
        "SELECT {STAFF_SQL} AS staff, COUNT(*), SUM(plain_length), COALESCE(SUM(response_secs), 0),
            COUNT(response_secs),
            SUM(plain_length < {QUICK_FIRE_CHARS} OR (response_secs IS NOT NULL AND response_secs < {QUICK_FIRE_SECS})),
            SUM(customer_after >= {REPEATED_AFTER})
         FROM ticket_messages m WHERE {} GROUP BY staff",
        worked(&sc)
    );
    let unworked =
        format!("{} SELECT staff, plain_length, body, resp, customer_after FROM r", unworked_cte(&sc));
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
    let unworked = reads.add(Stmt::new(unworked, window), |r| {
        let length = match shared::db::opt_i64(r, 1)? {
            Some(n) => n,
            None => plain_text(&shared::db::opt_text(r, 2)?.unwrap_or_default()).chars().count() as i64,
        };
        Ok((r.get::<String>(0)?, length, shared::db::opt_i64(r, 3)?, r.get::<i64>(4)?))
    });
    // The AI reviewer's verdicts on the window's replies, in the same round trip (its end is exclusive).
    let verdicts = ai_verdicts::counts_read(&mut reads, scope, p.panel, now - p.window_hours * 3600, now + 1);
    let mut done = reads.run(conn).await?;
    let ai = super::by_report_name(ai_verdicts::fold(done.all(verdicts).await?));
    let mut by: BTreeMap<String, Sums> = done.all(summed).await?.into_iter().collect();
    for (staff, length, resp, customer_after) in done.all(unworked).await? {
        let s = by.entry(staff).or_default();
        s.replies += 1;
        s.length += length;
        if let Some(secs) = resp {
            s.response_total += secs;
            s.responses += 1;
        }
        s.quick_fires +=
            i64::from(length < QUICK_FIRE_CHARS as i64 || resp.is_some_and(|x| x < QUICK_FIRE_SECS));
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
