//! The access policy: one place where Hamafza decides who may do what, where.
//!
//! A user belongs to one agency, holds roles, and has a jurisdiction: a set of places,
//! each covering its descendants. [`decide`] answers a single question about one
//! record; [`scope`] turns the same rules into the filter the store puts on a list, so
//! a list can never hold a record that `decide` would refuse.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::place;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SystemAdmin,
    AgencyAdmin,
    CouncilSecretary,
    AgencyOfficer,
    /// Sees aggregates only: never a person-level record.
    Analyst,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::SystemAdmin,
        Role::AgencyAdmin,
        Role::CouncilSecretary,
        Role::AgencyOfficer,
        Role::Analyst,
        Role::Viewer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::AgencyAdmin => "agency_admin",
            Role::CouncilSecretary => "council_secretary",
            Role::AgencyOfficer => "agency_officer",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Role::SystemAdmin => "مدیر سامانه",
            Role::AgencyAdmin => "مدیر دستگاه",
            Role::CouncilSecretary => "دبیر شورا",
            Role::AgencyOfficer => "کارشناس دستگاه",
            Role::Analyst => "تحلیلگر (فقط آمار تجمیعی)",
            Role::Viewer => "بیننده",
        }
    }
}

/// Who is asking: everything the policy needs to know about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub agency_id: Uuid,
    pub roles: Vec<Role>,
    /// Materialised paths of the places in the user's jurisdiction.
    pub jurisdiction: Vec<String>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn is_system_admin(&self) -> bool {
        self.has(Role::SystemAdmin)
    }

    /// The place is inside the jurisdiction (or the user is a system administrator).
    pub fn covers(&self, place_path: &str) -> bool {
        self.is_system_admin()
            || self
                .jurisdiction
                .iter()
                .any(|j| place::is_within(place_path, j))
    }

    /// The place is inside the jurisdiction or one of its ancestors, which a user
    /// needs to see to find their way down to their own places.
    pub fn can_see_place(&self, place_path: &str) -> bool {
        self.covers(place_path)
            || self
                .jurisdiction
                .iter()
                .any(|j| place::is_within(j, place_path))
    }
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewPlace,
    ImportPlaces,
    ViewAgencies,
    ManageAgencies,
    ViewUsers,
    ManageUsers,
    ViewAudit,
}

/// The record the action is about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A whole collection, before any record is known (e.g. "may I open the users page?").
    Collection,
    Place {
        path: &'a str,
    },
    Agency {
        id: Uuid,
    },
    /// An existing or proposed user account.
    User {
        agency_id: Uuid,
        roles: &'a [Role],
        jurisdiction: &'a [String],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    Role,
    Jurisdiction,
    Agency,
}

impl DenyReason {
    /// What the refused user reads.
    pub fn message_fa(self) -> &'static str {
        match self {
            DenyReason::Role => "نقش شما اجازهٔ این کار را نمی‌دهد.",
            DenyReason::Jurisdiction => "این مورد بیرون از حوزهٔ جغرافیایی شماست.",
            DenyReason::Agency => "این مورد به دستگاه دیگری تعلق دارد.",
        }
    }
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

fn allow_if(cond: bool, reason: DenyReason) -> Decision {
    if cond {
        Decision::Allow
    } else {
        Decision::Deny(reason)
    }
}

/// The one access decision. Every handler and every store query goes through it or
/// through [`scope`], which is derived from the same rules.
pub fn decide(actor: &Actor, action: Action, target: Target<'_>) -> Decision {
    use Action::*;
    let admin = actor.is_system_admin();
    let agency_admin = actor.has(Role::AgencyAdmin);
    match (action, target) {
        (ViewPlace, Target::Place { path }) => {
            allow_if(actor.can_see_place(path), DenyReason::Jurisdiction)
        }
        (ViewPlace, Target::Collection) => allow_if(
            admin || !actor.jurisdiction.is_empty(),
            DenyReason::Jurisdiction,
        ),
        (ImportPlaces, _) => allow_if(admin, DenyReason::Role),
        (ViewAgencies, _) => Decision::Allow,
        (ManageAgencies, _) => allow_if(admin, DenyReason::Role),
        (ViewUsers | ManageUsers | ViewAudit, Target::Collection) => {
            allow_if(admin || agency_admin, DenyReason::Role)
        }
        (ViewAudit, Target::Agency { id }) => {
            if admin {
                Decision::Allow
            } else if !agency_admin {
                Decision::Deny(DenyReason::Role)
            } else {
                allow_if(id == actor.agency_id, DenyReason::Agency)
            }
        }
        (ViewUsers, Target::User { agency_id, .. }) => {
            if admin {
                Decision::Allow
            } else if !agency_admin {
                Decision::Deny(DenyReason::Role)
            } else {
                allow_if(agency_id == actor.agency_id, DenyReason::Agency)
            }
        }
        (
            ManageUsers,
            Target::User {
                agency_id,
                roles,
                jurisdiction,
            },
        ) => {
            if admin {
                Decision::Allow
            } else if !agency_admin || roles.contains(&Role::SystemAdmin) {
                Decision::Deny(DenyReason::Role)
            } else if agency_id != actor.agency_id {
                Decision::Deny(DenyReason::Agency)
            } else {
                // An agency admin can only hand out places they hold themselves.
                allow_if(
                    !jurisdiction.is_empty() && jurisdiction.iter().all(|p| actor.covers(p)),
                    DenyReason::Jurisdiction,
                )
            }
        }
        _ => Decision::Deny(DenyReason::Role),
    }
}

