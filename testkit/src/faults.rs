//! Fault switches, consumed request by request (counts) or held (flags).

#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer 429 above 5 requests per second (on by default; off for benchmarks).
    pub rate_limit: bool,
    /// The next N requests answer 429.
    pub burst_429: u32,
    /// The next N requests answer 500.
    pub errors_500: u32,
    /// Every answer waits this long.
    pub slow_ms: u64,
    /// The next N requests hang for `hang_ms` (longer than any client timeout).
    pub timeouts: u32,
    pub hang_ms: u64,
    /// The next N answers are cut-off JSON.
    pub malformed: u32,
    /// Every list answer carries one row with wrong types.
    pub wrong_type_row: bool,
    /// The next N answers are HTTP 200 with `error_code` ≠ 0.
    pub error_code: u32,
    /// The next N public API answers are HTTP 200 `{"error": "..."}`.
    pub public_error: u32,
    /// The API keys are revoked: 401.
    pub revoked: bool,
    /// The simulated clock advances this many seconds per request (new orders arrive while paging).
    pub advance_per_request: i64,
    /// Tickets come without `last_update` (the API reference has it as likely, not sure).
    pub tickets_without_last_update: bool,
    /// `action=services` answers an empty list.
    pub empty_services: bool,
    /// This ticket's `GET /tickets/{id}` answers without its `messages` list.
    pub ticket_without_messages: Option<i64>,
    /// This order is listed with a creation time a year ahead of the real clock (a garbled row); it
    /// is still paged by its true time.
    pub future_created_order: Option<i64>,
    /// This order is listed with an unreadable creation time (its id still readable).
    pub garbled_created_order: Option<i64>,
    /// Order write routes (`/orders/change-status`, `/orders/{id}/set-partial`, …) this panel does not
    /// have: HTTP 404.
    pub missing_writes: Vec<&'static str>,
    /// Order write routes this panel answers HTTP 200 with `error_code` ≠ 0 "Unknown method".
    pub unknown_method_writes: Vec<&'static str>,
    /// Writes to these orders are refused (HTTP 400 with the panel's message); nothing changes.
    pub refuse_orders: Vec<i64>,
    /// The next N order writes are applied, then their answer hangs for `hang_ms`.
    pub apply_then_hang: u32,
}

impl Faults {
    pub fn normal() -> Self {
        Faults { rate_limit: true, hang_ms: 15_000, ..Faults::default() }
    }
}
