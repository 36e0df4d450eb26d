//! Suggesting which rival service matches one of ours. Platform and type must agree (when both names
//! state them); refill and speed read from the names (`service_name::parse`) and word overlap raise or
//! lower the confidence. Staff confirm or reject; only confirmed matches reach reports.

use std::collections::{HashMap, HashSet};

use libsql::params;
use serde::Serialize;

use crate::auth::PanelScope;
use crate::db::{opt_i64, opt_text, read_all, Db, Read, Reads, Stmt};
use crate::domain::service_name::{self, Refill};
use crate::error::AppResult;
use crate::time::now;

/// What a name says, for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    pub platform: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub refill: Option<Refill>,
    pub speed: Option<u64>,
    pub words: HashSet<String>,
}

const PLATFORMS: &[(&str, &[&str])] = &[
    ("instagram", &["instagram", "insta", "ig"]),
    ("tiktok", &["tiktok", "tik", "tt"]),
    ("youtube", &["youtube", "yt"]),
    ("facebook", &["facebook", "fb"]),
    ("twitter", &["twitter", "x", "tweet", "tweets", "retweets"]),
    ("telegram", &["telegram", "tg"]),
    ("spotify", &["spotify"]),
    ("twitch", &["twitch"]),
    ("threads", &["threads"]),
    ("soundcloud", &["soundcloud"]),
    ("linkedin", &["linkedin"]),
    ("discord", &["discord"]),
    ("website", &["website", "traffic", "visitors"]),
];

/// Type words, singular forms folded in. "Comment" alone is a qualifier ("Comment Likes"), so only the
/// plural names the type.
const KINDS: &[(&str, &[&str])] = &[
    ("followers", &["followers", "follower", "follows"]),
    ("likes", &["likes", "like", "hearts"]),
    ("views", &["views", "view", "impressions"]),
    ("comments", &["comments"]),
    ("subscribers", &["subscribers", "subscriber", "subs"]),
    ("members", &["members", "member"]),
    ("plays", &["plays", "play", "streams", "listens"]),
    ("retweets", &["retweets", "retweet", "reposts", "repost"]),
    ("viewers", &["viewers", "viewer"]),
    ("shares", &["shares", "share"]),
    ("saves", &["saves", "save"]),
    ("traffic", &["traffic", "visits", "visitors"]),
];

/// Words that say nothing about what is sold.
const NOISE: &[&str] = &[
    "speed", "day", "days", "start", "time", "max", "min", "refill", "instant", "hour", "hours", "no", "and",
    "the", "with", "k", "m", "d", "h", "r", "nr", "lifetime", "fast", "minutes", "per",
];

fn words(lower: &str) -> Vec<String> {
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

pub fn features(name: &str, category: Option<&str>) -> Features {
    let lower = format!("{} {}", name.to_lowercase(), category.unwrap_or("").to_lowercase());
    let ws = words(&lower);
    let find = |table: &[(&'static str, &[&str])]| {
        ws.iter().find_map(|w| table.iter().find(|(_, keys)| keys.contains(&w.as_str())).map(|(k, _)| *k))
    };
    let p = service_name::parse(name);
    let kept: HashSet<String> = words(&name.to_lowercase())
        .into_iter()
        .filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit()) && !NOISE.contains(&w.as_str()))
        .filter(|w| !(w.starts_with('r') && w[1..].chars().all(|c| c.is_ascii_digit())))
        .collect();
    Features {
        platform: find(PLATFORMS),
        kind: find(KINDS),
        refill: p.refill_days,
        speed: p.min_per_day,
        words: kept,
    }
}

fn refill_days(r: &Refill) -> u32 {
    match r {
        Refill::Days(d) => *d,
        Refill::Lifetime(_) => 3650,
    }
}

/// Confidence in 0..=100 that `theirs` sells what `ours` sells; None when platform or type disagree.
pub fn confidence(ours: &Features, theirs: &Features) -> Option<u8> {
    for (a, b) in [(ours.platform, theirs.platform), (ours.kind, theirs.kind)] {
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                return None;
            }
        }
    }
    let mut score = 0.0f64;
    score += match (ours.platform, theirs.platform) {
        (Some(_), Some(_)) => 25.0,
        _ => 5.0,
    };
    score += match (ours.kind, theirs.kind) {
        (Some(_), Some(_)) => 25.0,
        _ => 5.0,
    };
    score += match (&ours.refill, &theirs.refill) {
        (Some(a), Some(b)) => {
            let (a, b) = (refill_days(a), refill_days(b));
            if a == b {
                15.0
            } else if (a == 0) != (b == 0) {
                -15.0
            } else {
                8.0
            }
        }
        (None, None) => 6.0,
        _ => 0.0,
    };
    score += match (ours.speed, theirs.speed) {
        (Some(a), Some(b)) if a > 0 && b > 0 => 10.0 * (a.min(b) as f64 / a.max(b) as f64),
        (None, None) => 4.0,
        _ => 0.0,
    };
    let union = ours.words.union(&theirs.words).count();
    let common = ours.words.intersection(&theirs.words).count();
    if union > 0 {
        score += 25.0 * common as f64 / union as f64;
    }
    Some(score.clamp(0.0, 100.0).round() as u8)
}

