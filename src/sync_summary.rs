//! The per-resource summary `panelops sync` prints.

pub fn table(report: &sync::RunReport) -> String {
    if report.paused {
        return "the sync engine is paused (Settings → Sync)\n".into();
    }
    if report.resources.is_empty() {
        return "nothing to sync: no active panel with due work\n".into();
    }
    let mut out = format!(
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
            r.outcome,
            r.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        ));
    }
    out
}
