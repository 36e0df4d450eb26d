//! The generated panel. Orders are a pure function of (seed, index, clock), so a panel of a million
//! orders costs no memory; users, payments and tickets are generated once, up front.
//! Every order's life (start delay, speed, fate) is drawn from its index, and its status at any moment
//! of the simulated clock follows from that: pending → in progress → completed / partial / canceled,
//! or stuck, or slower than its service promises, or failed at once.

use std::collections::HashMap;

use serde::Serialize;

use crate::catalog::{ServiceSpec, SERVICES};
use crate::rng::{below, h, unit, Seq};

pub const FIRST_ORDER_ID: i64 = 1_000_000;
pub const FIRST_USER_ID: i64 = 5_000;
pub const FIRST_SERVICE_ID: i64 = 100;
pub const DAY: i64 = 86_400;

const S_SVC: u64 = 1;
const S_USER: u64 = 2;
const S_QTY: u64 = 3;
const S_FATE: u64 = 4;
const S_SPEED: u64 = 5;
const S_DELAY: u64 = 6;
const S_MISC: u64 = 7;

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Orders over the whole span (some still in the simulated future, arriving as the clock runs).
    pub orders: u64,
    /// The simulated "now" at start.
    pub now: i64,
    /// Days of history before `now`.
    pub history_days: i64,
    pub name: String,
}

impl SimConfig {
    pub fn new(seed: u64, orders: u64, now: i64) -> Self {
        SimConfig { seed, orders, now, history_days: 30, name: format!("Simulated panel {seed}") }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub balance: i64,
    pub spent: i64,
    pub status: &'static str,
    pub created: i64,
    pub last_auth: Option<i64>,
    pub discount: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub id: i64,
    pub user: usize,
    pub amount: i64,
    pub method: &'static str,
    pub status: &'static str,
    pub memo: String,
    pub created: i64,
    pub updated: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub sender_name: String,
    pub is_staff: bool,
    pub message: String,
    pub created: i64,
}

#[derive(Clone, Debug)]
pub struct Ticket {
    pub id: i64,
    pub user: usize,
    pub subject: String,
    pub status: &'static str,
    pub assignee: Option<String>,
    pub created: i64,
    pub messages: Vec<Message>,
}

impl Ticket {
    /// The time of the last message visible at `now` (later ones are still in the simulated future).
    pub fn last_update(&self, now: i64) -> i64 {
        self.messages.iter().filter(|m| m.created <= now).map(|m| m.created).max().unwrap_or(self.created)
    }
}

/// An order as the panel reports it at some moment.
#[derive(Clone, Debug)]
pub struct Order {
    pub id: i64,
    pub user: usize,
    pub service: usize,
    pub quantity: i64,
    pub charge: i64,
    pub provider_charge: i64,
    pub start_count: i64,
    pub link: String,
    pub external_id: Option<String>,
    pub creation_type: &'static str,
    pub mode: &'static str,
    pub status: &'static str,
    pub remains: i64,
    pub created: i64,
    pub last_update: i64,
}

/// A change made to an order by a test, overriding the generated life.
#[derive(Clone, Debug)]
pub struct OrderOverride {
    pub status: &'static str,
    pub remains: i64,
    pub last_update: i64,
}

pub struct PanelData {
    pub cfg: SimConfig,
    pub now: i64,
    pub start: i64,
    pub end: i64,
    pub users: Vec<User>,
    /// Indices of users who order (the rest are dormant); the first few percent are whales.
    pub buyers: Vec<usize>,
    pub payments: Vec<Payment>,
    pub tickets: Vec<Ticket>,
    pub overrides: HashMap<i64, OrderOverride>,
    /// Links tests replace (hostile input: `javascript:` and friends).
    pub link_overrides: HashMap<i64, String>,
    /// Service names tests replace, by catalogue index.
    pub service_names: HashMap<usize, String>,
    /// Failed orders resent (`POST /orders/resend`), with when: pending, then in progress, then done.
    pub resent: HashMap<i64, i64>,
    /// Orders whose cancel was requested at the provider.
    pub cancel_requested: std::collections::HashSet<i64>,
}

const METHODS: &[&str] = &["perfectmoney", "payeer", "stripe", "coinbase", "binance_pay", "paypal"];
const STAFF: &[&str] = &["Alice", "Bora", "Chen", "Deniz"];
const SYLLABLES: &[&str] =
    &["ka", "lo", "mi", "ra", "te", "zu", "no", "vi", "sa", "den", "bor", "ex", "qua", "lin"];

impl PanelData {
    pub fn generate(cfg: SimConfig) -> PanelData {
        let seed = cfg.seed;
        let start = cfg.now - cfg.history_days * DAY;
        // 3% of the orders lie in the simulated future and arrive as the clock runs.
        let end = cfg.now + cfg.history_days * DAY * 3 / 97;
        let mut rng = Seq::new(seed, 100);
        let n_users = (cfg.orders / 25).clamp(40, 200_000) as usize;
        let mut users = Vec::with_capacity(n_users);
        for i in 0..n_users {
            let name: String = (0..2 + rng.below(2)).map(|_| *rng.pick(SYLLABLES)).collect();
            let username = format!("{name}{}", rng.below(990) + 10);
            let fresh = rng.unit() < 0.05;
            let created = if fresh {
                cfg.now - rng.below(2 * DAY as u64) as i64
            } else {
                start - rng.below(300 * DAY as u64) as i64
            };
            users.push(User {
                id: FIRST_USER_ID + i as i64,
                email: format!("{username}@mail.example"),
                username: format!("{username}_{i}"),
                balance: (rng.below(20_000) as i64) * 10_000,
                spent: 0,
                status: if rng.unit() < 0.03 { "suspended" } else { "active" },
                created,
                last_auth: (rng.unit() < 0.9).then(|| cfg.now - rng.below(20 * DAY as u64) as i64),
                discount: (rng.unit() < 0.1).then(|| [5, 10, 15][rng.below(3) as usize]),
            });
        }
        // 60% of accounts order; of those the first 3% are whales.
        let buyers: Vec<usize> = (0..n_users).filter(|i| h(seed, S_USER + 50, *i as u64) % 10 < 6).collect();
        let mut data = PanelData {
            cfg,
            now: 0,
            start,
            end,
            users,
            buyers,
            payments: Vec::new(),
            tickets: Vec::new(),
            overrides: HashMap::new(),
            link_overrides: HashMap::new(),
            service_names: HashMap::new(),
            resent: HashMap::new(),
            cancel_requested: Default::default(),
        };
        data.now = data.cfg.now;
        // Lifetime spend as the panel reports it: the charges of orders so far, refunds excluded.
        for i in 0..data.visible_count() {
            let o = data.order(i);
            if o.status != "canceled" && o.status != "fail" {
                data.users[o.user].spent += o.charge;
            }
        }
        data.payments = data.gen_payments();
        data.tickets = data.gen_tickets();
        data
    }