/// Suggestions below this confidence are not shown.
pub const MIN_CONFIDENCE: u8 = 55;

#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub competitor_id: i64,
    pub competitor: String,
    pub rival_service_id: i64,
    pub rival_name: String,
    pub rival_rate: Option<i64>,
    pub confidence: u8,
    /// confirmed, rejected, or suggested.
    pub status: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct OurService {
    pub panel_id: i64,
    pub service_id: i64,
    pub name: String,
    pub rate: Option<i64>,
    /// Confirmed matches first, then suggestions by confidence (at most 3 per competitor).
    pub candidates: Vec<Candidate>,
}

/// A decision already taken on (our service, rival service).
#[derive(Clone, Debug)]
pub struct Decision {
    pub panel_id: i64,
    pub service_id: i64,
    pub competitor_id: i64,
    pub rival_service_id: i64,
    pub confirmed: bool,
    pub confidence: Option<i64>,
}

pub async fn decisions(db: &Db, scope: &PanelScope, panel: Option<i64>) -> AppResult<Vec<Decision>> {
    read_all(&db.connect().await?, |r| decisions_read(r, scope, panel)).await
}

/// The matches staff confirmed or rejected in view.
pub fn decisions_read(reads: &mut Reads, scope: &PanelScope, panel: Option<i64>) -> Read<Decision> {
    let sql = format!(
        "SELECT panel_id, service_id, competitor_id, rival_service_id, status, confidence FROM competitor_matches
         WHERE {}",
        scope.sql("panel_id", panel)
    );
    reads.add(Stmt::new(sql, ()), |r| {
        Ok(Decision {
            panel_id: r.get(0)?,
            service_id: r.get(1)?,
            competitor_id: r.get(2)?,
            rival_service_id: r.get(3)?,
            confirmed: r.get::<String>(4)? == "confirmed",
            confidence: opt_i64(r, 5)?,
        })
    })
}

/// Our live services of one panel with their confirmed matches and fresh suggestions.
pub async fn suggest(db: &Db, panel_id: i64) -> AppResult<Vec<OurService>> {
    Ok(suggest_with_rivals(db, panel_id).await?.0)
}

/// As `suggest`, with the panel's competitors: everything read in one round trip.
pub async fn suggest_with_rivals(
    db: &Db,
    panel_id: i64,
) -> AppResult<(Vec<OurService>, Vec<super::Competitor>)> {
    let mut reads = Reads::new();
    let rivals = super::list_read(&mut reads, &PanelScope::All, Some(panel_id));
    let versions = reads.add(
        Stmt::new(
            format!(
                "SELECT {}, competitor_id FROM competitor_services
                 WHERE competitor_id IN (SELECT id FROM competitors WHERE panel_id = ?1) AND valid_to IS NULL
                 ORDER BY competitor_id, service_id",
                super::catalog::COLUMNS
            ),
            params![panel_id],
        ),
        |r| Ok((r.get::<i64>(11)?, super::catalog::from_row(r)?)),
    );
    let decided = decisions_read(&mut reads, &PanelScope::All, Some(panel_id));
    let ours = reads.add(
        Stmt::new(
            "SELECT id, name, category, rate FROM services_cache WHERE panel_id = ?1 AND removed_at IS NULL ORDER BY id",
            params![panel_id],
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?, opt_text(r, 2)?, opt_i64(r, 3)?)),
    );
    let mut done = reads.run(&db.connect().await?).await?;
    let rivals = done.all(rivals).await?;
    let mut by_rival: HashMap<i64, Vec<super::catalog::Version>> = HashMap::new();
    for (cid, v) in done.all(versions).await? {
        by_rival.entry(cid).or_default().push(v);
    }
    let decided: HashMap<(i64, i64, i64), bool> = done
        .all(decided)
        .await?
        .into_iter()
        .map(|d| ((d.service_id, d.competitor_id, d.rival_service_id), d.confirmed))
        .collect();
    let ours = done.all(ours).await?;
    let mut catalogues = Vec::new();
    for c in &rivals {
        let cat = by_rival.remove(&c.id).unwrap_or_default();
        let feats: Vec<Features> = cat.iter().map(|v| features(&v.name, v.category.as_deref())).collect();
        catalogues.push((c, cat, feats));
    }
    let mut out = Vec::new();
    for (id, name, category, rate) in ours {
        let f = features(&name, category.as_deref());
        let mut candidates = Vec::new();
        for (c, cat, feats) in &catalogues {
            let mut mine: Vec<Candidate> = cat
                .iter()
                .zip(feats)
                .filter_map(|(v, tf)| {
                    let decision = decided.get(&(id, c.id, v.service_id)).copied();
                    let conf = confidence(&f, tf);
                    let status = match decision {
                        Some(true) => "confirmed",
                        Some(false) => return None,
                        None if conf.is_some_and(|x| x >= MIN_CONFIDENCE) => "suggested",
                        None => return None,
                    };
                    Some(Candidate {
                        competitor_id: c.id,
                        competitor: c.name.clone(),
                        rival_service_id: v.service_id,
                        rival_name: v.name.clone(),
                        rival_rate: v.rate,
                        confidence: conf.unwrap_or(0),
                        status,
                    })
                })
                .collect();
            let has_confirmed = mine.iter().any(|m| m.status == "confirmed");
            // Once a match with this competitor is confirmed, its other suggestions are noise.
            if has_confirmed {
                mine.retain(|m| m.status == "confirmed");
            }
            mine.sort_by(|a, b| {
                b.confidence.cmp(&a.confidence).then(a.rival_service_id.cmp(&b.rival_service_id))
            });
            mine.truncate(3);
            candidates.extend(mine);
        }
        candidates.sort_by_key(|m| (m.status != "confirmed", std::cmp::Reverse(m.confidence)));
        out.push(OurService { panel_id, service_id: id, name, rate, candidates });
    }
    Ok((out, rivals))
}

