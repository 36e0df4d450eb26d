//! The sync engine's state as the console shows and edits it: one row per panel × resource, and the
//! engine-wide settings. The engine itself lives in `functions/sync`.

use libsql::params;

use crate::auth::PanelScope;
use crate::db::{opt_i64, opt_text, read_all, Db, Read, Reads, Stmt};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Orders,
    Users,
    Payments,
    Tickets,
    TicketMessages,
    Services,
    /// The catalogues of this panel's competitor panels (`domain::competitors`).
    Competitors,
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::Orders,
        Resource::Users,
        Resource::Payments,
        Resource::Tickets,
        Resource::TicketMessages,
        Resource::Services,
        Resource::Competitors,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Orders => "orders",
            Resource::Users => "users",
            Resource::Payments => "payments",
            Resource::Tickets => "tickets",
            Resource::TicketMessages => "ticket_messages",
            Resource::Services => "services",
            Resource::Competitors => "competitors",
        }
    }

    pub fn parse(s: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Resource::Orders => "Orders",
            Resource::Users => "Users",
            Resource::Payments => "Payments",
            Resource::Tickets => "Tickets",
            Resource::TicketMessages => "Ticket messages",
            Resource::Services => "Services",
            Resource::Competitors => "Competitors",
        }
    }

    /// The cache table this resource fills.
    pub fn table(self) -> &'static str {
        match self {
            Resource::Orders => "orders_cache",
            Resource::Users => "users_cache",
            Resource::Payments => "payments_cache",
            Resource::Tickets => "tickets_cache",
            Resource::TicketMessages => "ticket_messages",
            Resource::Services => "services_cache",
            Resource::Competitors => "competitor_services",
        }
    }

    pub fn default_interval(self) -> i64 {
        match self {
            Resource::Orders => 60,
            Resource::Users => 600,
            Resource::Payments => 300,
            Resource::Tickets => 120,
            Resource::TicketMessages => 120,
            Resource::Services => 3600,
            // Rival prices move slowly; every 12 hours is what the product promises.
            Resource::Competitors => 43_200,
        }
    }

    /// Records per request (tickets per run batch for messages; the catalogue comes whole).
    pub fn default_page_size(self) -> i64 {
        match self {
            Resource::Orders | Resource::Users | Resource::Payments => 1000,
            Resource::Tickets => 500,
            Resource::TicketMessages => 25,
            Resource::Services => 1,
            // One competitor per step.
            Resource::Competitors => 1,
        }
    }

    pub fn max_page_size(self) -> i64 {
        match self {
            Resource::TicketMessages => 80,
            Resource::Services | Resource::Competitors => 1,
            _ => 1000,
        }
    }
}

/// Where a resource's sync stands (`sync_state.status`, which the schema limits to these words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// Never synced yet.
    Idle,
    Running,
    Ok,
    /// The last step failed; `message` says why and `next_retry_at` when it is tried again.
    Error,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Idle => "idle",
            SyncStatus::Running => "running",
            SyncStatus::Ok => "ok",
            SyncStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<SyncStatus> {
        [SyncStatus::Idle, SyncStatus::Running, SyncStatus::Ok, SyncStatus::Error]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Clone, Debug)]
pub struct SyncRow {
    pub panel_id: i64,
    pub resource: Resource,
    pub interval_secs: i64,
    pub page_size: i64,
    pub enabled: bool,
    pub position: String,
    pub status: SyncStatus,
    pub message: Option<String>,
    pub failures: i64,
    pub next_retry_at: Option<i64>,
    pub last_fetched_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub cycle_done_at: Option<i64>,
    pub fetched: i64,
    pub total: Option<i64>,
    pub cached: i64,
    pub skipped: i64,
    pub lease_until: i64,
    pub run_requested: bool,
}

impl SyncRow {
    /// Work is due: asked for, never done, stopped mid-cycle, interval passed, or a retry is due.
    pub fn is_due(&self, t: i64) -> bool {
        if !self.enabled {
            return false;
        }
        if self.run_requested {
            return true;
        }
        if self.status == SyncStatus::Error {
            return self.next_retry_at.is_none_or(|r| r <= t);
        }
        match (self.cycle_done_at, self.last_fetched_at) {
            (None, _) => true,
            (Some(done), Some(fetched)) if fetched > done => true,
            (Some(done), _) => done + self.interval_secs <= t,
        }
    }

    /// True while the first full cycle has not finished: the page shows its progress.
    pub fn first_sync(&self) -> bool {
        self.cycle_done_at.is_none()
    }
}

const COLUMNS: &str = "panel_id, resource, interval_secs, page_size, enabled, position, status, message, failures,
    next_retry_at, last_fetched_at, last_ok_at, cycle_done_at, fetched, total, cached, skipped, lease_until, run_requested";

