//! Shared UI pieces: tables, empty states, pager, status labels, times, filter chips.

use maud::{html, Markup, PreEscaped};

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
                        @for r in rows { (r) }
                    }
                }
            }
        }
    }
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
pub fn cut(text: &str, n: usize) -> Markup {
    if text.chars().count() <= n {
        html! { (text) }
    } else {
        let short: String = text.chars().take(n).collect();
        html! { span title=(text) { (short) "…" } }
    }
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

/// Money with its currency (`12.50 USD`), exact from micro-units; a dash when unknown.
pub fn money(micros: Option<i64>, currency: Option<&str>) -> Markup {
    html! {
        @match micros {
            Some(m) => { (crate::pp::money::format(m)) @if let Some(c) = currency.filter(|c| !c.is_empty()) { " " span.cur { (c) } } }
            None => span.muted { "—" },
        }
    }
}

/// A whole number, or a dash when unknown.
pub fn opt_num(n: Option<i64>) -> Markup {
    html! {
        @match n {
            Some(n) => (n),
            None => span.muted { "—" },
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
