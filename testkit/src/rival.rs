//! A rival panel's catalogue for competitor tracking: the simulated services renamed in another
//! panel's style, priced by a per-rival factor, and moving with the simulated clock every 12 hours:
//! some prices step up or down, some services are dropped, a few new ones appear. Every value is a pure
//! function of (seed, epoch), so a test can say exactly what the rival listed at any time.

use serde_json::{json, Value};

use crate::catalog::SERVICES;
use crate::rng::{below, unit};

/// Prices and services change at most once per this many simulated seconds.
pub const EPOCH_SECS: i64 = 43_200;
pub const FIRST_RIVAL_ID: i64 = 500;
pub const FIRST_EXTRA_ID: i64 = 900;

/// The same services as `catalog::SERVICES`, in the order there, as another panel writes them.
const NAMES: [&str; 22] = [
    "TikTok Likes [Max 1M] [Speed: 15K/Day] [Refill: 30 Days] [Instant]",
    "Instagram Followers [HQ Old Accounts] [100K/Day] [R30]",
    "YouTube Views | Native | 40K/Day | Lifetime Refill",
    "YouTube Views [External Source] [Non Drop] [500/Day] [Lifetime]",
    "Twitter Followers [Real HQ] [1K/Day] [Refill: 30 Days]",
    "Instagram Comment Likes [5K/D] [No Refill]",
    "YouTube Likes [Speed: 20K/Day] [R30]",
    "Instagram Followers [With Posts] [12K/Day] [No Refill]",
    "Instagram Random Comments [Fast]",
    "Facebook Page Likes [R30]",
    "Facebook Page Likes [Non Drop] [5K/Day] [Instant]",
    "Instagram Reel Views [Speed: 250K/D] [Instant]",
    "Telegram Members [Mix] [100K/Day] [Refill: 3 Days]",
    "YouTube Subscribers [300/Day] [R30]",
    "Spotify Plays [5K/D] [No Refill]",
    "TikTok Views [1M/Day] [Instant]",
    "TikTok Followers [5K/Day] [Refill: 30 Days]",
    "Instagram Likes [3K/Day] [Auto Refill]",
    "Twitter Retweets [1K/Day] [No Refill]",
    "Threads Followers [500/Day] [Lifetime]",
    "Twitch Live Viewers [60 Minutes]",
    "Website Traffic [USA] [100K/Day]",
];

/// Services a rival adds later: (name, category, USD per 1000).
const EXTRAS: [(&str, &str, f64); 3] = [
    ("Instagram Saves [10K/Day] [No Refill]", "Instagram Saves", 0.08),
    ("TikTok Shares [50K/Day] [No Refill]", "TikTok Shares", 0.15),
    ("YouTube Shorts Likes [10K/Day] [R30]", "YouTube Likes", 0.90),
];

/// One rival: its seed and the simulated time its catalogue history starts.
#[derive(Clone, Copy, Debug)]
pub struct Rival {
    pub seed: u64,
    pub t0: i64,
}

impl Rival {
    pub fn epoch(&self, now: i64) -> u64 {
        ((now - self.t0).max(0) / EPOCH_SECS) as u64
    }

    /// Whether base service `i` is listed at epoch `e`.
    fn listed(&self, i: usize, e: u64) -> bool {
        let s = self.seed;
        // A fifth of our services this rival never sells.
        if below(s, 2, i as u64, 5) == 0 {
            return false;
        }
        // A sixth are dropped at some point after the first day.
        if below(s, 3, i as u64, 6) == 0 {
            return e < 2 + below(s, 4, i as u64, 6);
        }
        true
    }

    /// Price in micro-units per 1000 of item `key` (base price `usd`) at epoch `e`: the rival's factor,
    /// then a step of up to ±10% at about a quarter of the epochs.
    fn rate(&self, key: u64, usd: f64, e: u64) -> i64 {
        let s = self.seed;
        let mut r = usd * (0.75 + unit(s, 1, key) * 0.5);
        for k in 1..=e {
            let i = key * 10_000 + k;
            if unit(s, 6, i) < 0.25 {
                r *= 1.0 + (unit(s, 7, i) - 0.5) * 0.2;
            }
        }
        // Panels show four decimals.
        ((r * 10_000.0).round() as i64).max(1) * 100
    }

    /// The catalogue as `action=services` answers it at simulated time `now`.
    pub fn catalogue(&self, now: i64) -> Vec<Value> {
        let e = self.epoch(now);
        let mut out = Vec::new();
        for (i, sv) in SERVICES.iter().enumerate() {
            if !self.listed(i, e) {
                continue;
            }
            let name = NAMES.get(i).copied().unwrap_or(sv.name);
            out.push(row(FIRST_RIVAL_ID + i as i64, name, sv.category, self.rate(i as u64, sv.rate, e), sv));
        }
        for (j, (name, category, usd)) in EXTRAS.iter().enumerate() {
            if e > below(self.seed, 5, j as u64, 6) {
                let rate = self.rate(1000 + j as u64, *usd, e);
                out.push(json!({
                    "service": FIRST_EXTRA_ID + j as i64, "name": name, "type": "Default", "category": category,
                    "rate": micros_text(rate), "min": "100", "max": "100000", "refill": false, "cancel": true,
                    "dripfeed": false,
                }));
            }
        }
        out
    }
}

fn micros_text(m: i64) -> String {
    format!("{}.{:04}", m / 1_000_000, (m % 1_000_000) / 100)
}

fn row(id: i64, name: &str, category: &str, rate: i64, sv: &crate::catalog::ServiceSpec) -> Value {
    json!({
        "service": id, "name": name, "type": sv.kind, "category": category, "rate": micros_text(rate),
        "min": sv.min.to_string(), "max": sv.max.to_string(), "refill": sv.refill, "cancel": sv.cancel,
        "dripfeed": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_services_move_over_time() {
        let r = Rival { seed: 7, t0: 0 };
        let first = r.catalogue(0);
        assert_eq!(first, r.catalogue(EPOCH_SECS - 1), "nothing moves within an epoch");
        let later = r.catalogue(20 * EPOCH_SECS);
        assert_ne!(first, later);
        assert!(
            later.iter().any(|s| s["service"].as_i64().unwrap() >= FIRST_EXTRA_ID),
            "new services appear"
        );
        assert!(first.len() > 10);
    }
}
