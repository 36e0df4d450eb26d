//! A small server-rendered SVG of price history: one step line per rival, our current rate dashed.
//! Only numbers we computed go into coordinates; names go into escaped text.

use maud::{html, Markup};

use super::compute::TrackedService;

const W: f64 = 640.0;
const H: f64 = 170.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 10.0;
const PAD_B: f64 = 24.0;
pub const COLORS: [&str; 6] = ["#2563eb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2"];

pub fn chart(s: &TrackedService, from: i64, to: i64) -> Markup {
    let mut max = s.our_rate.unwrap_or(0);
    for r in &s.rivals {
        for p in &r.history {
            max = max.max(p.rate.unwrap_or(0));
        }
    }
    if max <= 0 || to <= from {
        return html! { p.muted { "No prices to draw." } };
    }
    let top = max as f64 * 1.15;
    let x = |t: i64| PAD_L + (t.clamp(from, to) - from) as f64 / (to - from) as f64 * (W - PAD_L - PAD_R);
    let y = |r: i64| PAD_T + (1.0 - r as f64 / top) * (H - PAD_T - PAD_B);
    let label = |v: f64| shared::pp::money::format(v.round() as i64);
    html! {
        svg.pricechart viewBox=(format!("0 0 {W} {H}")) width="100%" role="img"
            aria-label={ "Price history of " (s.name) } {
            line x1=(PAD_L) y1=(H - PAD_B) x2=(W - PAD_R) y2=(H - PAD_B) stroke="#999" {}
            line x1=(PAD_L) y1=(PAD_T) x2=(PAD_L) y2=(H - PAD_B) stroke="#999" {}
            text x=(PAD_L - 4.0) y=(y(max) + 4.0) text-anchor="end" font-size="10" { (label(max as f64)) }
            text x=(PAD_L - 4.0) y=(H - PAD_B) text-anchor="end" font-size="10" { "0" }
            text x=(PAD_L) y=(H - 6.0) font-size="10" { (shared::time::short(from)) }
            text x=(W - PAD_R) y=(H - 6.0) text-anchor="end" font-size="10" { (shared::time::short(to)) }
            @if let Some(o) = s.our_rate {
                line x1=(PAD_L) y1=(y(o)) x2=(W - PAD_R) y2=(y(o)) stroke="#111" stroke-dasharray="5 4" {
                    title { "Our rate now: " (label(o as f64)) }
                }
            }
            @for (k, r) in s.rivals.iter().enumerate() {
                @let color = COLORS[k % COLORS.len()];
                @for seg in segments(&r.history, to) {
                    @let pts: Vec<String> = seg.iter().map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v))).collect();
                    polyline points=(pts.join(" ")) fill="none" stroke=(color) stroke-width="2" {
                        title { (r.competitor) ": " (r.rival_name) }
                    }
                }
            }
        }
        p.legend {
            @if s.our_rate.is_some() { span { "- - us" } " " }
            @for (k, r) in s.rivals.iter().enumerate() {
                // A drawn swatch, not a style attribute: the CSP allows no inline style.
                svg.swatch width="10" height="10" aria-hidden="true" {
                    rect width="10" height="10" fill=(COLORS[k % COLORS.len()]) {}
                }
                " " (r.competitor) " "
            }
        }
    }
}

/// Step-line segments (a gap where the service was not listed): [(t, rate)] with a horizontal run to
/// each next change.
fn segments(points: &[super::compute::PricePoint], to: i64) -> Vec<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(i64, i64)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let end = points.get(i + 1).map(|n| n.at).unwrap_or(to);
        match p.rate {
            Some(r) => {
                cur.push((p.at, r));
                cur.push((end, r));
            }
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
