//! The page frame: left navigation, header with the panel switcher and title, flash message.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::auth::Viewer;
use crate::ui::assets::{css_path, js_path, FAVICON_PATH};
use crate::ui::nav::NAV;

/// `href` with the viewer's chosen panel kept in the URL.
pub fn link(viewer: &Viewer, href: &str) -> String {
    match viewer.panel {
        Some(p) if href.contains('?') => format!("{href}&panel={p}"),
        Some(p) => format!("{href}?panel={p}"),
        None => href.to_string(),
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · panelops" }
            link rel="icon" href=(FAVICON_PATH);
            link rel="stylesheet" href=(css_path());
            script src=(js_path()) defer {}
        }
    }
}

/// A full console page for a signed-in staff member.
pub fn page(viewer: &Viewer, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                div.frame {
                    nav.sidebar aria-label="Main" {
                        // On a phone the links fold behind the menu button: a checkbox and its label,
                        // so it opens without script; the stylesheet shows them always on a laptop.
                        input #nav-toggle.navtoggle type="checkbox" aria-label="Show the menu";
                        div.navtop {
                            a.brand href=(link(viewer, "/")) { "panelops" }
                            label.menubutton for="nav-toggle" { "Menu" }
                        }
                        div.navbody {
                            @for group in NAV {
                                @let items = group.shown_to(viewer);
                                @if !items.is_empty() {
                                    div.navgroup {
                                        h2 { (group.label) }
                                        ul {
                                            @for item in items {
                                                li { a href=(link(viewer, item.href))
                                                    aria-current=[(viewer.path == item.href).then_some("page")] { (item.label) } }
                                            }
                                        }
                                    }
                                }
                            }
                            div.navfoot {
                                a href="/account" aria-current=[(viewer.path == "/account").then_some("page")] {
                                    "My account" }
                                span.muted { (viewer.staff.username) " · " (viewer.role().label()) }
                                form method="post" action="/logout" {
                                    (csrf_input(viewer))
                                    button.linkish type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                    div.content {
                        header.top {
                            h1 { (title) }
                            div.headright {
                                (freshness(viewer))
                                (panel_switcher(viewer))
                            }
                        }
                        @if let Some(msg) = &viewer.flash {
                            div.flash role="status" { (msg) }
                        }
                        main #main { (content) }
                    }
                }
            }
        }
    }
}

/// "cache updated 2 min ago", amber when a panel's sync is in error or late, and why when a panel is
/// stopped (a refused key, keys this PANELOPS_SECRET_KEY cannot read); links to Settings → Sync.
fn freshness(viewer: &Viewer) -> Markup {
    html! {
        @if let Some(f) = &viewer.freshness {
            @let title = match (f.stopped.as_ref().or(f.failing.as_ref()), f.late) {
                (Some(why), _) => why.as_str(),
                (None, true) => "A panel's sync is in error or late: open Settings → Sync",
                (None, false) => "Open Settings → Sync",
            };
            a.freshness.late[f.late] href=(link(viewer, "/settings/sync")) title=(title) {
                @match (&f.stopped, &f.failing, f.last_ok) {
                    (Some(why), _, _) => { "sync stopped: " (crate::ui::cut(why, 80)) }
                    (None, Some(why), _) => { "sync in error: " (crate::ui::cut(why, 80)) }
                    (None, None, Some(at)) => { "cache updated " (crate::time::ago(at, crate::time::now())) }
                    (None, None, None) => "sync in error",
                }
            }
        }
    }
}

fn panel_switcher(viewer: &Viewer) -> Markup {
    html! {
        form.switcher method="get" action=(viewer.path) {
            label for="panel-switch" { "Panel" }
            select #panel-switch name="panel" data-autosubmit {
                option value="" selected[viewer.panel.is_none()] { "All panels" }
                @for p in &viewer.panels {
                    option value=(p.id) selected[viewer.panel == Some(p.id)] { (p.name) }
                }
            }
            input type="hidden" name=(crate::auth::guard::SWITCH_PARAM) value="1";
            noscript { button type="submit" { "Show" } }
        }
    }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf_input(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// A page without navigation: sign-in, first-run setup.
pub fn bare_page(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main.card.narrow #main {
                    p.brand { "panelops" }
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// Inline SVG or other trusted markup.
pub fn raw(s: &str) -> Markup {
    PreEscaped(s.to_string())
}
