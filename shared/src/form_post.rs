//! A console form's post, and what every form handler does with it: validate, re-render with the
//! errors (400, what was typed kept), or save, log the action and go on with a flash message.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::Response;
use maud::Markup;

use crate::auth::guard::flash_redirect;
use crate::auth::{ClientInfo, Viewer};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::ui::form::{FormData, FormErrors};

/// A signed-in member's form post: who sent it, from where, and what.
pub struct Post {
    pub state: AppState,
    pub viewer: Viewer,
    pub client: ClientInfo,
    pub data: FormData,
}

impl FromRequest<AppState> for Post {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let client = ClientInfo::from_request_parts(&mut parts, state).await?;
        let data = FormData::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Post { state: state.clone(), viewer, client, data })
    }
}

/// What a saved form did: the activity log's entry, and where the member goes with which message.
pub struct Saved {
    pub action: &'static str,
    pub details: String,
    pub panel: Option<i64>,
    pub to: String,
    pub flash: String,
}

impl Post {
    /// `valid` is the validated input or the form's errors; `page` renders the form page with errors
    /// (from `self.data`, so what was typed stays); `save` stores the input and says what it did, or
    /// gives errors only the store finds (a name already taken).
    pub async fn submit<I>(
        &self,
        valid: Result<I, FormErrors>,
        page: impl AsyncFnOnce(FormErrors) -> AppResult<Markup>,
        save: impl AsyncFnOnce(I) -> AppResult<Result<Saved, FormErrors>>,
    ) -> AppResult<Response> {
        let errors = match valid {
            Ok(input) => match save(input).await? {
                Ok(saved) => return self.done(saved).await,
                Err(errors) => errors,
            },
            Err(errors) => errors,
        };
        Ok(crate::ui::invalid(page(errors).await?))
    }

    /// Logs what was done and redirects with its message.
    pub async fn done(&self, s: Saved) -> AppResult<Response> {
        crate::audit::log(&self.state, &self.viewer, &self.client, s.action, &s.details, s.panel).await?;
        Ok(flash_redirect(&s.to, &s.flash, self.client.secure))
    }

    /// The post without the fields `secret` names: a typed key is never echoed back into a page.
    pub fn without(&self, secret: impl Fn(&str) -> bool) -> FormData {
        FormData(self.data.0.iter().filter(|(k, _)| !secret(k)).cloned().collect())
    }
}
