//! A small server-rendered SVG of price history: one step line per rival, our current rate dashed.
//! Only numbers we computed go into coordinates; names go into escaped text.

use maud::{html, Markup};

use super::compute::TrackedService;

const W: f64 = 640.0;
const H: f64 = 120.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 10.0;
const PAD_B: f64 = 24.0;
pub const COLORS: [&str; 6] = ["#2563eb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2"];

pub fn chart(s: &TrackedService, from: i64, to: i64) -> Markup {
    // Scaled to the data, not from 0: a move from 0.9448 to 0.9912 must show as a move.
    let rates: Vec<i64> = s
        .our_rate
        .into_iter()
        .chain(s.rivals.iter().flat_map(|r| r.history.iter().filter_map(|p| p.rate)))
        .filter(|r| *r > 0)
        .collect();
    let (Some(&min), Some(&max)) = (rates.iter().min(), rates.iter().max()) else {
        return html! { p.muted { "No prices to draw." } };
    };
    if to <= from {
        return html! { p.muted { "No prices to draw." } };
    }
    // A tenth of the range above and below (5 % of the rate when every price is the same).
    let pad = if max > min { (max - min) as f64 / 10.0 } else { max as f64 * 0.05 };
    let (lo, hi) = ((min as f64 - pad).max(0.0), max as f64 + pad);
    let x = |t: i64| PAD_L + (t.clamp(from, to) - from) as f64 / (to - from) as f64 * (W - PAD_L - PAD_R);
    let y = |r: i64| PAD_T + (hi - r as f64) / (hi - lo) * (H - PAD_T - PAD_B);
    let label = |v: f64| shared::pp::money::rate(v.round() as i64);
    html! {
        svg.pricechart viewBox=(format!("0 0 {W} {H}")) role="img"
            aria-label={ "Price history of " (s.name) } {
            line x1=(PAD_L) y1=(H - PAD_B) x2=(W - PAD_R) y2=(H - PAD_B) stroke="#999" {}
            line x1=(PAD_L) y1=(PAD_T) x2=(PAD_L) y2=(H - PAD_B) stroke="#999" {}
            text x=(PAD_L - 4.0) y=(y(max) + 4.0) text-anchor="end" font-size="10" { (label(max as f64)) }
            @if min != max {
                text x=(PAD_L - 4.0) y=(y(min) + 4.0) text-anchor="end" font-size="10" { (label(min as f64)) }
            }
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

#[cfg(test)]
mod tests {
    use super::super::compute::{PricePoint, RivalRate, TrackedService};
    use super::*;

    /// The y coordinates of the chart's polylines.
    fn ys(svg: &str) -> Vec<f64> {
        svg.split("points=\"")
            .skip(1)
            .flat_map(|p| {
                p.split('"').next().unwrap_or("").split(' ').map(str::to_string).collect::<Vec<_>>()
            })
            .filter_map(|xy| xy.split_once(',').and_then(|(_, y)| y.parse().ok()))
            .collect()
    }

    #[test]
    fn a_small_move_fills_the_chart() {
        let rival = RivalRate {
            competitor_id: 1,
            competitor: "Rival".into(),
            rival_service_id: 7,
            rival_name: "Likes".into(),
            listed: true,
            rate_now: Some(991_200),
            rate_start: Some(944_800),
            start_at: Some(0),
            change_abs: None,
            change_pct: None,
            vs_us_now_abs: None,
            vs_us_now_pct: None,
            vs_us_start_abs: None,
            vs_us_start_pct: None,
            history: vec![
                PricePoint { at: 0, rate: Some(944_800) },
                PricePoint { at: 50, rate: Some(991_200) },
            ],
        };
        let s = TrackedService {
            panel_id: 1,
            service_id: 1,
            name: "Likes".into(),
            our_rate: None,
            rivals: vec![rival],
            cheapest_rival: None,
            cheapest_rival_rate: None,
            position: "no_data",
        };
        let svg = chart(&s, 0, 100).into_string();
        let ys = ys(&svg);
        let spread =
            ys.iter().cloned().fold(f64::MIN, f64::max) - ys.iter().cloned().fold(f64::MAX, f64::min);
        // 0.9448 → 0.9912 is most of the plot's height, not a 5 % wiggle over an axis from 0.
        assert!(spread > 0.6 * (H - PAD_T - PAD_B), "{ys:?}");
        assert!(svg.contains(">0.9448<") && svg.contains(">0.9912<"), "both ends are labelled: {svg}");
        assert!(!svg.contains("style="), "no inline style");
    }
}
