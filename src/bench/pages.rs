//! `panelops bench pages`: the Overview and the list pages (orders, tickets, users, payments, services) over a cache of
//! 1,000,000 orders, 200,000 users and payments and 100,000 tickets — first page, a filtered page, a deep
//! page (20 × "Older »", or page 21) and a search — requested repeatedly through the real router as the
//! owner, next to the bare SQL of that page's list measured in the same run. Run it on a release build:
//! `cargo run --release -- bench pages`.

use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use shared::db::Conn;
use tower::ServiceExt;

use shared::auth::session;
use shared::config::Config;
use shared::crypto::SecretKey;
use shared::{AppError, AppResult, AppState};

use super::cache_data::{pct, BenchDb};
use super::report;

const TARGET_P50_MS: f64 = 15.0;
const TARGET_RATIO: f64 = 2.0;
const RUNS: usize = 40;
const DEEP: usize = 20;

const ORDER_COLS: &str = "panel_id, id, external_id, user, charge, currency, provider_charge, link, start_count, \
     quantity, remains, service_id, service_name, provider, status, mode, creation_type, created, last_update";
const TICKET_COLS: &str = "panel_id, id, user, subject, status, assignee, created, last_update";
const USER_COLS: &str =
    "panel_id, id, username, email, balance, spent, currency, status, created, last_auth, discount";
const PAYMENT_COLS: &str =
    "panel_id, id, user, amount, currency, method, status, memo, mode, created, updated";

struct Client {
    router: Router,
    cookie: String,
}

impl Client {
    /// One GET through the router; the body and the server time in ms.
    async fn get(&self, path: &str) -> AppResult<(String, f64)> {
        let mut req = Request::builder()
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .map_err(|e| AppError::internal(e.to_string()))?;
        req.extensions_mut().insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))));
        let t = Instant::now();
        let res = self.router.clone().oneshot(req).await.map_err(|e| AppError::internal(e.to_string()))?;
        let status = res.status();
        let bytes =
            to_bytes(res.into_body(), usize::MAX).await.map_err(|e| AppError::internal(e.to_string()))?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK {
            return Err(AppError::internal(format!("{path} answered {status}")));
        }
        Ok((String::from_utf8_lossy(&bytes).into_owned(), ms))
    }
}

/// The "Older »" link of a keyset page, unescaped.
fn next_href(body: &str) -> Option<String> {
    let at = body.find("rel=\"next\"")?;
    let start = body[..at].rfind("href=\"")? + 6;
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}

/// The `after` cursor of a keyset link as an SQL row-value condition.
fn after_sql(href: &str) -> String {
    let raw = href.split("after=").nth(1).unwrap_or("").split('&').next().unwrap_or("");
    let parts: Vec<&str> = raw.split('.').collect();
    match parts.as_slice() {
        [at, p, id] => format!(" AND (created, panel_id, id) < ({at}, {p}, {id})"),
        _ => String::new(),
    }
}

async fn bare(conn: &Conn, sql: &str) -> AppResult<u64> {
    let mut rows = conn.query(sql, ()).await?;
    let mut n = 0;
    while rows.next().await?.is_some() {
        n += 1;
    }
    Ok(n)
}

async fn plan(conn: &Conn, sql: &str) -> AppResult<String> {
    let mut rows = conn.query(&format!("EXPLAIN QUERY PLAN {sql}"), ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(r.get::<String>(3)?);
    }
    Ok(out.join("; "))
}

struct Case {
    page: &'static str,
    kind: &'static str,
    path: String,
    sql: String,
}

/// Follows "Older »" `DEEP` times from `first`; the deep page's path.
async fn deep(client: &Client, first: &str) -> AppResult<String> {
    let mut path = first.to_string();
    for _ in 0..DEEP {
        let (body, _) = client.get(&path).await?;
        path = next_href(&body).ok_or_else(|| AppError::internal(format!("{path} has no Older link")))?;
    }
    Ok(path)
}

