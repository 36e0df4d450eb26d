//! Shared UI pieces: tables, empty states, pager, status labels, times, filter chips.

use maud::{html, Markup, PreEscaped, Render};

pub use crate::ui::layout::{csrf_input, link};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Col<'a> {
    pub label: &'a str,
    pub align: Align,
}

pub fn col(label: &str) -> Col<'_> {
    Col { label, align: Align::Left }
}

pub fn num(label: &str) -> Col<'_> {
    Col { label, align: Align::Right }
}

/// A compact table with a sticky header; `empty` is shown in place of the rows when there are none.
pub fn table(cols: &[Col<'_>], rows: &[Markup], empty: Markup) -> Markup {
    html! {
        div.tablewrap {
            table.data {
                thead { tr { @for c in cols { th.num[c.align == Align::Right] scope="col" { (c.label) } } } }
                tbody {
                    @if rows.is_empty() {
                        tr.empty { td colspan=(cols.len()) { (empty) } }
                    } @else {
                        (labelled_rows(rows, cols))
                    }
                }
            }
        }
    }
}

/// `rows` with each cell labelled by its column (see [`Labelled`]), for a table whose header is
/// written by hand (sortable columns).
pub fn labelled_rows(rows: &[Markup], cols: &[Col<'_>]) -> Markup {
    html! { @for r in rows { (Labelled { html: &r.0, cols }) } }
}

/// Rows with each cell's column label in `data-label`: a phone shows a row as "label: value" lines
/// (the stylesheet hides the header there). One pass over the rows' markup, so pages keep writing rows
/// as plain `tr`/`td`; a cell spanning columns takes the label of the first.
struct Labelled<'a> {
    html: &'a str,
    cols: &'a [Col<'a>],
}

impl Render for Labelled<'_> {
    fn render_to(&self, out: &mut String) {
        let html = self.html;
        out.reserve(html.len() + html.len() / 8);
        let mut col = 0usize;
        let mut at = 0;
        while let Some(found) = html[at..].find('<') {
            let tag = at + found;
            let rest = &html[tag..];
            let opens = |name: &str| {
                rest.strip_prefix(name).is_some_and(|r| r.starts_with(' ') || r.starts_with('>'))
            };
            if opens("<tr") {
                col = 0;
            } else if opens("<td") {
                out.push_str(&html[at..tag + 3]);
                at = tag + 3;
                if let Some(c) = self.cols.get(col).filter(|c| !c.label.is_empty()) {
                    out.push_str(" data-label=\"");
                    escape_into(c.label, out);
                    out.push('"');
                }
                let end = rest.find('>').unwrap_or(rest.len());
                let span = rest[..end]
                    .split_once("colspan=\"")
                    .and_then(|(_, v)| v.split('"').next()?.parse::<usize>().ok())
                    .unwrap_or(1);
                col += span.max(1);
                continue;
            }
            out.push_str(&html[at..tag + 1]);
            at = tag + 1;
        }
        out.push_str(&html[at..]);
    }
}

/// A small button copying `text` to the clipboard (script only; the text is on the page beside it).
pub fn copy_button(text: &str, label: &str) -> Markup {
    html! { button.secondary.copy type="button" data-copy=(text) { (label) } }
}

/// Says why there is nothing and what to do about it.
pub fn empty_state(message: &str, action: Option<(&str, &str)>) -> Markup {
    html! {
        div.emptystate {
            p { (message) }
            @if let Some((href, label)) = action { p { a href=(href) { (label) } } }
        }
    }
}

/// The empty state of a list whose rows the sync has not brought yet (`what`: "orders").
pub fn nothing_cached(what: &str) -> Markup {
    let message = format!("No {what} are cached yet. They arrive with the next sync (Settings → Sync).");
    empty_state(&message, Some(("/settings/sync", "Open Settings → Sync")))
}

