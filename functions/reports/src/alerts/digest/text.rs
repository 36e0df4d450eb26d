//! A digest in words: one line per panel ("X (Y before, +Z%)"), then the worst services, the open
//! incidents and the staff table, short enough for a chat message.

use shared::pp::money;

use super::numbers::{Money, Numbers, Pair, LIST_LIMIT};
use super::schedule::{Period, Window};
use crate::alerts::evaluate::duration_words;
use crate::alerts::zone::Tz;

/// "+20%", "-5%", "new" (nothing before), "same".
pub fn change(now: i64, before: i64) -> String {
    match (now, before) {
        (n, b) if n == b => "same".into(),
        (_, 0) => "new".into(),
        (n, b) => format!("{:+}%", ((n - b) as f64 * 100.0 / b as f64).round() as i64),
    }
}

fn pair(p: Pair) -> String {
    format!("{} ({} before, {})", p.now, p.before, change(p.now, p.before))
}

fn amounts(list: &[Money]) -> String {
    if list.is_empty() {
        return "0".into();
    }
    list.iter()
        .map(|m| {
            let cur = Some(m.currency.as_str()).filter(|c| !c.is_empty());
            let code = cur.map(|c| format!(" {c}")).unwrap_or_default();
            format!(
                "{}{code} ({} before, {})",
                money::display(m.now, cur),
                money::display(m.before, cur),
                change(m.now, m.before)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first line: which digest, which days, on which clock.
pub fn title(w: &Window, zone: Tz) -> String {
    let days = match w.period {
        Period::Daily => w.last_day.format("%A %-d %b %Y").to_string(),
        Period::Weekly => {
            format!("{} – {}", w.first_day.format("%-d %b"), w.last_day.format("%-d %b %Y"))
        }
    };
    format!("{} · {days} ({})", w.period.label(), zone.name())
}

fn more(total: usize) -> String {
    if total > LIST_LIMIT {
        format!("; and {} more", total - LIST_LIMIT)
    } else {
        String::new()
    }
}

pub fn text(w: &Window, zone: Tz, n: &Numbers, link: &str) -> String {
    let mut lines = vec![title(w, zone)];
    if n.panels.is_empty() {
        lines.push("No panels.".into());
    }
    for p in &n.panels {
        lines.push(format!(
            "{}: orders {} · revenue {} · new users {} · deposits {}, {}",
            p.panel,
            pair(p.orders),
            amounts(&p.revenue),
            pair(p.new_users),
            pair(p.deposits),
            amounts(&p.deposited)
        ));
    }
    lines.push(if n.worst_services.is_empty() {
        "Worst services: none below healthy.".into()
    } else {
        let list: Vec<String> = n
            .worst_services
            .iter()
            .map(|s| {
                format!("{} · {} (#{}) score {:.0}, {}", s.panel, s.name, s.service_id, s.score, s.status)
            })
            .collect();
        format!("Worst services: {}", list.join("; "))
    });
    lines.push(if n.open_incidents.is_empty() {
        "Open incidents: none.".into()
    } else {
        let list: Vec<String> = n
            .open_incidents
            .iter()
            .take(LIST_LIMIT)
            .map(|i| format!("{} · {}: {}", i.rule, i.panel, i.title))
            .collect();
        format!(
            "Open incidents: {} — {}{}",
            n.open_incidents.len(),
            list.join("; "),
            more(n.open_incidents.len())
        )
    });
    lines.push(if n.staff.is_empty() {
        "Staff (Ticket tracking): no replies.".into()
    } else {
        let list: Vec<String> = n
            .staff
            .iter()
            .take(LIST_LIMIT)
            .map(|s| {
                let resp = s
                    .avg_response_seconds
                    .map(|r| format!(", avg response {}", duration_words(r.round() as i64)))
                    .unwrap_or_default();
                let replies = if s.replies == 1 { "reply" } else { "replies" };
                format!("{} {} {replies}{resp}, score {}", s.staff, s.replies, s.score)
            })
            .collect();
        format!("Staff (Ticket tracking): {}{}", list.join("; "), more(n.staff.len()))
    });
    lines.push(link.to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_words() {
        assert_eq!(change(120, 100), "+20%");
        assert_eq!(change(95, 100), "-5%");
        assert_eq!(change(3, 0), "new");
        assert_eq!(change(0, 0), "same");
        assert_eq!(pair(Pair { now: 2, before: 4 }), "2 (4 before, -50%)");
    }
}