async fn cases(client: &Client) -> AppResult<Vec<Case>> {
    let keyset = |table: &str, cols: &str, cond: &str, after: &str| {
        format!("SELECT {cols} FROM {table} WHERE 1{cond}{after} ORDER BY created DESC, panel_id DESC, id DESC LIMIT 51")
    };
    // The Overview: the worklist and today's numbers, its "list" the panels it shows.
    let mut out = vec![Case {
        page: "/",
        kind: "overview",
        path: "/".into(),
        sql: "SELECT id, name FROM panels ORDER BY name".into(),
    }];
    for (page, table, cols, filter, filter_sql, search, search_sql) in [
        (
            "/orders",
            "orders_cache",
            ORDER_COLS,
            "service=42",
            " AND service_id = 42",
            "q=u12345",
            " AND (external_id = 'u12345' OR user = 'u12345')",
        ),
        (
            "/tickets",
            "tickets_cache",
            TICKET_COLS,
            "status=pending",
            " AND status = 'pending'",
            "q=u777",
            " AND user = 'u777'",
        ),
        (
            "/payments",
            "payments_cache",
            PAYMENT_COLS,
            "method=paypal",
            " AND method = 'paypal'",
            "q=u777",
            " AND user = 'u777'",
        ),
    ] {
        let deep_path = deep(client, page).await?;
        out.push(Case { page, kind: "first", path: page.into(), sql: keyset(table, cols, "", "") });
        out.push(Case {
            page,
            kind: filter,
            path: format!("{page}?{filter}"),
            sql: keyset(table, cols, filter_sql, ""),
        });
        out.push(Case {
            page,
            kind: "deep (20 × Older)",
            sql: keyset(table, cols, "", &after_sql(&deep_path)),
            path: deep_path,
        });
        out.push(Case {
            page,
            kind: search,
            path: format!("{page}?{search}"),
            sql: keyset(table, cols, search_sql, ""),
        });
    }
    let users = |cond: &str, col: &str, dir: &str, offset: i64| {
        format!(
            "SELECT {USER_COLS} FROM users_cache WHERE 1{cond} ORDER BY {col} {dir} NULLS LAST, panel_id {dir}, id {dir} LIMIT 51 OFFSET {offset}"
        )
    };
    out.push(Case {
        page: "/users",
        kind: "first",
        path: "/users".into(),
        sql: users("", "created", "DESC", 0),
    });
    out.push(Case {
        page: "/users",
        kind: "status=suspended",
        path: "/users?status=suspended".into(),
        sql: users(" AND status = 'suspended'", "created", "DESC", 0),
    });
    for (col, dir) in [("balance", "desc"), ("spent", "asc"), ("last_auth", "asc"), ("discount", "desc")] {
        out.push(Case {
            page: "/users",
            kind: if dir == "desc" {
                match col {
                    "balance" => "sort=balance desc",
                    _ => "sort=discount desc",
                }
            } else {
                match col {
                    "spent" => "sort=spent asc",
                    _ => "sort=last_auth asc",
                }
            },
            path: format!("/users?sort={col}&dir={dir}"),
            // The page sorts the discount (a string from the panel) as a number.
            sql: users(
                "",
                if col == "discount" { "CAST(discount AS REAL)" } else { col },
                &dir.to_uppercase(),
                0,
            ),
        });
    }
    out.push(Case {
        page: "/users",
        kind: "deep (page 21)",
        path: "/users?page=21".into(),
        sql: users("", "created", "DESC", 1000),
    });
    out.push(Case {
        page: "/users",
        kind: "q=u777",
        path: "/users?q=u777".into(),
        sql: users(" AND (username = 'u777' OR email = 'u777')", "created", "DESC", 0),
    });
    let services = |cond: &str, offset: i64| {
        format!(
            "SELECT s.panel_id, s.id, s.name, s.type, s.category, s.rate, s.min, s.max, d.description
             FROM services_cache s LEFT JOIN service_descriptions d ON d.panel_id = s.panel_id AND d.service_id = s.id
             WHERE 1 AND s.removed_at IS NULL{cond} ORDER BY s.panel_id, s.id LIMIT 201 OFFSET {offset}"
        )
    };
    out.push(Case { page: "/services", kind: "first", path: "/services".into(), sql: services("", 0) });
    out.push(Case {
        page: "/services",
        kind: "panel=1",
        path: "/services?panel=1".into(),
        sql: services(" AND s.panel_id = 1", 0),
    });
    out.push(Case {
        page: "/services",
        kind: "deep (page 3)",
        path: "/services?page=3".into(),
        sql: services("", 400),
    });
    out.push(Case {
        page: "/services",
        kind: "q=Speed: 5K",
        path: "/services?q=Speed%3A+5K".into(),
        sql: services(" AND (s.name LIKE '%Speed: 5K%' ESCAPE '\\')", 0),
    });
    Ok(out)
}

