//! Route registration with access rules. Every route of every router is added through [`Routes`],
//! which records its [`RouteSpec`] and wraps it in the one access guard; there is no other way to add
//! a route, so a test can walk `specs()` and know it covers everything served.

use axum::handler::Handler;
use axum::http::Method;
use axum::middleware;
use axum::routing::{on, MethodFilter};
use axum::Router;

use crate::auth::guard::guard;
use crate::auth::{Role, Scope};
use crate::state::AppState;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, first-run setup, health check, static assets.
    Public,
    /// A signed-in staff member whose role is at least this one.
    Staff(Role),
    /// As `Staff`, for a setting every panel shares (payment methods, report profiles, AI settings
    /// and prompts): the member must also see every panel, or an admin of one panel would change what
    /// another panel's staff see.
    AllPanels(Role),
    /// An admin API client whose `X-Api-Key` carries this scope (`/adminapi/v2`).
    ApiKey(Scope),
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    pub fn new(state: &AppState) -> Self {
        Routes { state: state.clone(), router: Router::new(), specs: Vec::new() }
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, access, handler)
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, access, handler)
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = if method == Method::POST { MethodFilter::POST } else { MethodFilter::GET };
        let route =
            on(filter, handler).layer(middleware::from_fn_with_state((self.state.clone(), access), guard));
        self.router = self.router.route(path, route);
        self.specs.push(RouteSpec { method, path, access });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// The finished router: state applied, errors rendered for their audience, and every answer
    /// (errors included: this layer is the outer one) with the security headers.
    pub fn into_router(self) -> Router {
        let state = self.state.clone();
        let router = self
            .router
            .layer(middleware::from_fn(crate::error::render_errors))
            .layer(middleware::from_fn(crate::security_headers::add))
            .with_state(self.state);
        // Outermost: links, forms and redirects carry the base path (`cargo lambda watch`, a stage).
        crate::base_path::serve_under_base_path(router, state)
    }
}
