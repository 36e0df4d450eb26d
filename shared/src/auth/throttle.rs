//! Sign-in throttling, kept in the database so every Lambda instance sees the same counts.
//!
//! Failures are counted per (username, client address) and per address, so an attacker's failures
//! throttle the attacker, not the account: the real user, signing in from an address that has not been
//! failing, gets in. Against guessing spread over many addresses, a ceiling per username (and one for
//! the whole site) lowers each address's allowance while it holds: guessing slows down, and still
//! nobody is locked out. Every failure also goes to the activity log (the callers write it).

use std::net::IpAddr;

use libsql::params;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::time::now;

pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures of one username from one address.
pub const MAX_PER_PAIR: i64 = 5;
/// Failures from one address, all usernames together.
pub const MAX_PER_IP: i64 = 20;
/// Failures of one username from every address: past this, each address gets [`MAX_PER_PAIR_BUSY`].
pub const USER_CEILING: i64 = 20;
/// Failures over the whole site: past this, likewise.
pub const SITE_CEILING: i64 = 200;
/// Failures of one username from one address while a ceiling is passed: a typo is forgiven, a
/// guesser moves on after two.
pub const MAX_PER_PAIR_BUSY: i64 = 2;

fn username_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The address as counted: an IPv6 client is counted by its /64 (one subscriber's prefix, which a
/// guesser could otherwise walk), an IPv4-mapped one as IPv4.
fn address_key(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(v4) => v4.to_string(),
        Err(_) => ip.trim().to_string(),
    }
}

/// The scopes one attempt is counted under: (username, address), address, username.
fn scopes(username: &str, ip: &str) -> [String; 3] {
    let (user, addr) = (username_key(username), address_key(ip));
    [format!("pair:{addr}|{user}"), format!("ip:{addr}"), format!("user:{user}")]
}

/// Recent failures under a scope, and when the oldest of them happened.
#[derive(Default, Clone, Copy)]
struct Count {
    n: i64,
    oldest: Option<i64>,
}

/// A sign-in attempt, counted as a failure from the start: the counts and this attempt's own rows are
/// written in one transaction, so a burst of parallel tries cannot all pass the check before any of
/// them is recorded. A correct password then takes the attempt back ([`succeeded`]).
pub struct Attempt {
    rows: [i64; 3],
}

/// `Err(429)` with a clear message while this address has too many recent failures, for this username
/// or for all; otherwise the attempt, already counted.
pub async fn begin(db: &Db, username: &str, ip: &str) -> AppResult<Attempt> {
    let t = now();
    let since = t - WINDOW_SECS;
    let keys = scopes(username, ip);
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    // One statement: the three scopes, and the site's failures (one `ip:` row per failure).
    let mut rows = tx
        .query(
            "SELECT scope, COUNT(*), MIN(at) FROM login_failures
              WHERE scope IN (?1, ?2, ?3) AND at > ?4 GROUP BY scope
             UNION ALL
             SELECT '', COUNT(*), MIN(at) FROM login_failures WHERE scope >= 'ip:' AND scope < 'ip;' AND at > ?4",
            params![keys[0].as_str(), keys[1].as_str(), keys[2].as_str(), since],
        )
        .await?;
    let (mut counts, mut site) = ([Count::default(); 3], Count::default());
    while let Some(r) = rows.next().await? {
        let scope: String = r.get(0)?;
        let count = Count { n: r.get(1)?, oldest: crate::db::opt_i64(&r, 2)? };
        match keys.iter().position(|k| *k == scope) {
            Some(i) => counts[i] = count,
            None => site = count,
        }
    }
    drop(rows);
    let [pair, addr, user] = counts;
    let busy = user.n >= USER_CEILING || site.n >= SITE_CEILING;
    let pair_max = if busy { MAX_PER_PAIR_BUSY } else { MAX_PER_PAIR };
    for (count, max) in [(addr, MAX_PER_IP), (pair, pair_max)] {
        if count.n >= max {
            return Err(refusal(count.oldest, t));
        }
    }
    let mut ids = [0; 3];
    for (id, key) in ids.iter_mut().zip(&keys) {
        tx.execute("INSERT INTO login_failures (scope, at) VALUES (?1, ?2)", params![key.as_str(), t])
            .await?;
        *id = tx.last_insert_rowid();
    }
    // Keep the table small: anything older than the window no longer counts.
    tx.execute("DELETE FROM login_failures WHERE at <= ?1", params![since]).await?;
    tx.commit().await?;
    Ok(Attempt { rows: ids })
}

fn refusal(oldest: Option<i64>, t: i64) -> AppError {
    let wait = oldest.map(|o| o + WINDOW_SECS - t).unwrap_or(WINDOW_SECS).max(1);
    let minutes = (wait + 59) / 60;
    AppError::TooManyRequests {
        message: format!(
            "Too many failed sign-in attempts from this address. Wait {minutes} minute{} and try again.",
            if minutes == 1 { "" } else { "s" }
        ),
        retry_after_secs: wait as u64,
    }
}

/// The password was right: the attempt is not a failure, and this address's earlier failures for
/// the username are forgiven (those from elsewhere still count towards its ceiling).
pub async fn succeeded(db: &Db, attempt: Attempt, username: &str, ip: &str) -> AppResult<()> {
    let [pair, ..] = scopes(username, ip);
    let conn = db.connect().await?;
    conn.execute(
        "DELETE FROM login_failures WHERE rowid IN (?1, ?2, ?3) OR scope = ?4",
        params![attempt.rows[0], attempt.rows[1], attempt.rows[2], pair],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_addresses_are_counted_as_one_whatever_their_spelling() {
        assert_eq!(scopes(" Alice ", "10.0.0.1"), scopes("alice", "10.0.0.1"));
        assert_eq!(address_key("::ffff:10.0.0.1"), "10.0.0.1");
        // One IPv6 subscriber's /64 is one address.
        assert_eq!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:2:ffff::9"));
        assert_ne!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
    }
}
