//! The words of a message: short, with the numbers and a link into the console.

use serde::Serialize;

use super::evaluate::duration_words;
use super::rules::Rule;

/// Which message of an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Opened,
    Reminder,
    Resolved,
    /// "Send test" on the settings page.
    Test,
    /// A daily or weekly digest (its own row in `alert_digests`, not a delivery of an incident).
    Digest,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Opened => "opened",
            Event::Reminder => "reminder",
            Event::Resolved => "resolved",
            Event::Test => "test",
            Event::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        [Event::Opened, Event::Reminder, Event::Resolved, Event::Test, Event::Digest]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// An incident as a message carries it.
#[derive(Clone, Debug)]
pub struct Incident {
    pub id: i64,
    pub rule: Rule,
    pub panel_id: i64,
    pub subject: String,
    pub title: String,
    pub detail: String,
    pub link: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
}

/// One message to send: what the generic webhook posts as JSON; the chat channels get `text`.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub event: Event,
    pub delivery_id: i64,
    pub incident_id: Option<i64>,
    pub rule: Option<&'static str>,
    pub rule_label: Option<&'static str>,
    pub panel_id: Option<i64>,
    pub panel: Option<String>,
    pub subject: Option<String>,
    pub title: String,
    pub detail: String,
    pub link: String,
    pub opened_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub text: String,
    /// A digest's numbers (panels, worst services, open incidents, staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<serde_json::Value>,
}

impl Message {
    /// What `X-Panelops-Delivery` carries: digests count their own ids.
    pub fn delivery_key(&self) -> String {
        match self.event {
            Event::Digest => format!("digest-{}", self.delivery_id),
            _ => self.delivery_id.to_string(),
        }
    }
}

/// `path` under the console's public address when one is configured (`PANELOPS_PUBLIC_URL`).
pub fn absolute(public_url: Option<&str>, path: &str) -> String {
    match public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path.to_string(),
    }
}

pub fn for_incident(
    event: Event,
    delivery_id: i64,
    i: &Incident,
    panel: &str,
    public_url: Option<&str>,
    now: i64,
) -> Message {
    let link = absolute(public_url, &i.link);
    let head = format!("{} · {panel}: {}", i.rule.label(), i.title);
    let text = match event {
        Event::Opened | Event::Test | Event::Digest => format!("{head}\n{}\n{link}", i.detail),
        Event::Reminder => {
            format!("Still open after {}: {head}\n{}\n{link}", duration_words(now - i.opened_at), i.detail)
        }
        Event::Resolved => format!(
            "Resolved after {}: {head}\n{link}",
            duration_words(i.resolved_at.unwrap_or(now) - i.opened_at)
        ),
    };
    Message {
        event,
        delivery_id,
        incident_id: Some(i.id),
        rule: Some(i.rule.as_str()),
        rule_label: Some(i.rule.label()),
        panel_id: Some(i.panel_id),
        panel: Some(panel.to_string()),
        subject: Some(i.subject.clone()),
        title: i.title.clone(),
        detail: i.detail.clone(),
        link,
        opened_at: Some(i.opened_at),
        resolved_at: i.resolved_at,
        text,
        digest: None,
    }
}

/// A message of no incident (a test, a digest).
fn of_no_incident(
    event: Event,
    delivery_id: i64,
    title: String,
    detail: String,
    text: String,
    link: String,
) -> Message {
    Message {
        event,
        delivery_id,
        incident_id: None,
        rule: None,
        rule_label: None,
        panel_id: None,
        panel: None,
        subject: None,
        title,
        detail,
        link,
        opened_at: None,
        resolved_at: None,
        text,
        digest: None,
    }
}

pub fn test(delivery_id: i64, channel: &str, public_url: Option<&str>) -> Message {
    let link = absolute(public_url, "/alerts");
    of_no_incident(
        Event::Test,
        delivery_id,
        format!("Test of the channel {channel}"),
        "panelops reaches this channel: alerts will arrive here.".into(),
        format!("Test from panelops: the channel {channel} works. Alerts will arrive here.\n{link}"),
        link,
    )
}

/// A digest: `title` is its first line, `text` the whole of it.
pub fn digest(id: i64, title: String, text: String, link: String, data: serde_json::Value) -> Message {
    Message { digest: Some(data), ..of_no_incident(Event::Digest, id, title, String::new(), text, link) }
}
/// `text` cut to `n` characters, with an ellipsis when cut.
pub fn shorten(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