fn from_row(r: &crate::db::Row) -> AppResult<SyncRow> {
    let res: String = r.get(1)?;
    Ok(SyncRow {
        panel_id: r.get(0)?,
        resource: Resource::parse(&res)
            .ok_or_else(|| AppError::internal(format!("unknown resource {res}")))?,
        interval_secs: r.get(2)?,
        page_size: r.get(3)?,
        enabled: r.get::<i64>(4)? != 0,
        position: r.get(5)?,
        status: {
            let s: String = r.get(6)?;
            SyncStatus::parse(&s).ok_or_else(|| AppError::internal(format!("unknown sync status {s}")))?
        },
        message: opt_text(r, 7)?,
        failures: r.get(8)?,
        next_retry_at: opt_i64(r, 9)?,
        last_fetched_at: opt_i64(r, 10)?,
        last_ok_at: opt_i64(r, 11)?,
        cycle_done_at: opt_i64(r, 12)?,
        fetched: r.get(13)?,
        total: opt_i64(r, 14)?,
        cached: r.get(15)?,
        skipped: r.get(16)?,
        lease_until: r.get(17)?,
        run_requested: r.get::<i64>(18)? != 0,
    })
}

/// Creates the missing rows of a panel with the default interval and page size.
pub async fn ensure_rows(db: &Db, panel_id: i64) -> AppResult<()> {
    db.connect().await?.execute_stmt(ensure_rows_stmt(&[panel_id])).await?;
    Ok(())
}

/// The statement that gives each of `panels` a row per resource (with the resource's defaults) where
/// it has none: a panel added before a resource existed gets it. One statement for every panel.
pub fn ensure_rows_stmt(panels: &[i64]) -> Stmt {
    let mut values = Vec::new();
    let mut args: Vec<libsql::Value> = Vec::new();
    for p in panels {
        for r in Resource::ALL {
            values.push("(?, ?, ?, ?)");
            args.extend([
                (*p).into(),
                r.as_str().into(),
                r.default_interval().into(),
                r.default_page_size().into(),
            ]);
        }
    }
    if values.is_empty() {
        return Stmt::new("SELECT 0", ());
    }
    Stmt::new(
        format!(
            "INSERT OR IGNORE INTO sync_state (panel_id, resource, interval_secs, page_size) VALUES {}",
            values.join(", ")
        ),
        libsql::params_from_iter(args),
    )
}

pub async fn list(db: &Db, scope: &PanelScope, panel: Option<i64>) -> AppResult<Vec<SyncRow>> {
    read_all(&db.connect().await?, |r| list_read(r, scope, panel)).await
}

/// The sync rows in view, panel by panel, resources in the page's order.
pub fn list_read(reads: &mut Reads, scope: &PanelScope, panel: Option<i64>) -> Read<SyncRow> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sync_state WHERE {} ORDER BY panel_id, CASE resource
           WHEN 'orders' THEN 1 WHEN 'users' THEN 2 WHEN 'payments' THEN 3 WHEN 'tickets' THEN 4
           WHEN 'ticket_messages' THEN 5 WHEN 'services' THEN 6 ELSE 7 END",
        scope.sql("panel_id", panel)
    );
    reads.add(Stmt::new(sql, ()), from_row)
}

pub async fn get(db: &Db, panel_id: i64, resource: Resource) -> AppResult<Option<SyncRow>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            &format!("SELECT {COLUMNS} FROM sync_state WHERE panel_id = ?1 AND resource = ?2"),
            params![panel_id, resource.as_str()],
        )
        .await?;
    match rows.next().await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}

/// Checks an interval and page size as typed; the error says what is allowed.
pub fn validate(resource: Resource, interval: i64, page_size: i64) -> Result<(), String> {
    if !(30..=86_400 * 7).contains(&interval) {
        return Err("The interval must be between 30 seconds and 7 days (604800).".into());
    }
    if !(1..=resource.max_page_size()).contains(&page_size) {
        return Err(format!("Records per fetch must be between 1 and {}.", resource.max_page_size()));
    }
    Ok(())
}

pub async fn update(
    db: &Db,
    panel_id: i64,
    resource: Resource,
    interval: i64,
    page_size: i64,
    enabled: bool,
) -> AppResult<()> {
    validate(resource, interval, page_size).map_err(AppError::BadRequest)?;
    let conn = db.connect().await?;
    conn.execute(
        "UPDATE sync_state SET interval_secs = ?1, page_size = ?2, enabled = ?3 WHERE panel_id = ?4 AND resource = ?5",
        params![interval, page_size, enabled as i64, panel_id, resource.as_str()],
    )
    .await?;
    Ok(())
}

/// "Sync now": the next run takes these resources whatever their interval, and retries errors at once.
pub async fn request_run(db: &Db, panel_id: i64, resource: Option<Resource>) -> AppResult<u64> {
    let conn = db.connect().await?;
    Ok(conn
        .execute(
            "UPDATE sync_state SET run_requested = 1, next_retry_at = NULL
             WHERE panel_id = ?1 AND (?2 IS NULL OR resource = ?2)",
            params![panel_id, resource.map(|r| r.as_str())],
        )
        .await?)
}

