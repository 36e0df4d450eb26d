//! Form pieces: label above, help under, the error next to the field in words, values kept.

use std::collections::HashMap;

use maud::{html, Markup};

/// Errors by field name, collected while validating a submitted form.
#[derive(Default, Debug)]
pub struct FormErrors(pub HashMap<&'static str, String>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| msg.into());
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    /// Errors of one field.
    pub fn one(field: &'static str, msg: impl Into<String>) -> FormErrors {
        let mut e = FormErrors::default();
        e.add(field, msg);
        e
    }
    /// The value when no error was added, else the errors.
    pub fn or_ok<T>(self, value: impl FnOnce() -> T) -> Result<T, FormErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub help: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Wraps an input with its label, help text and error.
pub fn field(f: Field<'_>, input: Markup) -> Markup {
    html! {
        div.field.invalid[f.error.is_some()] {
            label for=(f.name) { (f.label) }
            (input)
            @if let Some(e) = f.error { p.error id={ (f.name) "-error" } { (e) } }
            @if let Some(h) = f.help { p.help { (h) } }
        }
    }
}

pub fn text_input(name: &str, value: &str, required: bool, kind: &str) -> Markup {
    html! { input type=(kind) id=(name) name=(name) value=(value) required[required]; }
}

/// A write-only secret field: never pre-filled; blank keeps the saved value, `-` clears it.
pub fn secret_input(name: &str) -> Markup {
    html! { input type="password" id=(name) name=(name) value="" autocomplete="off"; }
}

/// Reads a write-only secret field: blank → keep (None), "-" → clear (Some("")), else the new value.
pub fn secret_value(raw: Option<&str>) -> Option<String> {
    match raw.map(str::trim) {
        None | Some("") => None,
        Some("-") => Some(String::new()),
        Some(v) => Some(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_field_rules() {
        assert_eq!(secret_value(Some("  ")), None);
        assert_eq!(secret_value(Some("-")), Some(String::new()));
        assert_eq!(secret_value(Some("abc")), Some("abc".into()));
    }
}

/// A submitted urlencoded form as name/value pairs (repeated names allowed, e.g. checkboxes).
/// A body that does not parse is a 400 with words, not axum's plain-text rejection.
#[derive(Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn text(&self, name: &str) -> String {
        self.get(name).map(|s| s.trim().to_string()).unwrap_or_default()
    }
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty() && v != "0" && v != "off")
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
    /// Every value of `name` that is a whole number (others are ignored).
    pub fn ids(&self, name: &str) -> Vec<i64> {
        self.all(name).iter().filter_map(|v| v.trim().parse().ok()).collect()
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormData {
    type Rejection = crate::error::AppError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<Vec<(String, String)>>::from_request(req, state).await.map(|f| FormData(f.0)).map_err(
            |_| {
                crate::error::AppError::bad_request(
                    "The form could not be read. Reload the page and try again.",
                )
            },
        )
    }
}