pub async fn pages(orders: u64) -> AppResult<()> {
    let bench = BenchDb::open("pages", orders).await?;
    // The page's SQL is whatever SQLite sees it run. The trace can go on only after libsql has
    // configured SQLite (its first database), and covers connections opened from then on: a second
    // handle on the same file, whose pool starts empty.
    super::sql_trace::install();
    let state = &AppState::init(Config::local(&bench.path, SecretKey::generate())).await?;
    let owner = super::bench_owner(state).await?;
    let s = session::create(&state.db, &state.config, owner, "127.0.0.1", "bench").await?;
    let client = Client { router: crate::server::router(state), cookie: format!("po_session={}", s.token) };
    let conn = state.db.connect().await?;
    // PANELOPS_BENCH_ONLY=<part of a path> measures only the matching pages.
    let only = std::env::var("PANELOPS_BENCH_ONLY").unwrap_or_default();
    let cases: Vec<Case> =
        cases(&client).await?.into_iter().filter(|c| c.path.contains(only.as_str())).collect();
    let mut table = String::from(
        "| page | request | p50 ms | p95 ms | list query p50 ms | page SQL p50 ms (statements) | ratio | page SQL prepared once p50 ms, ratio | target |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut missed = Vec::new();
    for c in &cases {
        // Warm everything once (capturing the statements the page runs), then alternate so none
        // gets a warmer cache.
        let (warm, statements) = super::sql_trace::capture(client.get(&c.path)).await;
        warm?;
        bare(&conn, &c.sql).await?;
        let (mut times, mut list_times, mut sql_times, mut prepared_times) = (
            Vec::with_capacity(RUNS),
            Vec::with_capacity(RUNS),
            Vec::with_capacity(RUNS),
            Vec::with_capacity(RUNS),
        );
        // The same reads with each statement prepared once, as the console keeps them per connection.
        let mut prepared = Vec::with_capacity(statements.len());
        for sql in &statements {
            prepared.push(conn.prepare(sql).await?);
        }
        for _ in 0..RUNS {
            let t = Instant::now();
            bare(&conn, &c.sql).await?;
            list_times.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            for sql in &statements {
                bare(&conn, sql).await?;
            }
            sql_times.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            for stmt in &prepared {
                stmt.reset();
                let mut rows = stmt.query(()).await?;
                while rows.next().await?.is_some() {}
            }
            prepared_times.push(t.elapsed().as_secs_f64() * 1000.0);
            times.push(client.get(&c.path).await?.1);
        }
        let (p50, p95) = (pct(times.clone(), 0.5), pct(times, 0.95));
        let (l50, b50, r50) = (pct(list_times, 0.5), pct(sql_times, 0.5), pct(prepared_times, 0.5));
        drop(prepared);
        let ratio = p50 / b50.max(0.001);
        let ok = p50 <= TARGET_P50_MS && ratio <= TARGET_RATIO;
        if !ok {
            missed.push(format!("{} {}: {}", c.page, c.kind, plan(&conn, &c.sql).await?));
        }
        table.push_str(&format!(
            "| {} | {} | {p50:.2} | {p95:.2} | {l50:.2} | {b50:.2} ({}) | {ratio:.2}× | {r50:.2}, {:.2}× | {} |\n",
            c.page,
            c.kind,
            statements.len(),
            p50 / r50.max(0.001),
            if ok { "ok" } else { "MISSED" }
        ));
    }
    table.push_str(&format!(
        "\nTargets: p50 ≤ {TARGET_P50_MS} ms and ≤ {TARGET_RATIO}× the page's bare SQL. Page times are the whole \
         request through the router as the owner (session, scope, every query, HTML); {RUNS} runs each. The page's \
         SQL is every read the request makes, as SQLite's statement trace recorded it (session and staff checks, \
         panels, filter options, the list), re-run with its values on one connection, each statement prepared \
         as a plain query is; the list query alone is shown beside it. The console keeps its per-request \
         statements prepared on each pooled connection (parsing and planning a small read costs about as much \
         as running it), so a page can come in under its bare SQL; the column before the target shows the \
         same reads with every statement prepared once, for the stricter comparison.\n"
    ));
    if !missed.is_empty() {
        table.push_str("\nPlans of the missed pages' list queries:\n");
        for m in &missed {
            table.push_str(&format!("- {m}\n"));
        }
    }
    drop(conn);
    drop(client);
    report("pages", &table)
}
