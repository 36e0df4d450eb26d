//! The competitor report's numbers, independent of HTML: per tracked service our rate against each
//! confirmed rival match now and at the start of the window, and each rival's catalogue changes in the
//! window. `report` is what the page, the JSON and (later) the admin API call.

use serde::Serialize;

use shared::auth::PanelScope;
use shared::db::Db;
use shared::domain::competitors::{self, catalog, matching, profiles, Competitor};
use shared::domain::panels;
use shared::{AppError, AppResult};

/// Below this share of the cheapest rival's rate we are "cheapest by far".
pub const FAR_CHEAPER: f64 = 0.8;
pub const DEFAULT_WINDOW_HOURS: i64 = 168;

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    pub panel: Option<i64>,
    pub profile: Option<i64>,
    pub window_hours: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PricePoint {
    pub at: i64,
    /// None: not listed from then on.
    pub rate: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RivalRate {
    pub competitor_id: i64,
    pub competitor: String,
    pub rival_service_id: i64,
    pub rival_name: String,
    /// Listed in the rival's current catalogue.
    pub listed: bool,
    pub rate_now: Option<i64>,
    pub rate_start: Option<i64>,
    /// When `rate_start` was observed: the window start, or later when history begins inside it.
    pub start_at: Option<i64>,
    pub change_abs: Option<i64>,
    pub change_pct: Option<f64>,
    /// Our rate minus theirs (positive: we are dearer), now and at the start.
    pub vs_us_now_abs: Option<i64>,
    pub vs_us_now_pct: Option<f64>,
    pub vs_us_start_abs: Option<i64>,
    pub vs_us_start_pct: Option<f64>,
    /// The rate over the window, as steps.
    pub history: Vec<PricePoint>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrackedService {
    pub panel_id: i64,
    pub service_id: i64,
    pub name: String,
    pub our_rate: Option<i64>,
    pub rivals: Vec<RivalRate>,
    pub cheapest_rival: Option<String>,
    pub cheapest_rival_rate: Option<i64>,
    /// most_expensive, cheapest_by_far, cheapest, between, or no_data.
    pub position: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct CatalogChange {
    pub competitor_id: i64,
    pub competitor: String,
    pub service_id: i64,
    pub name: String,
    /// new, removed, price_up, price_down.
    pub kind: &'static str,
    pub rate_before: Option<i64>,
    pub rate_after: Option<i64>,
    pub change_pct: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CompetitorReport {
    pub panel_id: i64,
    pub profile_id: Option<i64>,
    pub profile: Option<String>,
    pub window_hours: i64,
    pub from: i64,
    pub to: i64,
    pub competitors: Vec<String>,
    pub rows: Vec<TrackedService>,
    pub changes: Vec<CatalogChange>,
    /// Caveats in words (history that begins inside the window, competitors never synced).
    pub notes: Vec<String>,
}

fn pct(part: i64, of: i64) -> Option<f64> {
    (of != 0).then(|| ((part as f64 / of as f64) * 10_000.0).round() / 100.0)
}

fn position(ours: Option<i64>, rivals: &[i64]) -> &'static str {
    let (Some(o), Some(min), Some(max)) = (ours, rivals.iter().min(), rivals.iter().max()) else {
        return "no_data";
    };
    if o > *max {
        "most_expensive"
    } else if (o as f64) < *min as f64 * FAR_CHEAPER {
        "cheapest_by_far"
    } else if o <= *min {
        "cheapest"
    } else {
        "between"
    }
}

/// The report for one of our panels, as of `now` (Unix seconds).
pub async fn report(db: &Db, scope: &PanelScope, q: &ReportQuery, now: i64) -> AppResult<CompetitorReport> {
    let profile = match q.profile {
        Some(id) => Some(profiles::get_in_scope(db, scope, id).await?),
        None => None,
    };
    let panel_id = match (profile.as_ref().map(|p| p.panel_id), q.panel) {
        (Some(p), Some(asked)) if p != asked => {
            return Err(AppError::bad_request("That profile belongs to another panel."));
        }
        (Some(p), _) => p,
        (None, Some(p)) => p,
        (None, None) => panels::refs_in_scope(db, scope)
            .await?
            .first()
            .map(|p| p.id)
            .ok_or_else(|| AppError::bad_request("No panel is shared with you."))?,
    };
    scope.check(panel_id)?;
    let window_hours =
        q.window_hours.or(profile.as_ref().map(|p| p.window_hours)).unwrap_or(DEFAULT_WINDOW_HOURS);
    if !(1..=profiles::MAX_WINDOW_HOURS).contains(&window_hours) {
        return Err(AppError::bad_request(format!(
            "window_hours must be between 1 and {}.",
            profiles::MAX_WINDOW_HOURS
        )));
    }
    let from = now - window_hours * 3600;
    let mut rivals: Vec<Competitor> = competitors::list(db, &PanelScope::All, Some(panel_id)).await?;
    if let Some(p) = profile.as_ref().filter(|p| !p.competitor_ids.is_empty()) {
        rivals.retain(|c| p.competitor_ids.contains(&c.id));
    }
    let mut notes = Vec::new();
    let mut starts = std::collections::HashMap::new();
    for c in &rivals {
        let first = catalog::history_starts(db, c.id).await?;
        match first {
            None => notes.push(format!("{} has not been synced yet.", c.name)),
            Some(t) if t > from => notes.push(format!(
                "{}'s price history begins {}, inside the window: its start values are from then.",
                c.name,
                shared::time::full(t)
            )),
            _ => {}
        }
        starts.insert(c.id, first);
    }
    // Confirmed matches of the tracked services with the chosen competitors.
    let decisions = matching::decisions(db, &PanelScope::All, Some(panel_id)).await?;
    let tracked_ids: Option<&Vec<i64>> = profile.as_ref().map(|p| &p.service_ids).filter(|s| !s.is_empty());
    let mut service_ids: Vec<i64> = decisions
        .iter()
        .filter(|d| d.confirmed && rivals.iter().any(|c| c.id == d.competitor_id))
        .map(|d| d.service_id)
        .filter(|s| tracked_ids.is_none_or(|t| t.contains(s)))
        .collect();
    if let Some(t) = tracked_ids {
        service_ids.extend(t.iter().copied());
    }
    service_ids.sort_unstable();
    service_ids.dedup();
    let ours = matching::our_rates(db, panel_id).await?;
    let mut rows = Vec::new();
    for sid in service_ids {
        let (name, our_rate) =
            ours.get(&sid).cloned().unwrap_or((format!("Service {sid} (not in our catalogue)"), None));
        let mut rates = Vec::new();
        for d in decisions.iter().filter(|d| d.confirmed && d.service_id == sid) {
            let Some(c) = rivals.iter().find(|c| c.id == d.competitor_id) else { continue };
            let versions = catalog::history(db, c.id, d.rival_service_id, from, now).await?;
            let current = versions.iter().find(|v| v.valid_to.is_none());
            let first = versions.first();
            let (rate_start, start_at) = match first {
                Some(v) => (v.rate, Some(v.valid_from.max(from))),
                None => (None, None),
            };
            let rate_now = current.and_then(|v| v.rate);
            let rival_name = match (current, versions.last()) {
                (Some(v), _) | (None, Some(v)) => v.name.clone(),
                (None, None) => format!("#{}", d.rival_service_id),
            };
            let mut history = Vec::new();
            for v in &versions {
                history.push(PricePoint { at: v.valid_from.max(from), rate: v.rate });
                if let Some(end) = v.valid_to.filter(|e| *e <= now) {
                    let next_starts = versions.iter().any(|w| w.valid_from == end);
                    if !next_starts {
                        history.push(PricePoint { at: end, rate: None });
                    }
                }
            }
            let diff = |r: Option<i64>| our_rate.zip(r).map(|(o, r)| o - r);
            rates.push(RivalRate {
                competitor_id: c.id,
                competitor: c.name.clone(),
                rival_service_id: d.rival_service_id,
                rival_name,
                listed: current.is_some(),
                rate_now,
                rate_start,
                start_at,
                change_abs: rate_now.zip(rate_start).map(|(n, s)| n - s),
                change_pct: rate_now.zip(rate_start).and_then(|(n, s)| pct(n - s, s)),
                vs_us_now_abs: diff(rate_now),
                vs_us_now_pct: diff(rate_now).zip(rate_now).and_then(|(d, r)| pct(d, r)),
                vs_us_start_abs: diff(rate_start),
                vs_us_start_pct: diff(rate_start).zip(rate_start).and_then(|(d, r)| pct(d, r)),
                history,
            });
        }
        rates.sort_by(|a, b| a.competitor.cmp(&b.competitor).then(a.competitor_id.cmp(&b.competitor_id)));
        let now_rates: Vec<i64> = rates.iter().filter_map(|r| r.rate_now).collect();
        let cheapest = rates.iter().filter(|r| r.rate_now.is_some()).min_by_key(|r| r.rate_now);
        rows.push(TrackedService {
            panel_id,
            service_id: sid,
            name,
            our_rate,
            position: position(our_rate, &now_rates),
            cheapest_rival: cheapest.map(|r| r.competitor.clone()),
            cheapest_rival_rate: cheapest.and_then(|r| r.rate_now),
            rivals: rates,
        });
    }
    let mut changes = Vec::new();
    for c in &rivals {
        let Some(Some(first)) = starts.get(&c.id) else { continue };
        let baseline = from.max(*first);
        let before = catalog::as_of(db, c.id, baseline).await?;
        let after = catalog::as_of(db, c.id, now).await?;
        for a in &after {
            match before.iter().find(|b| b.service_id == a.service_id) {
                None => changes.push(change(c, a.service_id, &a.name, "new", None, a.rate)),
                Some(b) if b.rate != a.rate => {
                    let kind =
                        if a.rate.unwrap_or(0) > b.rate.unwrap_or(0) { "price_up" } else { "price_down" };
                    changes.push(change(c, a.service_id, &a.name, kind, b.rate, a.rate));
                }
                Some(_) => {}
            }
        }
        for b in before.iter().filter(|b| !after.iter().any(|a| a.service_id == b.service_id)) {
            changes.push(change(c, b.service_id, &b.name, "removed", b.rate, None));
        }
    }
    changes.sort_by(|a, b| {
        a.competitor.cmp(&b.competitor).then(a.kind.cmp(b.kind)).then(a.service_id.cmp(&b.service_id))
    });
    Ok(CompetitorReport {
        panel_id,
        profile_id: profile.as_ref().map(|p| p.id),
        profile: profile.as_ref().map(|p| p.name.clone()),
        window_hours,
        from,
        to: now,
        competitors: rivals.iter().map(|c| c.name.clone()).collect(),
        rows,
        changes,
        notes,
    })
}

fn change(
    c: &Competitor,
    service_id: i64,
    name: &str,
    kind: &'static str,
    before: Option<i64>,
    after: Option<i64>,
) -> CatalogChange {
    CatalogChange {
        competitor_id: c.id,
        competitor: c.name.clone(),
        service_id,
        name: name.to_string(),
        kind,
        rate_before: before,
        rate_after: after,
        change_pct: after.zip(before).and_then(|(a, b)| pct(a - b, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_percentages() {
        assert_eq!(position(Some(120), &[100, 110]), "most_expensive");
        assert_eq!(position(Some(70), &[100, 110]), "cheapest_by_far");
        assert_eq!(position(Some(95), &[100, 110]), "cheapest");
        assert_eq!(position(Some(105), &[100, 110]), "between");
        assert_eq!(position(None, &[100]), "no_data");
        assert_eq!(pct(25, 200), Some(12.5));
        assert_eq!(pct(1, 0), None);
    }
}
