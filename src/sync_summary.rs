//! The per-resource summary `panelops sync` prints.

pub fn table(report: &panelops_sync::RunReport) -> String {
    if report.paused {
        return "the sync engine is paused (Settings → Sync)\n".into();
    }
    let mut out = String::new();
    for p in &report.stopped {
        // That message says what to do; a refused key is fixed in Panels.
        let fix = if p.reason == shared::domain::panels::KEYS_UNREADABLE {
            ""
        } else {
            " — fix the key in Panels, then save the panel as active"
        };
        out.push_str(&format!("panel {} ({}) not synced: {}{fix}\n", p.panel_id, p.name, p.reason));
    }
    if report.resources.is_empty() {
        if report.stopped.is_empty() {
            out.push_str("nothing to sync: no active panel with due work\n");
        }
        return out;
    }
    out += &format!(
        "{:<6} {:<16} {:>9} {:>9} {:>8}  {}\n",
        "panel", "resource", "fetched", "cached", "skipped", "outcome"
    );
    for r in &report.resources {
        out.push_str(&format!(
            "{:<6} {:<16} {:>9} {:>9} {:>8}  {}{}\n",
            r.panel_id,
            r.resource,
            r.fetched,
            r.cached,
            r.skipped,
            r.outcome.as_str(),
            r.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        ));
    }
    if report.busy() > 0 {
        out.push_str(&format!(
            "{} resource(s) busy: another sync run holds them (a run that was stopped lets go within {} minutes)\n",
            report.busy(),
            panelops_sync::LEASE_HEARTBEAT_SECS / 60
        ));
    }
    out
}
