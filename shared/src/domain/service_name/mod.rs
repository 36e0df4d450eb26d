//! What a service's name promises. Neither Perfect Panel API has a speed or refill field; names carry
//! them in many styles (`10-20K/D`, `[Speed: Up to 25K/Day]`, `Speed 500 Per Day`, `[1H - 500/Hour]`,
//! `R30`, `[Refill: No]`, `R∞`, `Lifetime`…). The reading never fails: what is not stated is `None`.

use serde::Serialize;

mod refill;
use refill::refill;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Refill {
    /// Refill for this many days; 0 = explicitly no refill.
    Days(u32),
    /// `"lifetime"`.
    Lifetime(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Promise {
    /// Lower end of the promised speed, units per day (a per-hour speed × 24).
    pub min_per_day: Option<u64>,
    pub max_per_day: Option<u64>,
    /// Days, 0 for explicitly none, "lifetime", or null when the name does not say.
    pub refill_days: Option<Refill>,
    /// The start time as written ("0-1 Hour", "Instant", "6H"), when stated.
    pub start: Option<String>,
}

pub fn parse(name: &str) -> Promise {
    let lower = name.to_lowercase();
    let (min_per_day, max_per_day) = speed(&lower).map(|(a, b)| (Some(a), Some(b))).unwrap_or((None, None));
    Promise { min_per_day, max_per_day, refill_days: refill(&lower), start: start(name, &lower) }
}

impl Promise {
    /// "5K–10K/day · refill 30 days · start 0-1 Hour", or "" when the name promises nothing.
    pub fn summary(&self) -> String {
        let k = |n: u64| match n {
            n if n >= 1_000_000 && n % 100_000 == 0 => format!("{}M", n as f64 / 1_000_000.0),
            n if n >= 1_000 && n % 100 == 0 => format!("{}K", n as f64 / 1_000.0),
            n => n.to_string(),
        };
        let mut parts = Vec::new();
        match (self.min_per_day, self.max_per_day) {
            (Some(a), Some(b)) if a != b => parts.push(format!("{}–{}/day", k(a), k(b))),
            (Some(a), _) => parts.push(format!("{}/day", k(a))),
            _ => {}
        }
        match &self.refill_days {
            Some(Refill::Days(0)) => parts.push("no refill".into()),
            Some(Refill::Days(d)) => parts.push(format!("refill {d} days")),
            Some(Refill::Lifetime(_)) => parts.push("lifetime refill".into()),
            None => {}
        }
        if let Some(s) = &self.start {
            parts.push(format!("start {s}"));
        }
        parts.join(" · ")
    }
}

/// `parse(name).summary()`, remembered per name for the life of the process: the Services page shows
/// 200 per request (reading and wording them was most of its time) and a catalogue rarely changes.
/// Emptied at 50,000 names.
pub fn summary_cached(name: &str) -> std::sync::Arc<str> {
    type Cache = std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<str>>>;
    static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Default::default);
    if let Some(s) = CACHE.lock().ok().and_then(|c| c.get(name).cloned()) {
        return s;
    }
    let s: std::sync::Arc<str> = parse(name).summary().into();
    if let Ok(mut c) = CACHE.lock() {
        if c.len() >= 50_000 {
            c.clear();
        }
        c.insert(name.to_string(), s.clone());
    }
    s
}

/// `12`, `1.5k`, `10m` at the end of `s` (after trimming): the value and whether a multiplier was given.
fn number_at_end(s: &str) -> Option<(f64, bool, usize)> {
    let t = s.trim_end();
    let b = t.as_bytes();
    let mut end = b.len();
    let mut mult = 1.0;
    let mut has_mult = false;
    if end > 0 && b[end - 1] == b'+' {
        end -= 1;
    }
    if end > 0 && (b[end - 1] == b'k' || b[end - 1] == b'm') {
        mult = if b[end - 1] == b'k' { 1_000.0 } else { 1_000_000.0 };
        has_mult = true;
        end -= 1;
    }
    let mut start = end;
    while start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.' || b[start - 1] == b',') {
        start -= 1;
    }
    if start == end {
        return None;
    }
    // A letter glued before the number ("r30", "s8") means it is not a quantity.
    if start > 0 && (b[start - 1] as char).is_ascii_alphabetic() {
        return None;
    }
    let digits: String = t[start..end].chars().filter(|c| *c != ',').collect();
    let v: f64 = digits.parse().ok()?;
    Some((v * mult, has_mult, start))
}

/// The speed before a `/d`, `/day`, `/days`, `/h`, `/hour` marker: one number or a range.
fn speed(lower: &str) -> Option<(u64, u64)> {
    let text = lower.replace(" per day", "/day").replace(" per hour", "/hour").replace(" / ", "/");
    let mut pos = 0;
    while let Some(i) = text[pos..].find('/') {
        let at = pos + i;
        pos = at + 1;
        let after = &text[at + 1..];
        let per_hour = after.starts_with('h');
        let per_day = after.starts_with('d');
        if !per_hour && !per_day {
            continue;
        }
        // The unit word must end there ("/d", "/day", "/days", "/h", "/hour"), not run into a longer word.
        let word: String = after.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if !["d", "day", "days", "h", "hr", "hour", "hours"].contains(&word.as_str()) {
            continue;
        }
        let before = &text[..at];
        let Some((hi, hi_mult, hi_start)) = number_at_end(before) else { continue };
        let mut lo = hi;
        let rest = before[..hi_start].trim_end();
        if let Some(r) = rest.strip_suffix('-') {
            if let Some((l, l_mult, _)) = number_at_end(r) {
                // "10-20K": the multiplier of the upper end applies to a bare lower end that is smaller.
                let raw_hi = if hi_mult { hi / multiplier_of(before) } else { hi };
                lo = if !l_mult && hi_mult && l <= raw_hi { l * multiplier_of(before) } else { l };
                if lo > hi {
                    lo = hi;
                }
            }
        }
        let scale = if per_hour { 24.0 } else { 1.0 };
        let (a, b) = ((lo * scale).round(), (hi * scale).round());
        if a.is_finite() && b.is_finite() && a >= 0.0 && b < 1e15 {
            return Some((a as u64, b as u64));
        }
    }
    None
}

