//! The six order actions: who may start them, which orders they apply to, and how each is sent to a
//! panel (the write forms the API reference names, tried in turn while a panel says it lacks one).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Role;
use crate::cache::orders::{Order, OrderStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Resend,
    RequestCancel,
    EditLink,
    Cancel,
    SetPartial,
    ChangeStatus,
}

/// The statuses `change-status` may set (what the reference lists, and `pending`).
pub const SETTABLE: [OrderStatus; 5] = [
    OrderStatus::Completed,
    OrderStatus::Partial,
    OrderStatus::Canceled,
    OrderStatus::InProgress,
    OrderStatus::Pending,
];

/// What an action needs besides the orders.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Params {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remains: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl ActionKind {
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Resend,
        ActionKind::RequestCancel,
        ActionKind::EditLink,
        ActionKind::Cancel,
        ActionKind::SetPartial,
        ActionKind::ChangeStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Resend => "resend",
            ActionKind::RequestCancel => "request_cancel",
            ActionKind::EditLink => "edit_link",
            ActionKind::Cancel => "cancel",
            ActionKind::SetPartial => "set_partial",
            ActionKind::ChangeStatus => "change_status",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Resend => "Resend to provider",
            ActionKind::RequestCancel => "Request cancel at the provider",
            ActionKind::EditLink => "Edit link",
            ActionKind::Cancel => "Cancel and refund",
            ActionKind::SetPartial => "Set partial",
            ActionKind::ChangeStatus => "Change status",
        }
    }

    /// Agents fix orders; only admins move money or overrule the provider's status.
    pub fn min_role(self) -> Role {
        match self {
            ActionKind::Resend | ActionKind::RequestCancel | ActionKind::EditLink => Role::Agent,
            ActionKind::Cancel | ActionKind::SetPartial | ActionKind::ChangeStatus => Role::Admin,
        }
    }

    /// Actions whose value belongs to one order (a link, the remains): never in bulk.
    pub fn single(self) -> bool {
        matches!(self, ActionKind::EditLink | ActionKind::SetPartial)
    }

    /// The write forms to try, in order; `{id}` is the order id. A panel answering one with 404 or
    /// "unknown method" has not taken the write, so the next is safe to try.
    pub fn forms(self) -> &'static [&'static str] {
        match self {
            ActionKind::Resend => &["/orders/resend"],
            ActionKind::RequestCancel => &["/orders/request-cancel"],
            ActionKind::EditLink => &["/orders/{id}/edit-link"],
            ActionKind::Cancel => &["/orders/cancel"],
            ActionKind::SetPartial => &["/orders/{id}/set-partial"],
            ActionKind::ChangeStatus => &["/orders/change-status", "/orders/{id}/change-status"],
        }
    }

    /// The JSON body for one order. Where clients disagree on the id's key (`ids`, `order_id`,
    /// `order`), every form is sent: a panel reads the key it knows and ignores the others.
    pub fn body(self, id: i64, p: &Params) -> Value {
        match self {
            ActionKind::Resend | ActionKind::RequestCancel | ActionKind::Cancel => {
                json!({"ids": id.to_string(), "order_id": id})
            }
            ActionKind::EditLink => json!({"link": p.link}),
            ActionKind::SetPartial => json!({"remains": p.remains}),
            ActionKind::ChangeStatus => json!({"order": id, "order_id": id, "status": p.status}),
        }
    }

    /// Why this action does not apply to `o`, if it does not (judged on the cached status).
    pub fn refuses(self, o: &Order, p: &Params) -> Option<String> {
        let st = o.status.as_str();
        let finished = OrderStatus::is_final(st);
        let is = |s: OrderStatus| st == s.as_str();
        let shown = st.replace('_', " ");
        match self {
            ActionKind::Resend if !is(OrderStatus::Fail) => {
                Some(format!("only failed orders can be resent; this one is {shown}"))
            }
            ActionKind::RequestCancel if is(OrderStatus::Fail) => {
                Some("a failed order never reached the provider: nothing to cancel there".into())
            }
            ActionKind::RequestCancel
            | ActionKind::Cancel
            | ActionKind::EditLink
            | ActionKind::SetPartial
                if finished =>
            {
                Some(format!("it is already {shown}"))
            }
            ActionKind::SetPartial => match (p.remains, o.quantity) {
                (Some(r), Some(q)) if !(0..=q).contains(&r) => {
                    Some(format!("the remains ({r}) must be between 0 and its quantity ({q})"))
                }
                _ => None,
            },
            ActionKind::ChangeStatus if p.status.as_deref() == Some(st) => {
                Some(format!("it is already {shown}"))
            }
            _ => None,
        }
    }

    /// The key of `GET /orders/{id}`'s `actions` flags that says whether the panel allows this now.
    pub fn panel_flag(self) -> Option<&'static str> {
        match self {
            ActionKind::Resend => Some("resend"),
            ActionKind::RequestCancel => Some("request_cancel"),
            ActionKind::Cancel => Some("cancel_and_refund"),
            _ => None,
        }
    }

    /// Checks the action's own values (the link, the remains, the status), before anything is planned.
    pub fn check_params(self, p: &Params) -> Result<(), String> {
        match self {
            ActionKind::EditLink => match p.link.as_deref().map(str::trim) {
                Some(l) if (l.starts_with("https://") || l.starts_with("http://")) && l.len() <= 2000 => {
                    Ok(())
                }
                _ => Err("Enter the new link (http:// or https://, at most 2,000 characters).".into()),
            },
            ActionKind::SetPartial => match p.remains {
                Some(r) if r >= 0 => Ok(()),
                _ => Err("Enter the remains: how many were not delivered (0 or more).".into()),
            },
            ActionKind::ChangeStatus => match p.status.as_deref() {
                Some(s) if SETTABLE.iter().any(|t| t.as_str() == s) => Ok(()),
                _ => {
                    let allowed: Vec<&str> = SETTABLE.iter().map(|s| s.as_str()).collect();
                    Err(format!("Choose the new status: {}.", allowed.join(", ")))
                }
            },
            _ => Ok(()),
        }
    }

    /// The money this action returns to the customer for `o` (micro-units of its currency).
    pub fn refund(self, o: &Order, p: &Params) -> i64 {
        let charged = o.charge.filter(|_| !OrderStatus::is_uncharged(&o.status)).unwrap_or(0);
        match self {
            ActionKind::Cancel => charged,
            ActionKind::SetPartial => match (p.remains, o.quantity) {
                (Some(r), Some(q)) if q > 0 => charged * r.clamp(0, q) / q,
                _ => 0,
            },
            _ => 0,
        }
    }
}

/// Where one order of an action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemState {
    Pending,
    /// Claimed by a slice and being sent; if that slice ends without an answer, it becomes unknown.
    Sending,
    Done,
    Refused,
    NotOffered,
    Unknown,
}

impl ItemState {
    pub const ALL: [ItemState; 6] = [
        ItemState::Pending,
        ItemState::Sending,
        ItemState::Done,
        ItemState::Refused,
        ItemState::NotOffered,
        ItemState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Sending => "sending",
            ItemState::Done => "done",
            ItemState::Refused => "refused",
            ItemState::NotOffered => "not_offered",
            ItemState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemState::Pending => "waiting",
            ItemState::Sending => "sending",
            ItemState::Done => "done",
            ItemState::Refused => "refused by the panel",
            ItemState::NotOffered => "not offered by this panel",
            ItemState::Unknown => "unknown — re-read",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, ItemState::Pending | ItemState::Sending)
    }
}
