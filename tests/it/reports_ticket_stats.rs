//! By staff and Staff statistics from what each reply stores (its response time and the customer
//! messages after it, written with its conversation): the same numbers as worked out from the
//! conversations, when every ticket stores them, when some do not, and after the migration's fill.

use panelops_reports::tickets::{self, StaffRow, StaffStatRow, TicketParams};
use shared::auth::PanelScope;
use shared::cache::ticket_messages::replace_conversation;
use shared::pp::rows::MessageRow;

use crate::helpers::TestApp;
use crate::reports_tickets::seed;

const T: i64 = 1_700_000_000;

/// By staff and Staff statistics of panel A over 24 h and 48 h (48 h reaches ticket 5's reply).
async fn numbers(app: &TestApp, a: i64) -> Vec<(Vec<StaffRow>, Vec<StaffStatRow>)> {
    let conn = app.state.db.connect().await.unwrap();
    let mut out = Vec::new();
    for hours in [24, 48] {
        let p = TicketParams { panel: Some(a), window_hours: hours };
        out.push((
            tickets::by_staff(&conn, &PanelScope::All, &p, T).await.unwrap(),
            tickets::staff_statistics(&conn, &PanelScope::All, &p, T).await.unwrap(),
        ));
    }
    out
}

/// Stores the conversations of these tickets again as the sync stores them.
async fn restore(app: &TestApp, tickets: &[(i64, i64)]) {
    let conn = app.state.db.connect().await.unwrap();
    for (panel, ticket) in tickets {
        let mut rows = conn
            .query(
                "SELECT sender_name, is_staff, message, created FROM ticket_messages
                 WHERE panel_id = ?1 AND ticket_id = ?2 ORDER BY seq",
                [*panel, *ticket],
            )
            .await
            .unwrap();
        let mut msgs = Vec::new();
        while let Some(r) = rows.next().await.unwrap() {
            msgs.push(MessageRow {
                sender_name: shared::db::opt_text(&r, 0).unwrap(),
                is_staff: r.get::<i64>(1).unwrap() != 0,
                message: r.get(2).unwrap(),
                created: r.get(3).unwrap(),
            });
        }
        drop(rows);
        conn.write_batch(replace_conversation(*panel, *ticket, &msgs)).await.unwrap();
    }
}

/// (seq, response_secs, customer_after) of a ticket's staff messages.
async fn stored(app: &TestApp, panel: i64, ticket: i64) -> Vec<(i64, Option<i64>, Option<i64>)> {
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT seq, response_secs, customer_after FROM ticket_messages
             WHERE panel_id = ?1 AND ticket_id = ?2 AND is_staff = 1 ORDER BY seq",
            [panel, ticket],
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().await.unwrap() {
        out.push((
            r.get(0).unwrap(),
            shared::db::opt_i64(&r, 1).unwrap(),
            shared::db::opt_i64(&r, 2).unwrap(),
        ));
    }
    out
}

#[tokio::test]
async fn stored_reply_counts_give_the_numbers_the_conversations_give() {
    let app = TestApp::new().await;
    let (a, b) = seed(&app, T).await;
    // Stored another way (no counts, no lengths): worked out from the conversations, as the hand-computed
    // numbers of `reports_tickets` check.
    let worked_out = numbers(&app, a).await;
    let ann = worked_out[0].0.iter().find(|r| r.staff == "ann").unwrap();
    assert_eq!((ann.replies, ann.quick_fires, ann.repeated, ann.avg_response_seconds), (2, 1, 1, Some(59.5)));

    // Some tickets stored as the sync stores them (ticket 2 and panel B are not): the mixed case.
    restore(&app, &[(a, 1), (a, 3), (a, 4), (a, 5), (a, 6)]).await;
    // Ticket 1: ann 29 s after the customer, then 2 customer messages; then 90 s after the last one.
    assert_eq!(stored(&app, a, 1).await, vec![(1, Some(29), Some(2)), (4, Some(90), Some(0))]);
    assert_eq!(stored(&app, a, 2).await, vec![(1, None, None), (3, None, None)], "not stored again");
    assert_eq!(numbers(&app, a).await, worked_out, "some tickets stored with their counts");

    // Every ticket stored so: summed as stored, the same numbers.
    restore(&app, &[(a, 2), (b, 1)]).await;
    assert_eq!(stored(&app, a, 2).await, vec![(1, Some(30), Some(1)), (3, Some(500), Some(0))]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ticket_messages WHERE is_staff = 1 AND customer_after IS NULL")
            .await,
        0
    );
    assert_eq!(numbers(&app, a).await, worked_out, "every ticket stored with its counts");

    // A reply stored without its length (before lengths were) sends its ticket back to the messages.
    app.exec(&format!(
        "UPDATE ticket_messages SET plain_length = NULL WHERE panel_id = {a} AND ticket_id = 1 AND seq = 4"
    ))
    .await;
    assert_eq!(numbers(&app, a).await, worked_out, "a reply without a length");
}

#[tokio::test]
async fn the_migration_fill_stores_what_the_sync_stores() {
    let app = TestApp::new().await;
    let (a, b) = seed(&app, T).await;
    // Two staff replies in a row, and two messages at the same second (ordered by seq).
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        &format!(
            "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created) VALUES
             ({a}, 6, 1, 'ann', 1, 'one', {0}), ({a}, 6, 2, 'bob', 1, 'two', {0}), ({a}, 6, 3, NULL, 0, 'x', {1}),
             ({a}, 6, 4, 'ann', 1, 'three', {1})",
            T - 3000,
            T - 2000
        ),
        (),
    )
    .await
    .unwrap();
    let all = [(a, 1), (a, 2), (a, 3), (a, 4), (a, 5), (a, 6), (b, 1)];
    restore(&app, &all).await;
    let mut by_sync = Vec::new();
    for (panel, ticket) in all {
        by_sync.push(stored(&app, panel, ticket).await);
    }
    assert_eq!(by_sync[5], vec![(1, Some(600), Some(0)), (2, None, Some(1)), (4, Some(0), Some(0))]);
    app.exec("UPDATE ticket_messages SET response_secs = NULL, customer_after = NULL").await;
    // The migration's UPDATE, as it runs on a database stored before the counts were.
    let sql = shared::db::MIGRATIONS.iter().find(|m| m.1 == "ticket_reply_stats").unwrap().2;
    let update = &sql[sql.find("UPDATE ticket_messages").unwrap()..];
    app.exec(&update[..update.find(";\n").unwrap()]).await;
    for (k, (panel, ticket)) in all.into_iter().enumerate() {
        assert_eq!(stored(&app, panel, ticket).await, by_sync[k], "ticket {panel}/{ticket}");
    }
}