fn multiplier_of(before: &str) -> f64 {
    match before.trim_end().trim_end_matches('+').as_bytes().last() {
        Some(b'k') => 1_000.0,
        Some(b'm') => 1_000_000.0,
        _ => 1.0,
    }
}

fn start(name: &str, lower: &str) -> Option<String> {
    if let Some(i) =
        lower.find("start time").or_else(|| lower.find("start:")).or_else(|| lower.find("start :"))
    {
        let from = lower[i..].find(':').map(|k| i + k + 1)?;
        let text: String = name.get(from..)?.chars().take_while(|c| !matches!(c, ']' | '|' | '[')).collect();
        let text = text.trim();
        if !text.is_empty() {
            return Some(text.to_string());
        }
    }
    if lower.contains("instant") {
        return Some("Instant".into());
    }
    // "[6H - 5K/D - R30]", "[0-6H]": a bracket opening with a time.
    for part in name.split('[').skip(1) {
        let first = part.split([']', ' ']).find(|s| !s.is_empty()).unwrap_or("");
        let f = first.to_lowercase();
        let body = f.trim_end_matches(['h', 'm']);
        if (f.ends_with('h') || f.ends_with("min"))
            && !body.is_empty()
            && body.chars().all(|c| c.is_ascii_digit() || c == '-')
        {
            return Some(first.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Every name in `shared/data/service-names.tsv` (beside the project) reads as the file says.
    #[test]
    fn reads_every_form_of_the_reference_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/service-names.tsv");
        let text =
            std::fs::read_to_string(path).expect("../shared/data/service-names.tsv beside the project");
        let mut checked = 0;
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let p = parse(cols[0]);
            let want_speed = cols.get(1).filter(|s| !s.is_empty()).map(|s| s.parse::<u64>().unwrap());
            let want_refill = match cols.get(2).copied().unwrap_or("") {
                "" => None,
                "lifetime" => Some(Refill::Lifetime("lifetime")),
                d => Some(Refill::Days(d.parse().unwrap())),
            };
            assert_eq!(p.min_per_day, want_speed, "speed of {}", cols[0]);
            assert_eq!(p.refill_days, want_refill, "refill of {}", cols[0]);
            checked += 1;
        }
        assert!(checked >= 14);
    }

    #[test]
    fn ranges_starts_and_json() {
        let p = parse("Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start");
        assert_eq!((p.min_per_day, p.max_per_day), (Some(10_000), Some(20_000)));
        assert_eq!(p.start.as_deref(), Some("Instant"));
        assert_eq!(parse("X [Start Time: 0-1 Hour] [Speed: 5K+/D]").start.as_deref(), Some("0-1 Hour"));
        assert_eq!(parse("TikTok Followers [6H - 5K/D - R30]").start.as_deref(), Some("6H"));
        assert_eq!(parse("Likes [0-6H]").start.as_deref(), Some("0-6H"));
        assert_eq!(parse("Likes [5K+/D]").min_per_day, Some(5_000));
        assert_eq!(parse("Views [Speed: 1M/D]").min_per_day, Some(1_000_000));
        assert_eq!(parse("Threads [ 500/Day ] [ R∞ ]").refill_days, Some(Refill::Lifetime("lifetime")));
        assert_eq!(parse("Plays NR").refill_days, Some(Refill::Days(0)));
        assert_eq!(parse("Support 24/7").min_per_day, None);
        let json =
            serde_json::to_value(parse("YouTube Views | Speed 500 Per Day | Lifetime Refill")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"min_per_day": 500, "max_per_day": 500, "refill_days": "lifetime", "start": null})
        );
        assert_eq!(serde_json::to_value(parse("X [Refill: No]")).unwrap()["refill_days"], 0);
    }

    #[test]
    fn the_cache_answers_what_parse_answers() {
        for name in ["Likes [5K+/D]", "Plays NR", "Likes [5K+/D]", ""] {
            assert_eq!(&*summary_cached(name), parse(name).summary());
        }
        assert_eq!(&*summary_cached("Likes [5K+/D]"), "5K/day");
        assert_eq!(
            parse("Views [10-20K/D] [R30] [Start: 0-1 Hour]").summary(),
            "10K–20K/day · refill 30 days · start 0-1 Hour"
        );
        assert_eq!(parse("Plays [Refill: No]").summary(), "no refill");
    }

    /// Never panics, whatever the name: random strings over the characters names use, and beyond.
    #[test]
    fn never_panics_on_any_input() {
        let alphabet: Vec<char> =
            "0123456789kKmMdDhH/-+.,:[]| rRnN∞♻️é日 speedayourefillstart\u{0}\u{200b}".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..60);
            let s: String = (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect();
            let p = parse(&s);
            if let (Some(a), Some(b)) = (p.min_per_day, p.max_per_day) {
                assert!(a <= b, "{s:?}");
            }
        }
    }
}
