//! A CSV streamed page by page: the header, then each keyset page as one chunk written while the next
//! is read, so memory holds one page whatever the number of rows. On AWS Lambda the runtime buffers
//! the whole response and refuses one over 6 MB: there the export stops at `LAMBDA_CAP_BYTES` with a
//! last line saying so (narrow the filters, or export through the local runner).

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{header_line, write_row, Cell};
use crate::db::{Db, Read, Reads};
use crate::AppResult;

/// Rows per page of an export: a million rows are a thousand round trips, and a page is a few
/// hundred kilobytes.
pub const PAGE_ROWS: usize = 1000;

/// Bytes an export may reach on Lambda before it stops (the response limit is 6 MB, headers included).
pub const LAMBDA_CAP_BYTES: usize = 5_500_000;

/// The cap that applies to this process: `LAMBDA_CAP_BYTES` on Lambda, none elsewhere.
pub fn lambda_cap() -> Option<usize> {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").map(|_| LAMBDA_CAP_BYTES)
}

/// The next page after a position: its rows and the position after it (`None`: that was the last).
pub trait Pages: Send + 'static {
    type Pos: Send + 'static;
    fn page(&mut self, after: Option<Self::Pos>) -> impl Future<Output = AppResult<Page<Self::Pos>>> + Send;
}

pub type Page<P> = (Vec<Vec<Cell>>, Option<P>);

/// Adds one page's read to a batch: the rows after a position (all from the start on `None`), in the
/// list's own order, at most the given number.
pub type AddPage<T, P> = Box<dyn Fn(&mut Reads, Option<P>, usize) -> Read<T> + Send>;
/// A row's cells and its position in the list's order.
pub type RowCells<T, P> = Box<dyn Fn(&T) -> (Vec<Cell>, P) + Send>;

/// A list whose page already has a keyset read of its own (`id < ?` newest first, …): the export
/// reads it `PAGE_ROWS` at a time, one round trip per page.
pub struct ReadPages<T, P> {
    db: Db,
    add: AddPage<T, P>,
    cells: RowCells<T, P>,
}

impl<T, P> ReadPages<T, P> {
    pub fn new(db: &Db, add: AddPage<T, P>, cells: RowCells<T, P>) -> Self {
        ReadPages { db: db.clone(), add, cells }
    }
}

impl<T: Send + 'static, P: Send + 'static> Pages for ReadPages<T, P> {
    type Pos = P;
    async fn page(&mut self, after: Option<P>) -> AppResult<Page<P>> {
        let mut reads = Reads::new();
        let read = (self.add)(&mut reads, after, PAGE_ROWS);
        let list = reads.run(&self.db.connect().await?).await?.all(read).await?;
        let full = list.len() >= PAGE_ROWS;
        let (mut out, mut last) = (Vec::with_capacity(list.len()), None);
        for row in &list {
            let (cells, pos) = (self.cells)(row);
            out.push(cells);
            last = Some(pos);
        }
        Ok((out, if full { last } else { None }))
    }
}

enum At<P> {
    Start,
    After(P),
    Done,
}

/// A `text/csv` attachment named `name.csv`: the header, then every page of `pages`, stopping at
/// `cap` bytes when one is given.
pub fn csv_response<P: Pages>(name: &str, header: &[&str], pages: P, cap: Option<usize>) -> Response {
    let mut first = String::new();
    header_line(header, &mut first);
    let state = (pages, At::<P::Pos>::Start, first.len(), Some(first));
    let stream = futures_util::stream::unfold(state, move |(mut pages, at, written, head)| async move {
        if let Some(h) = head {
            return Some((Ok(Bytes::from(h)), (pages, at, written, None)));
        }
        let after = match at {
            At::Start => None,
            At::After(p) => Some(p),
            At::Done => return None,
        };
        let (rows, next) = match pages.page(after).await {
            Ok(page) => page,
            Err(e) => {
                // Mid-stream the status is sent: ending with an error aborts the response, so the
                // client sees a broken download rather than a file that looks complete.
                tracing::error!(error = %e, "CSV export stopped");
                return Some((Err(std::io::Error::other(e.to_string())), (pages, At::Done, written, None)));
            }
        };
        let mut out = String::with_capacity(rows.len() * 128);
        let mut at = next.map_or(At::Done, At::After);
        for r in &rows {
            write_row(r, &mut out);
            if cap.is_some_and(|c| written + out.len() > c) {
                out.push_str("# truncated: the export reached the 6 MB response limit of AWS Lambda; narrow the filters\r\n");
                at = At::Done;
                break;
            }
        }
        let written = written + out.len();
        Some((Ok(Bytes::from(out)), (pages, at, written, None)))
    });
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten pages of 100 rows, numbered.
    struct Numbers;
    impl Pages for Numbers {
        type Pos = i64;
        async fn page(&mut self, after: Option<i64>) -> AppResult<Page<i64>> {
            let from = after.unwrap_or(0);
            let rows = (from..from + 100).map(|i| vec![crate::export::int(i)]).collect();
            Ok((rows, (from + 100 < 1000).then_some(from + 100)))
        }
    }

    async fn body(cap: Option<usize>) -> String {
        let res = csv_response("n", &["N"], Numbers, cap);
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn every_page_follows_the_header_and_a_cap_ends_with_a_note() {
        let all = body(None).await;
        assert_eq!(all.lines().count(), 1001);
        assert!(all.starts_with("N\r\n0\r\n1\r\n") && all.ends_with("999\r\n"));
        let capped = body(Some(500)).await;
        assert!(capped.len() < 500 + 120, "{}", capped.len());
        assert!(capped.trim_end().ends_with("narrow the filters"), "{capped}");
        assert!(!capped.contains("\r\n999\r\n"));
    }
}
