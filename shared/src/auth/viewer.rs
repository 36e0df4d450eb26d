//! The signed-in staff member as handlers see them, and the client's address and device.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::auth::staff::Staff;
use crate::auth::{PanelScope, Role};
use crate::domain::panels::PanelRef;
use crate::error::AppError;
use crate::state::AppState;

/// Put into the request by the access guard; extracting it in a handler of a public route fails.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub staff: Staff,
    pub session_id: i64,
    pub csrf: String,
    /// The panel chosen in the header switcher (already checked against the scope), None = all.
    pub panel: Option<i64>,
    /// Panels this viewer may see, for the switcher and forms.
    pub panels: Vec<PanelRef>,
    pub flash: Option<String>,
    pub path: String,
    /// Last successful sync in view, whether any panel's sync is in error or late, and why one stopped.
    pub freshness: Option<crate::auth::context::Freshness>,
    /// Panels in the scope that are in error (stopped, or every sync failing), with why.
    pub panel_errors: Vec<(i64, String)>,
}

impl Viewer {
    pub fn id(&self) -> i64 {
        self.staff.id
    }
    pub fn role(&self) -> Role {
        self.staff.role
    }
    pub fn is(&self, at_least: Role) -> bool {
        self.staff.role >= at_least
    }
    pub fn scope(&self) -> PanelScope {
        self.staff.scope()
    }
    pub fn require(&self, at_least: Role) -> Result<(), AppError> {
        if self.is(at_least) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
    /// The scope with every panel listed (those the guard read with the session): a report's queries
    /// seek each panel's slice of an index, without another read of the panel list.
    pub fn listed_scope(&self) -> PanelScope {
        PanelScope::Only(self.panels.iter().map(|p| p.id).collect())
    }

    /// SQL limiting `column` to the viewer's scope and chosen panel.
    pub fn panel_sql(&self, column: &str) -> String {
        self.scope().sql(column, self.panel)
    }
    /// Why a panel is in error, when it is.
    pub fn panel_error(&self, id: i64) -> Option<&str> {
        self.panel_errors.iter().find(|(p, _)| *p == id).map(|(_, why)| why.as_str())
    }
    pub fn panel_name(&self, id: i64) -> String {
        self.panels
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| format!("Panel {id}"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Viewer>().cloned().ok_or(AppError::Unauthorized)
    }
}

/// Where a request came from, for the activity log and sign-in throttling.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
    pub secure: bool,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts, behind_proxy: bool) -> ClientInfo {
        ClientInfo {
            ip: client_ip(&parts.headers, parts.extensions.get::<ConnectInfo<SocketAddr>>(), behind_proxy),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(300)
                .collect(),
            secure: crate::auth::cookies::is_secure_context(&parts.headers),
        }
    }
}

/// The forwarded address is believed only behind a trusted proxy (API Gateway); otherwise the socket.
/// Its last entry is the one the proxy appended; earlier entries are whatever the client sent.
pub fn client_ip(
    headers: &HeaderMap,
    socket: Option<&ConnectInfo<SocketAddr>>,
    behind_proxy: bool,
) -> String {
    if behind_proxy {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return ip.to_string();
        }
    }
    socket.map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(parts, state.config.behind_proxy))
    }
}
