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

pub struct NavGroup {
    pub label: &'static str,
    pub items: &'static [NavItem],
}

pub const NAV: &[NavGroup] = &[
    NavGroup {
        label: "Console",
        items: &[NavItem { label: "Overview", href: "/", min_role: Role::Viewer, all_panels: false }],
    },
    // Data: Orders, Tickets, Users, Payments, Services (issue 4).
    NavGroup {
        label: "Data",
        items: &[
            NavItem { label: "Orders", href: "/orders", min_role: Role::Viewer, all_panels: false },
            NavItem { label: "Tickets", href: "/tickets", min_role: Role::Viewer, all_panels: false },
            NavItem { label: "Users", href: "/users", min_role: Role::Viewer, all_panels: false },
            NavItem { label: "Payments", href: "/payments", min_role: Role::Viewer, all_panels: false },
            NavItem { label: "Services", href: "/services", min_role: Role::Viewer, all_panels: false },
        ],
    },
    // Reports: Service tracking, User tracking, Ticket tracking, Competitor tracking, Staff statistics.
    NavGroup {
        label: "Reports",
        items: &[
            NavItem {
                label: "Service tracking",
                href: "/reports/service-health",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "User tracking",
                href: "/reports/top-spenders",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "Ticket tracking",
                href: "/reports/ticket-tracking/staff",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "Competitor tracking",
                href: "/reports/competitors",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "Staff statistics",
                href: "/reports/staff-statistics",
                min_role: Role::Viewer,
                all_panels: false,
            },
        ],
    },
    NavGroup {
        label: "AI",
        items: &[
            NavItem {
                label: "Flagged replies",
                href: "/ai/flagged",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem { label: "AI prompts", href: "/ai/prompts", min_role: Role::Agent, all_panels: false },
        ],
    },
    NavGroup {
        label: "Settings",
        items: &[
            NavItem { label: "Panels", href: "/panels", min_role: Role::Viewer, all_panels: false },
            NavItem {
                label: "Competitor panels",
                href: "/competitors",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem { label: "Staff", href: "/staff", min_role: Role::Owner, all_panels: false },
            NavItem { label: "Sync", href: "/settings/sync", min_role: Role::Viewer, all_panels: false },
            NavItem { label: "AI settings", href: "/ai/settings", min_role: Role::Admin, all_panels: true },
            NavItem {
                label: "Payment methods",
                href: "/payment-methods",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "Canned replies",
                href: "/canned-replies",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "Service descriptions",
                href: "/services/descriptions",
                min_role: Role::Admin,
                all_panels: false,
            },
            NavItem {
                label: "Service reports",
                href: "/service-reports",
                min_role: Role::Viewer,
                all_panels: false,
            },
            NavItem {
                label: "API keys",
                href: "/settings/api-keys",
                min_role: Role::Owner,
                all_panels: false,
            },
            NavItem { label: "Activity log", href: "/activity", min_role: Role::Admin, all_panels: false },
        ],
    },
];
