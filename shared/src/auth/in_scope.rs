//! Ids from a path that names a panel first (`/orders/{panel}/{id}`), checked against the viewer's
//! panels while they are extracted: a handler that takes `InScope` cannot forget the check.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::Viewer;
use crate::error::AppError;

/// Path parameters whose first is a panel id.
pub trait PanelFirst: DeserializeOwned + Send {
    fn panel(&self) -> i64;
}

impl PanelFirst for i64 {
    fn panel(&self) -> i64 {
        *self
    }
}

impl PanelFirst for (i64, i64) {
    fn panel(&self) -> i64 {
        self.0
    }
}

impl PanelFirst for (i64, i64, i64) {
    fn panel(&self) -> i64 {
        self.0
    }
}

/// The path's ids, the panel among the viewer's: 403 otherwise, 400 for ids that are not numbers.
pub struct InScope<T>(pub T);

impl<S: Send + Sync, T: PanelFirst> FromRequestParts<S> for InScope<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let Path(ids) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_request(format!("This address is not valid: {}", e.body_text())))?;
        viewer.scope().check(ids.panel())?;
        Ok(InScope(ids))
    }
}