/// A list's search box (`q`, focused by the access key S).
pub fn search_field(value: &str, placeholder: &str) -> Markup {
    html! {
        div { label for="f-q" { "Search" }
            input #f-q type="search" name="q" value=(value) placeholder=(placeholder) accesskey="s"; }
    }
}

/// Keyset pager: a link to the next (older) page when there is one.
pub fn pager(first_href: Option<&str>, next_href: Option<&str>) -> Markup {
    html! {
        @if first_href.is_some() || next_href.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(h) = first_href { a href=(h) { "« Newest" } }
                @if let Some(h) = next_href { a href=(h) rel="next" { "Older »" } }
            }
        }
    }
}

/// The colour family of a status word; the same everywhere in the console.
pub fn status_tone(status: &str) -> &'static str {
    match status.to_ascii_lowercase().as_str() {
        "ok" | "active" | "completed" | "healthy" | "good" | "answered" | "low" => "ok",
        "pending" | "in_progress" | "in progress" | "processing" | "warning" | "paused" | "partial"
        | "waiting" | "mediocre" | "medium" | "hold" | "running" => "warn",
        "fail" | "error" | "critical" | "bad" | "rejected" | "high" | "revoked" | "expired" => "bad",
        _ => "muted",
    }
}

pub fn status_label(status: &str) -> Markup {
    html! { span class={ "label " (status_tone(status)) } { (status) } }
}

/// A time in UTC with the full timestamp on hover (the script shows it in the viewer's time zone).
pub fn time(ts: i64) -> Markup {
    use crate::time::{full, iso, short, Stamp};
    match Stamp::of(ts) {
        // Digits and separators only: nothing to escape.
        Some(s) => {
            PreEscaped(format!("<time datetime=\"{}\" title=\"{}\">{}</time>", s.iso(), s.full(), s.short()))
        }
        None => html! { time datetime=(iso(ts)) title=(full(ts)) { (short(ts)) } },
    }
}

pub fn opt_time(ts: Option<i64>) -> Markup {
    match ts {
        Some(t) => time(t),
        None => html! { span.muted { "never" } },
    }
}

/// Long text cut to `n` characters with the full text on hover.
pub fn cut(text: &str, n: usize) -> Cut<'_> {
    Cut { text, n }
}

/// [`cut`]'s text, written straight into the page (list pages write hundreds per request).
pub struct Cut<'a> {
    text: &'a str,
    n: usize,
}

impl Render for Cut<'_> {
    fn render_to(&self, out: &mut String) {
        // No longer in bytes than `n` means no longer in characters: most texts skip the walk.
        let over = if self.text.len() <= self.n { None } else { self.text.char_indices().nth(self.n) };
        match over {
            None => escape_into(self.text, out),
            Some((at, _)) => {
                out.push_str("<span title=\"");
                escape_into(self.text, out);
                out.push_str("\">");
                escape_into(&self.text[..at], out);
                out.push_str("…</span>");
            }
        }
    }
}

/// HTML-escapes `text` onto `out` as maud does (`&`, `<`, `>`, `"`), copying the runs between those
/// characters whole rather than byte by byte.
pub fn escape_into(text: &str, out: &mut String) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => continue,
        };
        // The four are ASCII, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// Active filters as removable chips: (label, href without that filter).
pub fn chips(active: &[(String, String)], clear_href: &str) -> Markup {
    html! {
        @if !active.is_empty() {
            div.chips {
                @for (label, href) in active {
                    a.chip href=(href) title="Remove this filter" { (label) " ×" }
                }
                a.clearall href=(clear_href) { "Clear filters" }
            }
        }
    }
}

/// A secret the console keeps but never shows: "•••• last4" or "not set".
pub fn secret_hint(last4: Option<&str>) -> Markup {
    html! {
        @match last4 {
            Some(l) => span.secret { "•••• " (l) },
            None => span.muted { "not set" },
        }
    }
}

/// Money with its currency (`1,012.50 USD`) in the currency's decimals; a dash when unknown.
pub fn money<'a>(micros: Option<i64>, currency: Option<&'a str>) -> Money<'a> {
    Money { micros, currency }
}

