//! Hand-built cache rows for the report tests: each test works out its answers from these.

use crate::helpers::TestApp;

pub const H: i64 = 3600;
pub const D: i64 = 86_400;

#[allow(clippy::too_many_arguments)]
pub async fn order(
    app: &TestApp,
    panel: i64,
    id: i64,
    service: i64,
    status: &str,
    quantity: i64,
    remains: i64,
    created: i64,
    last_update: i64,
) {
    order_by(app, panel, id, service, status, quantity, remains, created, last_update, "someone", 0).await
}

#[allow(clippy::too_many_arguments)]
pub async fn order_by(
    app: &TestApp,
    panel: i64,
    id: i64,
    service: i64,
    status: &str,
    quantity: i64,
    remains: i64,
    created: i64,
    last_update: i64,
    user: &str,
    charge_micros: i64,
) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO orders_cache (panel_id, id, user, charge, quantity, remains, service_id, service_name, status,
         created, last_update, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)",
        libsql::params![
            panel,
            id,
            user,
            charge_micros,
            quantity,
            remains,
            service,
            format!("Order-side name {service}"),
            status,
            created,
            last_update
        ],
    )
    .await
    .unwrap();
}

pub async fn service(app: &TestApp, panel: i64, id: i64, name: &str) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES (?1, ?2, ?3, 0)",
        libsql::params![panel, id, name],
    )
    .await
    .unwrap();
}

pub async fn user(app: &TestApp, panel: i64, id: i64, username: &str, created: i64, spent: i64) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO users_cache (panel_id, id, username, email, spent, created, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
        libsql::params![panel, id, username, format!("{username}@example.com"), spent, created],
    )
    .await
    .unwrap();
}

pub async fn payment(
    app: &TestApp,
    panel: i64,
    id: i64,
    user: &str,
    amount: i64,
    status: &str,
    created: i64,
) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO payments_cache (panel_id, id, user, amount, status, created, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
        libsql::params![panel, id, user, amount, status, created],
    )
    .await
    .unwrap();
}

pub async fn ticket(app: &TestApp, panel: i64, id: i64, subject: &str, created: i64) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
         VALUES (?1, ?2, 'cust', ?3, 'pending', ?4, ?4, 0)",
        libsql::params![panel, id, subject, created],
    )
    .await
    .unwrap();
}

/// `staff` None = the customer's message.
pub async fn message(
    app: &TestApp,
    panel: i64,
    ticket: i64,
    seq: i64,
    staff: Option<&str>,
    body: &str,
    created: i64,
) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        libsql::params![
            panel,
            ticket,
            seq,
            staff.unwrap_or("cust").to_string(),
            staff.is_some() as i64,
            body,
            created
        ],
    )
    .await
    .unwrap();
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub fn list(body: &str) -> Vec<serde_json::Value> {
    let v = json(body);
    assert_eq!(v["error_code"], 0, "{body}");
    let list = v["data"]["list"].as_array().cloned().unwrap_or_default();
    assert_eq!(v["data"]["count"].as_u64(), Some(list.len() as u64));
    list
}