    pub fn total_orders(&self) -> u64 {
        self.cfg.orders
    }

    /// Creation time of order `i`: non-decreasing in `i`, so date order is index order.
    pub fn created_of(&self, i: u64) -> i64 {
        let n = self.cfg.orders.max(1) as i128;
        self.start + ((self.end - self.start) as i128 * i as i128 / n) as i64
    }

    /// How many orders exist at the simulated now.
    pub fn visible_count(&self) -> u64 {
        self.index_created_after(self.now)
    }

    /// The first index whose creation time is > `t`.
    pub fn index_created_after(&self, t: i64) -> u64 {
        let (mut lo, mut hi) = (0u64, self.cfg.orders);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.created_of(mid) <= t {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        lo
    }

    /// The first index whose creation time is ≥ `t`.
    pub fn index_created_from(&self, t: i64) -> u64 {
        if t <= i64::MIN + 1 {
            0
        } else {
            self.index_created_after(t - 1)
        }
    }

    pub fn service(&self, idx: usize) -> &'static ServiceSpec {
        &SERVICES[idx]
    }

    /// Order `i` as the panel reports it at the simulated now.
    pub fn order(&self, i: u64) -> Order {
        let seed = self.cfg.seed;
        let id = FIRST_ORDER_ID + i as i64;
        // Popular services get most orders.
        let svc_u = unit(seed, S_SVC, i);
        let service = ((svc_u * svc_u) * SERVICES.len() as f64) as usize % SERVICES.len();
        let spec = &SERVICES[service];
        let whales = (self.buyers.len() / 33).max(1);
        let user = if unit(seed, S_USER, i) < 0.3 {
            self.buyers[below(seed, S_USER + 1, i, whales as u64) as usize]
        } else {
            self.buyers[below(seed, S_USER + 2, i, self.buyers.len() as u64) as usize]
        };
        const QTY: [u64; 8] = [100, 250, 500, 1000, 2000, 5000, 10_000, 25_000];
        // Buyers order what a service delivers in half a day, not a month's worth.
        let speed_cap = spec.min_per_day.map_or(u64::MAX, |d| d / 2);
        let quantity = QTY[below(seed, S_QTY, i, QTY.len() as u64) as usize]
            .min(speed_cap)
            .clamp(spec.min, spec.max.min(1_000_000)) as i64;
        let charge = ((spec.rate * 1_000_000.0) as i64) * quantity / 1000;
        let provider_charge = charge * (60 + below(seed, S_MISC, i, 20) as i64) / 100;
        let created = self.created_of(i);
        let age = self.now - created;
        let speed = spec.min_per_day.unwrap_or(10_000) as f64;
        let promised_days = quantity as f64 / speed;
        // Providers start within the hour, and a small order on a fast service within its promise.
        let promised_secs = (promised_days * DAY as f64) as u64;
        let delay = 5 + below(seed, S_DELAY, i, (promised_secs / 2).clamp(1, 3600)) as i64;
        let resolve = DAY + below(seed, S_DELAY + 1, i, 2 * DAY as u64) as i64;
        let fate = unit(seed, S_FATE, i);
        // A few services are failing at their provider: their orders get stuck often, the rest rarely.
        let failing = below(seed, S_MISC + 9, service as u64, 5) == 0;
        let stuck =
            if failing { (0.92..0.95).contains(&fate) || fate < 0.12 } else { (0.92..0.927).contains(&fate) };
        // Normal orders finish within 20–90% of the promised time; slow ones take 2.5–6×.
        let factor = if (0.70..0.78).contains(&fate) {
            2.5 + 3.5 * unit(seed, S_SPEED, i)
        } else {
            0.2 + 0.7 * unit(seed, S_SPEED, i)
        };
        let duration = delay + (promised_days * factor * DAY as f64) as i64 + 5;
        let start_count = below(seed, S_MISC + 1, i, 50_000) as i64;
        let mut o = Order {
            id,
            user,
            service,
            quantity,
            charge,
            provider_charge,
            start_count,
            link: format!("{}{}", spec.link, h(seed, S_MISC + 2, i) % 1_000_000_007),
            external_id: None,
            creation_type: if below(seed, S_MISC + 3, i, 10) < 3 { "api" } else { "web" },
            mode: if below(seed, S_MISC + 4, i, 20) == 0 { "manual" } else { "auto" },
            status: "pending",
            remains: quantity,
            created,
            last_update: created,
        };
        if (0.88..0.90).contains(&fate) {
            o.status = "fail";
            o.last_update = created + 5;
            return self.apply_override(o);
        }
        if age >= delay {
            o.external_id = Some((40_000_000 + h(seed, S_MISC + 5, i) % 9_000_000).to_string());
        }
        if (0.90..0.92).contains(&fate) {
            o.status = "error";
            o.last_update = created + delay.min(age.max(0));
        } else if stuck && age >= delay + resolve {
            // Staff noticed the stuck order days later and refunded it.
            o.status = "canceled";
            o.last_update = created + delay + resolve;
        } else if stuck && age >= delay {
            // Stuck at the provider: never moves again, until staff cancel it.
            let sub = unit(seed, S_MISC + 6, i);
            o.status = if sub < 0.3 {
                "pending"
            } else if sub < 0.5 {
                "processing"
            } else {
                "in_progress"
            };
            o.remains = quantity * (50 + below(seed, S_MISC + 7, i, 50) as i64) / 100;
            o.last_update = created + delay;
        } else if age < delay {
            // Not started yet.
        } else if age < duration {
            o.status = "in_progress";
            let done = (age - delay) as f64 / (duration - delay).max(1) as f64;
            o.remains = ((1.0 - done) * quantity as f64).ceil() as i64;
            o.last_update = created + delay;
        } else {
            o.last_update = created + duration;
            o.remains = 0;
            o.status = "completed";
            if (0.78..0.84).contains(&fate) {
                o.status = "partial";
                o.remains = quantity * (10 + below(seed, S_MISC + 8, i, 40) as i64) / 100;
            } else if (0.84..0.88).contains(&fate) {
                o.status = "canceled";
                o.remains = quantity;
            }
        }
        self.apply_override(o)
    }

