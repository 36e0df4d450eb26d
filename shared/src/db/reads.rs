//! Several reads sent together: each added with the function that turns one of its rows into a
//! value, then run in one round trip ([`Conn::batch`]), then taken back typed. A page collects what
//! it shows this way instead of asking for one thing after another.
//!
//! ```ignore
//! let mut reads = Reads::new();
//! let orders = reads.add(Stmt::new(list_sql, args), order_from);
//! let providers = reads.add(Stmt::new(distinct_sql, ()), |r| Ok(r.get::<String>(0)?));
//! let mut done = reads.run(&conn).await?;
//! let (orders, providers) = (done.all(orders).await?, done.all(providers).await?);
//! ```

use std::marker::PhantomData;

use super::{Conn, Row, Rows, Stmt};
use crate::error::AppResult;

/// Turns one row into a value.
pub type Decode<T> = fn(&Row) -> AppResult<T>;

/// One read of a batch, by place, with its decoder.
pub struct Read<T> {
    at: usize,
    decode: Decode<T>,
    _t: PhantomData<T>,
}

#[derive(Default)]
pub struct Reads {
    stmts: Vec<Stmt>,
}

impl Reads {
    pub fn new() -> Reads {
        Reads::default()
    }

    pub fn add<T>(&mut self, stmt: Stmt, decode: Decode<T>) -> Read<T> {
        self.stmts.push(stmt);
        Read { at: self.stmts.len() - 1, decode, _t: PhantomData }
    }

    pub fn is_empty(&self) -> bool {
        self.stmts.is_empty()
    }

    /// Runs every read: one round trip over the network.
    pub async fn run(self, conn: &Conn) -> AppResult<Done> {
        let results = if self.stmts.is_empty() { Vec::new() } else { conn.batch(self.stmts).await? };
        Ok(Done { results: results.into_iter().map(Some).collect() })
    }
}

/// The answers of a run batch.
pub struct Done {
    results: Vec<Option<Rows>>,
}

impl Done {
    fn rows<T>(&mut self, read: &Read<T>) -> Rows {
        self.results.get_mut(read.at).and_then(Option::take).unwrap_or_else(Rows::empty)
    }

    /// Every row of the read.
    pub async fn all<T>(&mut self, read: Read<T>) -> AppResult<Vec<T>> {
        let mut rows = self.rows(&read);
        let mut out = Vec::new();
        while let Some(r) = rows.next().await? {
            out.push((read.decode)(&r)?);
        }
        Ok(out)
    }

    /// The read's first row, if any.
    pub async fn first<T>(&mut self, read: Read<T>) -> AppResult<Option<T>> {
        let mut rows = self.rows(&read);
        match rows.next().await? {
            Some(r) => Ok(Some((read.decode)(&r)?)),
            None => Ok(None),
        }
    }
}

/// A single read made by `add` (a function that adds one read to a batch), run on its own.
pub async fn read_all<T>(conn: &Conn, add: impl FnOnce(&mut Reads) -> Read<T>) -> AppResult<Vec<T>> {
    let mut reads = Reads::new();
    let read = add(&mut reads);
    reads.run(conn).await?.all(read).await
}