/// Confirms or rejects a match. Confirming replaces an earlier confirmed match with the same competitor:
/// one rival service per competitor stands for each of ours.
pub async fn decide(db: &Db, d: &Decision, by: &str) -> AppResult<()> {
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    if d.confirmed {
        tx.execute(
            "DELETE FROM competitor_matches WHERE panel_id = ?1 AND service_id = ?2 AND competitor_id = ?3 AND status = 'confirmed'",
            params![d.panel_id, d.service_id, d.competitor_id],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO competitor_matches (panel_id, service_id, competitor_id, rival_service_id, status, confidence, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (panel_id, service_id, competitor_id, rival_service_id) DO UPDATE SET status = excluded.status,
            confidence = excluded.confidence, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        params![
            d.panel_id,
            d.service_id,
            d.competitor_id,
            d.rival_service_id,
            if d.confirmed { "confirmed" } else { "rejected" },
            d.confidence,
            by,
            now()
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Name and category of one of our services (None: not in the panel's catalogue).
pub async fn our_service(db: &Db, panel_id: i64, id: i64) -> AppResult<Option<(String, Option<String>)>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT name, category FROM services_cache WHERE panel_id = ?1 AND id = ?2",
            params![panel_id, id],
        )
        .await?;
    match rows.next().await? {
        Some(r) => Ok(Some((r.get(0)?, opt_text(&r, 1)?))),
        None => Ok(None),
    }
}

/// Name and rate of every service of ours in the panel, removed ones too (a tracked service may have
/// left our catalogue).
pub async fn our_rates(db: &Db, panel_id: i64) -> AppResult<HashMap<i64, (String, Option<i64>)>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query("SELECT id, name, rate FROM services_cache WHERE panel_id = ?1", params![panel_id])
        .await?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next().await? {
        out.insert(r.get::<i64>(0)?, (r.get::<String>(1)?, opt_i64(&r, 2)?));
    }
    Ok(out)
}

/// Takes a decision back: the pair is suggested again when it qualifies.
pub async fn undo(
    db: &Db,
    panel_id: i64,
    service_id: i64,
    competitor_id: i64,
    rival_service_id: i64,
) -> AppResult<u64> {
    let conn = db.connect().await?;
    Ok(conn
        .execute(
            "DELETE FROM competitor_matches WHERE panel_id = ?1 AND service_id = ?2 AND competitor_id = ?3 AND rival_service_id = ?4",
            params![panel_id, service_id, competitor_id, rival_service_id],
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_platform_type_refill_speed() {
        let f = features("Instagram Comment Likes [10K] [Refill: No] [Speed: 5K/Day]", None);
        assert_eq!((f.platform, f.kind), (Some("instagram"), Some("likes")));
        assert_eq!((f.refill, f.speed), (Some(Refill::Days(0)), Some(5_000)));
        assert_eq!(features("Twitter Retweets [Speed: 1K/Day]", None).kind, Some("retweets"));
        assert_eq!(
            features("Random Comments - Min 100", Some("Instagram Comments")).platform,
            Some("instagram")
        );
    }

    #[test]
    fn same_service_scores_high_and_other_types_not_at_all() {
        let ours = features("Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start", None);
        let close = features("TikTok Likes [Max 1M] [Speed: 15K/Day] [Refill: 30 Days]", None);
        let far = features("TikTok Likes [Speed: 1K/Day] [No Refill]", None);
        let views = features("TikTok Views [Max: 100M] [Speed: 1M/D]", None);
        let c = confidence(&ours, &close).unwrap();
        let f = confidence(&ours, &far).unwrap();
        assert!(c >= 75 && c > f, "{c} vs {f}");
        assert!(f < MIN_CONFIDENCE, "{f}");
        assert_eq!(confidence(&ours, &views), None);
    }
}
