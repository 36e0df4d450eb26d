//! Each user's sums over a window, by (panel, username). Every order and payment of the window passes
//! through [`Sums::of`] (tens of thousands of rows for 72 h), so it is built to cost little per row: a
//! fast non-keyed hash (the keys are the cache's usernames; nothing here is worth hash flooding), and
//! the usernames kept back to back in one string instead of one allocation (and one free) per user.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::FxBuildHasher;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acc {
    pub spend: i64,
    pub pay_count: i64,
    pub pay_total: i64,
}

struct User {
    start: usize,
    len: usize,
    acc: Acc,
}

struct PanelSums {
    panel: i64,
    names: String,
    users: HashTable<User>,
}

fn name<'a>(names: &'a str, u: &User) -> &'a str {
    &names[u.start..u.start + u.len]
}

#[derive(Default)]
pub struct Sums(Vec<PanelSums>);

impl Sums {
    /// The sums of this user, zero when first seen.
    pub fn of(&mut self, panel: i64, user: &str) -> &mut Acc {
        let i = match self.0.iter().position(|s| s.panel == panel) {
            Some(i) => i,
            None => {
                // Sized for a busy panel's day: growing by rehashing was a tenth of the report.
                let users = HashTable::with_capacity(1 << 15);
                self.0.push(PanelSums { panel, names: String::with_capacity(1 << 18), users });
                self.0.len() - 1
            }
        };
        let ps = &mut self.0[i];
        let names = &ps.names;
        let entry = ps.users.entry(
            FxBuildHasher.hash_one(user),
            |u| name(names, u) == user,
            |u| FxBuildHasher.hash_one(name(names, u)),
        );
        match entry {
            Entry::Occupied(o) => &mut o.into_mut().acc,
            Entry::Vacant(v) => {
                let start = ps.names.len();
                ps.names.push_str(user);
                &mut v.insert(User { start, len: user.len(), acc: Acc::default() }).into_mut().acc
            }
        }
    }

    /// Every user seen: (panel, username, sums).
    pub fn iter(&self) -> impl Iterator<Item = (i64, &str, &Acc)> {
        self.0.iter().flat_map(|ps| ps.users.iter().map(move |u| (ps.panel, name(&ps.names, u), &u.acc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_panel_and_username() {
        let mut s = Sums::default();
        s.of(1, "ann").spend += 5;
        s.of(2, "ann").spend += 7;
        s.of(1, "bob").pay_count += 1;
        s.of(1, "ann").spend += 10;
        // A name that is a prefix of another stays apart.
        s.of(1, "an").spend += 1;
        let mut all: Vec<(i64, String, Acc)> = s.iter().map(|(p, u, a)| (p, u.to_string(), *a)).collect();
        all.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let acc = |spend, pay_count| Acc { spend, pay_count, pay_total: 0 };
        assert_eq!(
            all,
            vec![
                (1, "an".into(), acc(1, 0)),
                (1, "ann".into(), acc(15, 0)),
                (1, "bob".into(), acc(0, 1)),
                (2, "ann".into(), acc(7, 0)),
            ]
        );
    }
}
