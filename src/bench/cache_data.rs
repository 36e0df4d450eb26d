//! A large synced cache for the benchmarks, inserted directly (a sync would take hours): one panel with
//! `orders` orders over 90 days (each service routed to one of 12 providers, 1 order in 20 to a second
//! one), 200,000 users, 200,000 payments, 100,000 tickets with 4 messages each and
//! 500 services. Deterministic, so runs compare; every column a page shows or filters by is filled.

use shared::db::Conn;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::{AppResult, AppState};

pub const USERS: u64 = 200_000;
pub const PAYMENTS: u64 = 200_000;
pub const TICKETS: u64 = 100_000;
pub const SERVICES: u64 = 500;
pub const PROVIDERS: u64 = 12;
pub const METHODS: &[&str] = &["stripe", "paypal", "crypto", "perfectmoney", "payeer"];

/// A small deterministic generator: the same data every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn insert_rows(conn: &Conn, head: &str, rows: impl Iterator<Item = String>) -> AppResult<()> {
    // 50,000 rows per transaction: a libSQL server fails a transaction of a million orders (its log
    // grows past what it takes: "disk I/O error" after seven minutes).
    let mut tx = shared::db::write_tx(conn).await?;
    let mut batch: Vec<String> = Vec::with_capacity(500);
    let mut in_tx = 0;
    for r in rows {
        batch.push(r);
        if batch.len() == 500 {
            tx.execute(&format!("{head} VALUES {}", batch.join(",")), ()).await?;
            batch.clear();
            in_tx += 500;
            if in_tx >= 50_000 {
                tx.commit().await?;
                tx = shared::db::write_tx(conn).await?;
                in_tx = 0;
            }
        }
    }
    if !batch.is_empty() {
        tx.execute(&format!("{head} VALUES {}", batch.join(",")), ()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates the panel and fills its cache; returns the panel id.
pub async fn seed(state: &AppState, now: i64, orders: u64) -> AppResult<i64> {
    let input = PanelInput {
        name: "Bench".into(),
        base_url: "https://bench.example".into(),
        status: PanelStatus::Active,
        admin_key: None,
        services_key: None,
    };
    let panel = panels::create(&state.db, &state.config.secret_key, &input).await?;
    let conn = state.db.connect().await?;
    let span = 90 * 86_400u64;
    insert_rows(
        &conn,
        "INSERT INTO services_cache (panel_id, id, name, type, rate, min, max, min_per_day, checked_at)",
        (0..SERVICES).map(|s| {
            // The speed stored beside the name, as the services sync stores it.
            let name = format!("Service {s} Likes [Speed: {}K/Day] [Refill: 30 Days]", 1 + s % 20);
            let speed = shared::cache::rollups::min_per_day(&name);
            format!("({panel}, {s}, '{name}', 'Default', {}, 10, 100000, {speed}, 0)", (1 + s % 40) * 250_000)
        }),
    )
    .await?;
    let mut g = Lcg(7);
    // Of 22 draws, 16 completed like a real panel; then these, the last three being the open ones.
    const OTHER: [&str; 6] = ["partial", "canceled", "fail", "in_progress", "pending", "processing"];
    let status_of = |draw: u64| if draw < 16 { "completed" } else { OTHER[(draw - 16) as usize] };
    let order_rows = (0..orders).map(|i| {
        let id = 1_000_000 + i;
        let created = now - g.below(span) as i64;
        // Orders of the last three days are anywhere in their life; older ones are final, except the
        // 3 in 100 stuck at a provider for good: more than the simulator keeps, whose staff cancel them.
        let young = now - created < 3 * 86_400;
        let status = if young {
            status_of(g.below(22))
        } else if g.below(100) < 3 {
            ["pending", "in_progress", "processing"][g.below(3) as usize]
        } else {
            status_of(g.below(19))
        };
        let open = matches!(status, "in_progress" | "pending" | "processing");
        let last = (created + g.below(3 * 86_400) as i64).min(now);
        let q = 100 + g.below(10_000);
        let user = g.below(USERS);
        let charge = g.below(20_000_000);
        let service = g.below(SERVICES);
        // A real panel routes a service to one provider; 1 order in 20 went to the next one (a switch).
        let provider = (service + u64::from(g.below(20) == 0)) % PROVIDERS;
        let manual = g.below(10) == 0;
        let external = if manual { "NULL".to_string() } else { format!("'x{}'", 7_000_000 + i) };
        format!(
            "({panel}, {id}, 'u{user}', {charge}, {}, 'USD', {q}, {}, {service}, 'Service {service} Likes', 'prov{provider}.example', \
             '{status}', '{}', '{}', {external}, 'https://instagram.com/p/u{user}x{id}', {}, {created}, {last}, 0)",
            charge * 7 / 10,
            if open { g.below(q) as i64 } else { 0 },
            if manual { "manual" } else { "auto" },
            if i % 3 == 0 { "api" } else { "web" },
            g.below(50_000),
        )
    });
    // Millions of orders load faster without the roll-up triggers, summed once afterwards.
    let triggers = rollup_triggers();
    for name in triggers.iter().filter_map(|t| t.split_whitespace().nth(2)) {
        conn.execute(&format!("DROP TRIGGER {name}"), ()).await?;
    }
    insert_rows(
        &conn,
        "INSERT INTO orders_cache (panel_id, id, user, charge, provider_charge, currency, quantity, remains, service_id, service_name, provider, \
         status, mode, creation_type, external_id, link, start_count, created, last_update, checked_at)",
        order_rows,
    )
    .await?;
    // One roll-up per write: each is a sort of every order, and a server takes smaller transactions.
    let mut stmts = shared::cache::rollups::rebuild_stmts().into_iter();
    while let (Some(delete), Some(insert)) = (stmts.next(), stmts.next()) {
        conn.write_batch(vec![delete, insert]).await?;
    }
    conn.write_batch(triggers.into_iter().map(|t| shared::db::Stmt::new(t, ())).collect()).await?;
    insert_rows(
        &conn,
        "INSERT INTO users_cache (panel_id, id, username, email, balance, spent, currency, status, created, last_auth, discount, checked_at)",
        (0..USERS).map(|u| {
            let created = now - ((u * 104_729) % (730 * 86_400)) as i64;
            format!(
                "({panel}, {u}, 'u{u}', 'u{u}@mail.example', {}, {}, 'USD', '{}', {created}, {}, {}, 0)",
                (u * 15_485_863) % 50_000_000,
                (u * 7919) % 900_000_000,
                if u % 50 == 0 { "suspended" } else { "active" },
                if u % 7 == 0 { "NULL".to_string() } else { (created + ((u * 31) % 86_400 * 30) as i64).min(now).to_string() },
                if u % 20 == 0 { format!("'{}'", 5 + u % 3 * 5) } else { "NULL".into() },
            )
        }),
    )
    .await?;
    let mut g = Lcg(11);
    insert_rows(
        &conn,
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, memo, mode, created, updated, checked_at)",
        (0..PAYMENTS).map(|i| {
            let status = if g.below(100) < 85 { "completed" } else { "pending" };
            let created = now - g.below(span) as i64;
            format!(
                "({panel}, {i}, 'u{}', {}, 'USD', '{}', '{status}', 'Deposit {i}', '{}', {created}, {}, 0)",
                g.below(USERS),
                g.below(100_000_000),
                METHODS[g.below(METHODS.len() as u64) as usize],
                if i % 9 == 0 { "manual" } else { "auto" },
                created + 60
            )
        }),
    )
    .await?;
    let subjects = ["Orders - Refill", "Orders - Speed Up", "Orders - Cancel", "Payment - Not added"];
    let ticket_statuses = ["answered", "answered", "closed", "closed", "pending"];
    let mut g = Lcg(13);
    let mut tickets = Vec::with_capacity(TICKETS as usize);
    let mut messages = Vec::with_capacity(4 * TICKETS as usize);
    for t in 0..TICKETS {
        let created = now - g.below(span) as i64;
        let mut bodies = Vec::with_capacity(4);
        let mut rows = Vec::with_capacity(4);
        for k in 0..4i64 {
            let staff = k % 2 == 1;
            let at = created + k * (20 + g.below(3_600) as i64);
            let body = if staff {
                "Thanks, we have checked your order and restarted it.".to_string()
            } else {
                format!("My order {} is not moving", 1_000_000 + g.below(orders))
            };
            let sender = if staff { format!("agent{}", g.below(8)) } else { "customer".into() };
            rows.push((k, sender, staff, at, shared::cache::ticket_messages::plain_length(&body)));
            bodies.push(body);
        }
        // As the sync stores a conversation: each reply's response time and customer messages after it.
        let stats = shared::cache::ticket_messages::reply_stats(rows.iter().map(|r| (r.2, r.3)));
        let sql = |v: Option<i64>| v.map_or("NULL".to_string(), |v| v.to_string());
        for ((k, sender, staff, at, length), (st, body)) in rows.into_iter().zip(stats.iter().zip(&bodies)) {
            messages.push(format!(
                "({panel}, {t}, {k}, '{sender}', {}, '{body}', {at}, {length}, {}, {})",
                staff as i64,
                sql(st.response_secs),
                sql(st.customer_after)
            ));
        }
        // As the sync stores a conversation: the order ids it mentions worked out once.
        let order_ids = shared::cache::ticket_messages::order_ids_text(bodies.iter().map(String::as_str));
        tickets.push(format!(
            "({panel}, {t}, 'u{}', '{}', '{}', {}, {created}, {created}, 0, '{order_ids}')",
            g.below(USERS),
            subjects[(t % 4) as usize],
            ticket_statuses[(t % 5) as usize],
            if t % 3 == 0 { format!("'agent{}'", t % 8) } else { "NULL".into() },
        ));
    }
    insert_rows(
        &conn,
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, assignee, created, last_update, checked_at, order_ids)",
        tickets.into_iter(),
    )
    .await?;
    insert_rows(
        &conn,
        "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created, plain_length, response_secs, customer_after)",
        messages.into_iter(),
    )
    .await?;
    // No ANALYZE: a libSQL server (Turso) refuses it, and no install of the console runs it, so the
    // bench plans its queries without statistics as every real database does.
    Ok(panel)
}

