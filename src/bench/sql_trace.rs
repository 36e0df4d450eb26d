//! Which SQL a request runs, as SQLite itself sees it: an auto-extension puts a statement trace on
//! every connection opened after [`install`], and [`capture`] collects the read-only statements (with
//! their bound values written in) that run while it is active. The pages benchmark re-runs them as
//! the page's bare SQL, so "bare" is every query the page makes, not a hand-kept copy of them.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::sync::Mutex;

use libsql::ffi;

static CAPTURED: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// SQLite calls this at the start of each statement (`SQLITE_TRACE_STMT`): `p` is the statement.
unsafe extern "C" fn on_statement(
    _mask: c_uint,
    _ctx: *mut c_void,
    p: *mut c_void,
    _x: *mut c_void,
) -> c_int {
    let Ok(mut guard) = CAPTURED.lock() else { return 0 };
    let Some(list) = guard.as_mut() else { return 0 };
    let stmt = p as *mut ffi::sqlite3_stmt;
    // SAFETY: SQLite hands over a live statement for the duration of this call; the expanded text is
    // ours to free with sqlite3_free.
    unsafe {
        if ffi::sqlite3_stmt_readonly(stmt) == 0 {
            return 0;
        }
        let sql = ffi::sqlite3_expanded_sql(stmt);
        if !sql.is_null() {
            list.push(CStr::from_ptr(sql).to_string_lossy().into_owned());
            ffi::sqlite3_free(sql as *mut c_void);
        }
    }
    0
}

unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *const c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: called by SQLite with the connection it is opening.
    unsafe {
        ffi::sqlite3_trace_v2(db, ffi::SQLITE_TRACE_STMT as c_uint, Some(on_statement), std::ptr::null_mut())
    };
    ffi::SQLITE_OK as c_int
}

/// Traces every connection opened from now on (existing ones are not traced).
pub fn install() {
    // SAFETY: registers a function with the signature SQLite expects for auto-extensions.
    unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
}

/// The queries run while `f` runs. Only SELECT and WITH: SQLite also calls BEGIN and PRAGMA
/// read-only, and replaying those would change the replaying connection; trigger sub-statements
/// (`-- …`) are part of their statement.
pub async fn capture<T>(f: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    if let Ok(mut g) = CAPTURED.lock() {
        *g = Some(Vec::new());
    }
    let out = f.await;
    let list = CAPTURED.lock().ok().and_then(|mut g| g.take()).unwrap_or_default();
    let is_query = |s: &String| {
        let head = s.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
        head.starts_with("SELECT") || head.starts_with("WITH")
    };
    (out, list.into_iter().filter(is_query).collect())
}