pub struct Money<'a> {
    micros: Option<i64>,
    currency: Option<&'a str>,
}

impl Render for Money<'_> {
    fn render_to(&self, out: &mut String) {
        match self.micros {
            Some(m) => {
                out.push_str(&crate::pp::money::display(m, self.currency));
                if let Some(c) = self.currency.filter(|c| !c.is_empty()) {
                    out.push_str(" <span class=\"cur\">");
                    escape_into(c, out);
                    out.push_str("</span>");
                }
            }
            None => out.push_str(DASH),
        }
    }
}

const DASH: &str = "<span class=\"muted\">—</span>";

/// A service's rate (per 1000) with its own precision, thousands separated; a dash when unknown.
pub fn rate(micros: Option<i64>) -> Markup {
    match micros {
        Some(m) => PreEscaped(crate::pp::money::rate(m)),
        None => PreEscaped(DASH.to_string()),
    }
}

/// A count or average of counts as a whole number ("Avg length 131", not 130.67).
pub fn whole(n: f64) -> String {
    format!("{}", n.round() as i64)
}

/// A whole number, or a dash when unknown.
pub fn opt_num(n: Option<i64>) -> OptNum {
    OptNum(n)
}

pub struct OptNum(Option<i64>);

impl Render for OptNum {
    fn render_to(&self, out: &mut String) {
        match self.0 {
            Some(n) => n.render_to(out),
            None => out.push_str(DASH),
        }
    }
}

/// Status tabs as links; `current` None = "All".
pub fn tabs(items: &[(String, String, bool)]) -> Markup {
    html! {
        nav.tabs aria-label="Status" {
            @for (label, href, active) in items {
                a href=(href) aria-current=[active.then_some("page")] { (label) }
            }
        }
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    /// The hand-written pieces write exactly what maud's `html!` wrote before them.
    #[test]
    fn cut_money_and_numbers_match_maud() {
        let maud_cut = |text: &str, n: usize| {
            if text.chars().count() <= n {
                html! { (text) }.into_string()
            } else {
                let short: String = text.chars().take(n).collect();
                html! { span title=(text) { (short) "…" } }.into_string()
            }
        };
        for text in ["", "plain", "a <b>\"quoted\"</b> & more", "ünïcödé 🚀 text that is long", "x&y"] {
            for n in [0, 1, 3, 5, 10, 100] {
                assert_eq!(cut(text, n).render().into_string(), maud_cut(text, n), "{text:?} {n}");
            }
        }
        for (m, c) in
            [(Some(12_500_000), Some("USD")), (Some(-1), None), (Some(0), Some("")), (None, Some("USD"))]
        {
            let old = html! {
                @match m {
                    Some(m) => { (crate::pp::money::display(m, c)) @if let Some(c) = c.filter(|c| !c.is_empty()) { " " span.cur { (c) } } }
                    None => span.muted { "—" },
                }
            };
            assert_eq!(money(m, c).render().into_string(), old.into_string());
        }
        assert_eq!(opt_num(Some(-42)).render().into_string(), "-42");
        let rows =
            [html! { tr { td { "1" } td.num { "<2>" } } tr.x { td colspan="2" { "none" } td { "3" } } }];
        assert_eq!(
            table(&[col("ID"), num("Sum"), col("")], &rows, html! {}).into_string(),
            "<div class=\"tablewrap\"><table class=\"data\"><thead><tr><th class=\"\" scope=\"col\">ID</th>\
             <th class=\"num\" scope=\"col\">Sum</th><th class=\"\" scope=\"col\"></th></tr></thead><tbody>\
             <tr><td data-label=\"ID\">1</td><td data-label=\"Sum\" class=\"num\">&lt;2&gt;</td></tr>\
             <tr class=\"x\"><td data-label=\"ID\" colspan=\"2\">none</td><td>3</td></tr></tbody></table></div>"
        );
        assert_eq!(opt_num(None).render().into_string(), html! { span.muted { "—" } }.into_string());
    }
}