    fn apply_override(&self, mut o: Order) -> Order {
        if let Some(&at) = self.resent.get(&o.id) {
            // A resent order starts a new life at its provider: a minute pending, ten in progress.
            let age = self.now - at;
            o.external_id.get_or_insert_with(|| format!("R{}", o.id));
            (o.status, o.remains, o.last_update) = if age < 60 {
                ("pending", o.quantity, at)
            } else if age < 660 {
                ("in_progress", o.quantity - o.quantity * (age - 60) / 600, at + 60)
            } else {
                ("completed", 0, at + 660)
            };
        }
        if let Some(ov) = self.overrides.get(&o.id) {
            o.status = ov.status;
            o.remains = ov.remains;
            o.last_update = ov.last_update;
        }
        if let Some(link) = self.link_overrides.get(&o.id) {
            o.link = link.clone();
        }
        o
    }

    pub fn service_name(&self, idx: usize) -> &str {
        self.service_names
            .get(&idx)
            .map(String::as_str)
            .unwrap_or(crate::catalog::SERVICES[idx % crate::catalog::SERVICES.len()].name)
    }

    pub fn order_index(&self, id: i64) -> Option<u64> {
        let i = id - FIRST_ORDER_ID;
        (i >= 0 && (i as u64) < self.visible_count()).then_some(i as u64)
    }

