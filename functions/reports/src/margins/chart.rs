//! The 30-day chart: per currency, each day's revenue as a bar and its margin as a darker bar inside it
//! (below the axis, in red, on a day sold below cost). Inline SVG drawn on the server, no script.

use maud::{html, Markup};

use super::DayMargin;

/// Escapes text for SVG built by hand.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One chart per currency over the `days` days ending with `today` (a midnight).
pub fn by_day(rows: &[DayMargin], days: i64, today: i64) -> Markup {
    let mut currencies: Vec<&str> = rows.iter().map(|r| r.sums.currency.as_str()).collect();
    currencies.dedup();
    html! {
        @for cur in currencies {
            figure.chart {
                figcaption { "Revenue and margin per day, last " (days) " days" @if !cur.is_empty() { " (" (cur) ")" } }
                (shared::ui::layout::raw(&svg(rows.iter().filter(|r| r.sums.currency == cur), days, today, cur)))
            }
        }
    }
}

fn svg<'a>(rows: impl Iterator<Item = &'a DayMargin>, days: i64, today: i64, cur: &str) -> String {
    let first = today - (days - 1) * 86_400;
    let mut cells = vec![None; days as usize];
    for r in rows {
        let i = (r.day - first).div_euclid(86_400);
        if (0..days).contains(&i) {
            cells[i as usize] = Some((r.sums.revenue, r.sums.margin));
        }
    }
    let top = cells.iter().flatten().map(|(rev, m)| (*rev).max(*m)).max().unwrap_or(0).max(1) as f64;
    let bottom = cells.iter().flatten().map(|(_, m)| (-*m).max(0)).max().unwrap_or(0) as f64;
    let (w, h, bar) = (330.0, 90.0, 11.0);
    let scale = (h - 4.0) / (top + bottom).max(1.0);
    let axis = 2.0 + top * scale;
    let mut body = format!("<line x1=\"0\" y1=\"{axis:.1}\" x2=\"{w}\" y2=\"{axis:.1}\" stroke=\"currentColor\" stroke-width=\"0.5\"/>");
    for (i, c) in cells.iter().enumerate() {
        let Some((rev, margin)) = c else { continue };
        let x = i as f64 * bar;
        let day: String = shared::time::short(first + i as i64 * 86_400).chars().take(10).collect();
        let title = format!(
            "{day}: revenue {} {cur}, margin {} {cur}",
            shared::pp::money::format(*rev),
            shared::pp::money::format(*margin)
        );
        let rh = *rev as f64 * scale;
        body.push_str(&format!(
            "<g><title>{t}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{rh:.1}\" fill=\"currentColor\" opacity=\"0.3\"/>",
            t = esc(&title),
            y = axis - rh,
            bw = bar - 2.0
        ));
        let mh = (*margin as f64 * scale).abs();
        if *margin >= 0 {
            body.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{mh:.1}\" fill=\"currentColor\" opacity=\"0.8\"/></g>",
                y = axis - mh,
                bw = bar - 2.0
            ));
        } else {
            body.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{axis:.1}\" width=\"{bw}\" height=\"{mh:.1}\" fill=\"#c0392b\"/></g>",
                bw = bar - 2.0
            ));
        }
    }
    format!(
        "<svg class=\"bars\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Revenue and margin per day\">{body}</svg>"
    )
}
