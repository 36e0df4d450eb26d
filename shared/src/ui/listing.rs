//! What every list page shares: its query string (filters, sort and cursor live in the URL), parsing
//! filter values with clear errors, active-filter chips, and links that keep everything else.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::error::{AppError, AppResult};

/// The page's query as ordered pairs; empty values are dropped (an empty filter is no filter).
#[derive(Clone, Debug, Default)]
pub struct ListQuery(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::bad_request("The address has a malformed query string."))?;
        Ok(ListQuery(
            pairs
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_string()))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        ))
    }
}

impl ListQuery {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// A whole number, or a 400 naming the filter.
    pub fn int(&self, key: &str, label: &str) -> AppResult<Option<i64>> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| AppError::bad_request(format!("{label} must be a whole number.")))
            })
            .transpose()
    }

    /// The `page` number (1 when absent), or a 400 for one that is not a page: past a million, its
    /// offset would overflow.
    pub fn page(&self) -> AppResult<i64> {
        match self.int("page", "Page")? {
            None => Ok(1),
            Some(p) if (1..=1_000_000).contains(&p) => Ok(p),
            Some(_) => Err(AppError::bad_request("Page must be a number from 1 to 1,000,000.")),
        }
    }

    /// A date (`2026-11-23`) or date-time as unix seconds, or a 400 naming the filter.
    pub fn date(&self, key: &str, label: &str) -> AppResult<Option<i64>> {
        self.get(key)
            .map(|v| {
                crate::time::parse_input(v)
                    .ok_or_else(|| AppError::bad_request(format!("{label} must be a date like 2026-11-23.")))
            })
            .transpose()
    }

    /// One of `allowed`, or a 400 listing them.
    pub fn choice(&self, key: &str, label: &str, allowed: &[&str]) -> AppResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(_) => Err(AppError::bad_request(format!("{label} must be one of: {}.", allowed.join(", ")))),
        }
    }

    /// `path` with this query minus `drop`, plus `set` (replacing keys of the same name).
    pub fn href(&self, path: &str, drop: &[&str], set: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter(|(k, _)| !drop.contains(&k.as_str()) && !set.iter().any(|(s, _)| s == k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.extend(set.iter().map(|(k, v)| (*k, v.as_str())));
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    }

    /// Removable chips for the active filters among `labels` (key, label); each drops its filter and
    /// the page cursor. The panel is not a chip: the header switcher shows it.
    pub fn chips(&self, path: &str, labels: &[(&str, &str)], cursor: &[&str]) -> Vec<(String, String)> {
        labels
            .iter()
            .flat_map(|(key, label)| {
                self.all(key).into_iter().map(move |v| (key, label, v)).collect::<Vec<_>>()
            })
            .map(|(key, label, v)| {
                let mut drop: Vec<&str> = cursor.to_vec();
                drop.push(key);
                (format!("{label}: {v}"), self.href(path, &drop, &[]))
            })
            .collect()
    }

    /// Hidden inputs carrying `keys` (e.g. the panel, the sort) through a filter form.
    pub fn hidden(&self, keys: &[&str]) -> maud::Markup {
        maud::html! {
            @for (k, v) in self.0.iter().filter(|(k, _)| keys.contains(&k.as_str())) {
                input type="hidden" name=(k) value=(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ListQuery {
        ListQuery(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn links_keep_other_filters() {
        let l = q(&[("status", "fail"), ("q", "a b"), ("after", "5")]);
        assert_eq!(l.href("/orders", &["after"], &[]), "/orders?status=fail&q=a+b");
        assert_eq!(l.href("/orders", &[], &[("after", "9".into())]), "/orders?status=fail&q=a+b&after=9");
        assert_eq!(q(&[]).href("/orders", &[], &[]), "/orders");
        let chips = l.chips("/orders", &[("status", "Status")], &["after"]);
        assert_eq!(chips, vec![("Status: fail".to_string(), "/orders?q=a+b".to_string())]);
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let l = q(&[("service", "x"), ("from", "soon"), ("mode", "robot")]);
        assert!(l.int("service", "Service").is_err());
        assert!(l.date("from", "Created from").is_err());
        assert!(l.choice("mode", "Mode", &["auto", "manual"]).is_err());
        assert_eq!(
            q(&[("mode", "auto")]).choice("mode", "Mode", &["auto", "manual"]).ok().flatten().as_deref(),
            Some("auto")
        );
    }
}