/// The shortest interval of any enabled resource: how often the scheduler must wake the engine.
pub async fn shortest_interval(db: &Db) -> AppResult<Option<i64>> {
    let conn = db.connect().await?;
    let mut rows = conn.query("SELECT MIN(interval_secs) FROM sync_state WHERE enabled = 1", ()).await?;
    match rows.next().await? {
        Some(r) => Ok(opt_i64(&r, 0)?),
        None => Ok(None),
    }
}

/// Engine-wide settings (Settings → Sync → Sync engine settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSettings {
    pub paused: bool,
    /// Panels synced at the same time.
    pub concurrency: i64,
    /// Days of finished orders kept in the cache (0 = keep everything).
    pub retention_days: i64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings { paused: false, concurrency: 2, retention_days: 0 }
    }
}

pub async fn engine_settings(db: &Db) -> AppResult<EngineSettings> {
    let mut reads = Reads::new();
    let read = engine_settings_read(&mut reads);
    let mut done = reads.run(&db.connect().await?).await?;
    Ok(engine_settings_from(done.all(read).await?))
}

/// The stored engine settings (key, value), to read along with a page's other reads.
pub fn engine_settings_read(reads: &mut Reads) -> Read<(String, String)> {
    reads.add(Stmt::new("SELECT key, value FROM settings WHERE key LIKE 'sync.%'", ()), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// The engine settings from their stored (key, value) pairs; defaults for what is not stored.
pub fn engine_settings_from(pairs: Vec<(String, String)>) -> EngineSettings {
    let mut s = EngineSettings::default();
    for (k, v) in pairs {
        match k.as_str() {
            "sync.paused" => s.paused = v == "1",
            "sync.concurrency" => s.concurrency = v.parse().unwrap_or(s.concurrency),
            "sync.retention_days" => s.retention_days = v.parse().unwrap_or(s.retention_days),
            _ => {}
        }
    }
    s
}

pub async fn save_engine_settings(db: &Db, s: &EngineSettings) -> AppResult<()> {
    if !(1..=8).contains(&s.concurrency) {
        return Err(AppError::bad_request("Concurrency must be between 1 and 8 panels."));
    }
    if !(0..=3650).contains(&s.retention_days) {
        return Err(AppError::bad_request("Retention must be between 0 (keep everything) and 3650 days."));
    }
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    for (k, v) in [
        ("sync.paused", (s.paused as i64).to_string()),
        ("sync.concurrency", s.concurrency.to_string()),
        ("sync.retention_days", s.retention_days.to_string()),
    ] {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![k, v],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The orders cache's indexes on scattered keys (who ordered, the link, the provider's order id), as
/// the migrations create them: a big first sync leaves them off while it catches up (see the sync's
/// `catch_up`), so searches by those keys read the whole table meanwhile.
pub const SCATTERED_INDEXES: [(&str, &str); 3] = [
    ("orders_cache_user", "ON orders_cache (panel_id, user, created)"),
    ("orders_cache_link", "ON orders_cache (link)"),
    ("orders_cache_external", "ON orders_cache (external_id) WHERE external_id IS NOT NULL"),
];

/// Builds the scattered-key indexes missing now, one statement each (other writers wait for one
/// sort at a time), until `stop` says a catch-up wants them off again.
pub async fn build_missing_scattered_indexes(
    conn: &crate::db::Conn,
    stop: impl Fn() -> bool,
) -> AppResult<()> {
    for (name, definition) in missing_scattered_indexes(conn).await? {
        if stop() {
            break;
        }
        let t = std::time::Instant::now();
        conn.execute(&format!("CREATE INDEX IF NOT EXISTS {name} {definition}"), ()).await?;
        tracing::info!(index = name, secs = t.elapsed().as_secs_f64(), "index built after a catch-up");
    }
    Ok(())
}

/// The scattered-key indexes missing now (a catch-up under way, or one a killed run left).
pub async fn missing_scattered_indexes(
    conn: &crate::db::Conn,
) -> AppResult<Vec<(&'static str, &'static str)>> {
    Ok(missing_of(read_all(conn, orders_indexes_read).await?))
}

/// The names of the orders cache's indexes, to read along with other reads.
pub fn orders_indexes_read(reads: &mut Reads) -> Read<String> {
    reads.add(
        Stmt::new("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders_cache'", ()),
        |r| Ok(r.get(0)?),
    )
}

/// The scattered-key indexes not among `present`.
pub fn missing_of(present: Vec<String>) -> Vec<(&'static str, &'static str)> {
    SCATTERED_INDEXES.into_iter().filter(|(name, _)| !present.iter().any(|p| p == name)).collect()
}
