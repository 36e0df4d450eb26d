//! The left navigation: only sections that exist are listed (nothing pretends to work), each shown to
//! the roles that may open it.

use crate::auth::Role;

pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub min_role: Role,
    /// A setting every panel shares: listed only for staff who see every panel.
    pub all_panels: bool,
}

const fn item(label: &'static str, href: &'static str, min_role: Role) -> NavItem {
    NavItem { label, href, min_role, all_panels: false }
}

/// An item for a setting every panel shares (see `Access::AllPanels`).
const fn shared_setting(label: &'static str, href: &'static str, min_role: Role) -> NavItem {
    NavItem { label, href, min_role, all_panels: true }
}

pub struct NavGroup {
    pub label: &'static str,
    pub items: &'static [NavItem],
}

impl NavGroup {
    /// The items `viewer` may open.
    pub fn shown_to(&self, viewer: &crate::auth::Viewer) -> Vec<&NavItem> {
        let sees = |i: &&NavItem| viewer.is(i.min_role) && (!i.all_panels || viewer.staff.sees_every_panel());
        self.items.iter().filter(sees).collect()
    }
}

pub const NAV: &[NavGroup] = &[
    NavGroup {
        label: "Console",
        items: &[item("Overview", "/", Role::Viewer), item("Alert history", "/alerts", Role::Viewer)],
    },
    // Data: Orders, Tickets, Users, Payments, Services (issue 4).
    NavGroup {
        label: "Data",
        items: &[
            item("Orders", "/orders", Role::Viewer),
            item("Tickets", "/tickets", Role::Viewer),
            item("Users", "/users", Role::Viewer),
            item("Payments", "/payments", Role::Viewer),
            item("Services", "/services", Role::Viewer),
        ],
    },
    // Reports: Service tracking, User tracking, Margins, Providers, Ticket tracking, Competitor tracking, Staff statistics.
    NavGroup {
        label: "Reports",
        items: &[
            item("Service tracking", "/reports/service-health", Role::Viewer),
            item("User tracking", "/reports/top-spenders", Role::Viewer),
            item("Margins", "/reports/margins", Role::Viewer),
            item("Providers", "/reports/providers", Role::Viewer),
            item("Ticket tracking", "/reports/ticket-tracking/staff", Role::Viewer),
            item("Competitor tracking", "/reports/competitors", Role::Viewer),
            item("Staff statistics", "/reports/staff-statistics", Role::Viewer),
        ],
    },
    NavGroup {
        label: "AI",
        items: &[
            item("Flagged replies", "/ai/flagged", Role::Viewer),
            item("AI prompts", "/ai/prompts", Role::Agent),
        ],
    },
    NavGroup {
        label: "Settings",
        items: &[
            item("Panels", "/panels", Role::Viewer),
            item("Competitor panels", "/competitors", Role::Viewer),
            item("Staff", "/staff", Role::Owner),
            item("Sync", "/settings/sync", Role::Viewer),
            item("Alerts", "/settings/alerts", Role::Admin),
            shared_setting("AI settings", "/ai/settings", Role::Admin),
            item("Payment methods", "/payment-methods", Role::Viewer),
            item("Canned replies", "/canned-replies", Role::Viewer),
            item("Service descriptions", "/services/descriptions", Role::Admin),
            item("Service reports", "/service-reports", Role::Viewer),
            item("API keys", "/settings/api-keys", Role::Owner),
            item("Activity log", "/activity", Role::Admin),
        ],
    },
];