/// The roll-up triggers as the migration creates them (`CREATE TRIGGER name … END;`).
fn rollup_triggers() -> Vec<String> {
    shared::db::MIGRATIONS
        .iter()
        .filter(|m| matches!(m.1, "rollups" | "money" | "service_days"))
        .flat_map(|m| {
            m.2.split("CREATE TRIGGER ").skip(1).filter_map(|rest| {
                rest.find("\nEND;").map(|end| format!("CREATE TRIGGER {}", &rest[..end + 5]))
            })
        })
        .collect()
}

/// The `p` quantile (0..=1) of the samples.
pub fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

/// The benchmark's database: a fresh one in a temporary folder, seeded and removed afterwards, unless
/// `PANELOPS_BENCH_DB` names a file — then it is seeded once, kept, and reused by later runs (for
/// iterating on a change without re-seeding; report numbers from a fresh run).
pub struct BenchDb {
    pub state: AppState,
    pub now: i64,
    pub path: std::path::PathBuf,
    temp: Option<std::path::PathBuf>,
}

impl BenchDb {
    pub async fn open(name: &str, orders: u64) -> AppResult<BenchDb> {
        use shared::config::Config;
        use shared::crypto::SecretKey;
        use shared::AppError;
        let (path, temp) = match std::env::var("PANELOPS_BENCH_DB") {
            Ok(p) if !p.is_empty() => (std::path::PathBuf::from(p), None),
            _ => {
                let dir = std::env::temp_dir().join(format!("panelops-bench-{name}-{}", std::process::id()));
                std::fs::create_dir_all(&dir).map_err(|e| AppError::internal(e.to_string()))?;
                (dir.join("bench.db"), Some(dir))
            }
        };
        let existed = path.exists();
        let state = AppState::init(Config::local(&path, SecretKey::generate())).await?;
        let now = shared::time::now();
        let conn = state.db.connect().await?;
        let mut rows = conn.query("SELECT id FROM panels WHERE name = 'Bench'", ()).await?;
        let found = match rows.next().await? {
            Some(r) => Some(r.get::<i64>(0)?),
            None => None,
        };
        drop(rows);
        match found {
            Some(_) if existed => {
                println!("reusing the seeded database {}", path.display());
                // Seeded before the services kept their speed: store it (and sum the roll-ups again).
                let mut rows =
                    conn.query("SELECT 1 FROM services_cache WHERE min_per_day = -1 LIMIT 1", ()).await?;
                let unparsed = rows.next().await?.is_some();
                drop(rows);
                if unparsed {
                    shared::cache::rollups::rebuild(&conn).await?;
                }
            }
            _ => {
                println!("seeding {orders} orders, 200k users and payments, 100k tickets, 400k messages…");
                let t = std::time::Instant::now();
                seed(&state, now, orders).await?;
                println!("seeded in {:.1} s", t.elapsed().as_secs_f64());
            }
        };
        Ok(BenchDb { state, now, path, temp })
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.temp {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