    fn gen_payments(&self) -> Vec<Payment> {
        let mut rng = Seq::new(self.cfg.seed, 200);
        let n = (self.cfg.orders / 8).max(30) as usize;
        let mut out = Vec::with_capacity(n + 64);
        let mut id = 90_000i64;
        let span = (self.now - self.start).max(1) as u64;
        while out.len() < n {
            let user = *rng.pick(&self.buyers);
            let whale =
                self.buyers.iter().position(|b| *b == user).is_some_and(|p| p < self.buyers.len() / 33 + 1);
            let created = self.start + rng.below(span) as i64;
            let dollars = if whale { 500 + rng.below(4500) } else { 5 + rng.below(195) };
            let burst = rng.unit() < 0.01;
            // Suspicious pattern: several deposits within minutes.
            let count = if burst { 4 + rng.below(4) } else { 1 };
            for k in 0..count {
                id += 1;
                let st = rng.unit();
                let status = if st < 0.85 {
                    "completed"
                } else {
                    *rng.pick(&["pending", "waiting", "fail", "expired", "hold", "underpaid"])
                };
                let at = created + k as i64 * (60 + rng.below(240) as i64);
                out.push(Payment {
                    id,
                    user,
                    amount: (dollars as i64) * 1_000_000 + (rng.below(100) as i64) * 10_000,
                    method: METHODS[rng.below(METHODS.len() as u64) as usize],
                    status,
                    memo: if rng.unit() < 0.2 {
                        format!("Invoice #{}", rng.below(900_000) + 100_000)
                    } else {
                        String::new()
                    },
                    created: at,
                    updated: at + rng.below(900) as i64,
                });
            }
        }
        // Fresh sign-ups with a large first deposit.
        for (k, u) in self.users.iter().enumerate().filter(|(_, u)| u.created > self.now - 2 * DAY).take(8) {
            id += 1;
            out.push(Payment {
                id,
                user: k,
                amount: (1500 + rng.below(3000) as i64) * 1_000_000,
                method: "coinbase",
                status: "completed",
                memo: String::new(),
                created: u.created + 600,
                updated: u.created + 700,
            });
        }
        out.sort_by_key(|p| (p.created, p.id));
        for (k, p) in out.iter_mut().enumerate() {
            p.id = 90_001 + k as i64;
        }
        out
    }