/// Which rows of a collection a list may contain, for the store to turn into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Places within these paths, plus their ancestors.
    PlacesVisibleFrom(Vec<String>),
    /// Rows belonging to this agency.
    Agency(Uuid),
    Nothing,
}

/// The list filter matching [`decide`] for `action`.
pub fn scope(actor: &Actor, action: Action) -> Scope {
    use Action::*;
    if actor.is_system_admin() {
        return Scope::All;
    }
    match action {
        ViewPlace if actor.jurisdiction.is_empty() => Scope::Nothing,
        ViewPlace => Scope::PlacesVisibleFrom(actor.jurisdiction.clone()),
        ViewAgencies => Scope::All,
        ViewUsers | ViewAudit if actor.has(Role::AgencyAdmin) => Scope::Agency(actor.agency_id),
        _ => Scope::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role], jurisdiction: &[&str]) -> Actor {
        Actor {
            user_id: Uuid::from_u128(1),
            agency_id: Uuid::from_u128(10),
            roles: roles.to_vec(),
            jurisdiction: jurisdiction.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn jurisdiction_covers_descendants_and_shows_ancestors() {
        let a = actor(&[Role::AgencyOfficer], &["/teh/city/d12/"]);
        let see = |p| decide(&a, Action::ViewPlace, Target::Place { path: p });
        assert_eq!(see("/teh/city/d12/n1/"), Decision::Allow);
        assert_eq!(see("/teh/"), Decision::Allow, "ancestor, for navigation");
        assert_eq!(
            see("/teh/city/d13/"),
            Decision::Deny(DenyReason::Jurisdiction)
        );
        assert_eq!(see("/ker/"), Decision::Deny(DenyReason::Jurisdiction));
    }

    #[test]
    fn agency_admin_manages_only_own_agency_within_own_places() {
        let a = actor(&[Role::AgencyAdmin], &["/teh/"]);
        let own = Uuid::from_u128(10);
        let other = Uuid::from_u128(11);
        let j_in = vec!["/teh/x/".to_string()];
        let j_out = vec!["/ker/".to_string()];
        let user = |agency_id, roles: &'static [Role], j: &'static Vec<String>| Target::User {
            agency_id,
            roles,
            jurisdiction: j,
        };
        let j_in: &'static Vec<String> = Box::leak(Box::new(j_in));
        let j_out: &'static Vec<String> = Box::leak(Box::new(j_out));
        assert!(
            decide(
                &a,
                Action::ManageUsers,
                user(own, &[Role::AgencyOfficer], j_in)
            )
            .is_allowed()
        );
        assert_eq!(
            decide(
                &a,
                Action::ManageUsers,
                user(other, &[Role::AgencyOfficer], j_in)
            ),
            Decision::Deny(DenyReason::Agency)
        );
        assert_eq!(
            decide(
                &a,
                Action::ManageUsers,
                user(own, &[Role::SystemAdmin], j_in)
            ),
            Decision::Deny(DenyReason::Role)
        );
        assert_eq!(
            decide(&a, Action::ManageUsers, user(own, &[Role::Viewer], j_out)),
            Decision::Deny(DenyReason::Jurisdiction)
        );
    }

    #[test]
    fn scope_matches_decide_for_lists() {
        let viewer = actor(&[Role::Viewer], &["/teh/"]);
        assert_eq!(scope(&viewer, Action::ViewUsers), Scope::Nothing);
        assert_eq!(
            scope(&viewer, Action::ViewPlace),
            Scope::PlacesVisibleFrom(vec!["/teh/".into()])
        );
        let nowhere = actor(&[Role::Analyst], &[]);
        assert_eq!(scope(&nowhere, Action::ViewPlace), Scope::Nothing);
        let admin = actor(&[Role::SystemAdmin], &[]);
        assert_eq!(scope(&admin, Action::ViewAudit), Scope::All);
    }
}