    fn gen_tickets(&self) -> Vec<Ticket> {
        let mut rng = Seq::new(self.cfg.seed, 300);
        let n = (self.cfg.orders / 150).clamp(25, 20_000) as usize;
        let visible = self.visible_count().max(1);
        let subjects = [
            "Orders - Refill",
            "Orders - Speed Up",
            "Orders - Cancel",
            "Orders - Not started",
            "Orders - Partial",
            "Payment - Not added",
            "Other - Question",
        ];
        let mut out = Vec::with_capacity(n);
        let span = (self.now - self.start).max(1) as u64;
        for k in 0..n {
            let created = self.start + rng.below(span) as i64;
            let user = *rng.pick(&self.buyers);
            let subject = rng.pick(&subjects).to_string();
            let customer = self.users[user].username.clone();
            let ids: Vec<i64> = if subject.starts_with("Orders") && rng.unit() < 0.9 {
                (0..1 + rng.below(3)).map(|_| FIRST_ORDER_ID + rng.below(visible) as i64).collect()
            } else if rng.unit() < 0.3 {
                vec![(100_000 + rng.below(900_000)) as i64] // an id no cached order has
            } else {
                vec![]
            };
            let ids_text = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
            let mut t = created;
            let mut messages = vec![Message {
                sender_name: customer.clone(),
                is_staff: false,
                message: if ids.is_empty() {
                    "<p>Hello, I have a question about my account balance.</p>".into()
                } else {
                    format!("<p>Hi, my order {ids_text} is not moving.</p><p>Please check it.</p>")
                },
                created: t,
            }];
            let rounds = 1 + rng.below(3);
            for _ in 0..rounds {
                let staff = *rng.pick(STAFF);
                let quick = rng.unit() < 0.2;
                t += if quick { 5 + rng.below(20) as i64 } else { 120 + rng.below(6 * 3600) as i64 };
                let text = if rng.unit() < 0.25 {
                    "<p>Done.</p>".to_string()
                } else {
                    format!("<p>Hello {customer}, thank you for waiting. We checked order {ids_text} with our provider and requested a refill; it should complete within 24 hours.</p><p>Best regards</p>")
                };
                messages.push(Message {
                    sender_name: staff.into(),
                    is_staff: true,
                    message: text,
                    created: t,
                });
                // Sometimes the answer did not solve it: the customer writes again, twice or more.
                let follow = if rng.unit() < 0.3 { 2 + rng.below(2) } else { rng.below(2) };
                for f in 0..follow {
                    t += 60 + rng.below(3600) as i64;
                    let text = if f == 0 {
                        "<p>Still not working!!</p>".to_string()
                    } else {
                        "<p>Hello?? Any update?</p>".to_string()
                    };
                    messages.push(Message {
                        sender_name: customer.clone(),
                        is_staff: false,
                        message: text,
                        created: t,
                    });
                }
                if follow == 0 {
                    break;
                }
            }
            let last_staff = messages.last().is_some_and(|m| m.is_staff);
            let status = if last_staff {
                if rng.unit() < 0.5 {
                    "closed"
                } else {
                    "answered"
                }
            } else {
                "pending"
            };
            out.push(Ticket {
                id: 700 + k as i64,
                user,
                subject,
                status,
                assignee: (rng.unit() < 0.7).then(|| rng.pick(STAFF).to_string()),
                created,
                messages,
            });
        }
        out.sort_by_key(|t| (t.created, t.id));
        for (k, t) in out.iter_mut().enumerate() {
            t.id = 701 + k as i64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_time_moves_orders() {
        let a = PanelData::generate(SimConfig::new(7, 5_000, 1_800_000_000));
        let b = PanelData::generate(SimConfig::new(7, 5_000, 1_800_000_000));
        assert_eq!(a.order(1234).link, b.order(1234).link);
        assert_eq!(a.users.len(), b.users.len());
        assert!(a.visible_count() < 5_000 && a.visible_count() > 4_700);
        let statuses: std::collections::HashSet<_> =
            (0..a.visible_count()).map(|i| a.order(i).status).collect();
        for s in ["pending", "in_progress", "processing", "completed", "partial", "canceled", "fail", "error"]
        {
            assert!(statuses.contains(s), "{s} appears");
        }
        for w in (1..a.visible_count()).step_by(97) {
            assert!(a.created_of(w) >= a.created_of(w - 1));
        }
    }
}
