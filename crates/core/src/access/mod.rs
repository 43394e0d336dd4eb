//! The access policy: the one place where Hamafza decides who may do what, where.
//!
//! A user belongs to one agency, holds roles, and has a jurisdiction: a set of places,
//! each covering its descendants. [`decide`] answers a single question about one
//! record; [`scope`] turns the same rules into the filter the store puts on a list, so
//! a list can never hold a record that `decide` would refuse. Every feature adds its
//! verbs to [`Action`] and its records to [`Target`]; nothing else in Hamafza decides
//! access (the role × endpoint matrix test in `crates/web/tests` checks every route
//! against this module).
//!
//! The rules, in words:
//! - **Places**: a user sees the places in their jurisdiction, everything under them,
//!   and their ancestors (to find the way down). System administrators see all.
//! - **Councils**: an agency sees a council it sits on (or runs as secretariat), and the
//!   heading of a council in which it leads or collaborates on a resolution. Only
//!   members read the council's meetings, minutes and attendance, and only members see
//!   its other resolutions: an agency with one resolution in a council it does not sit
//!   on sees that resolution and nothing else of the council — in lists, dashboards,
//!   exports and the PDF report alike.
//! - **Resolutions**: the secretariat, the responsible and collaborating agencies, and
//!   the council's members see a resolution; the responsible and collaborating
//!   agencies' officers and heads report progress on it; moves are decided by
//!   [`crate::resolutions::decide_move`] on top of [`acts_for`].
//! - **Analysts** see aggregates only. They read resolutions and reports of the
//!   councils their agency sits on (decisions of public bodies, not records about a
//!   person) but never download evidence files, which can show people, and never see a
//!   person-level record of the registry.
//! - **Atlas**: every signed-in user sees public indicators; restricted indicators and
//!   counts under the small-number threshold are for analysts, council secretaries and
//!   system administrators; analysts and system administrators write the dictionary
//!   and priority indices; agency heads also supply values; every field role records
//!   events.
//! - **Registry of vulnerable people**: field officers, agency heads and child
//!   protection register people and read the records their agency holds; another
//!   agency's field staff in the same jurisdiction read a record only if the person
//!   consented to sharing, and otherwise see only that it exists and whom to call
//!   ([`Action::LocatePerson`]). A child's record is read only by the child-protection
//!   role and by staff of agencies designated for child protection; to everyone else
//!   it is "not found", and lists show it without a name. A record outside the
//!   caller's jurisdiction that their agency does not hold is "not found". Analysts
//!   and viewers never read a person. System administrators read adults' records (for
//!   support and subject-access requests), never a child's unless they also hold the
//!   child-protection role. Every read is audited with its purpose by the store.
//!   The agencies that hold a record change its consent; system administrators keep
//!   the categories; council secretaries designate agencies for child protection.

mod actions;
mod scope;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::place;

pub use actions::{Action, CouncilFacts, Parties, Party, PersonFacts, Target, party_of};
pub use scope::{Scope, ScopeRule, scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SystemAdmin,
    AgencyAdmin,
    CouncilSecretary,
    AgencyOfficer,
    /// Sees aggregates only: never a person-level record, never an evidence file.
    Analyst,
    Viewer,
    /// Child protection (حمایت از کودک): reads children's records in the registry.
    ChildProtection,
    /// May refer a person who has not consented to sharing, saying why (audited and
    /// reported): an explicit permission, held beside a field role.
    ConsentOverride,
    /// The registry's supervisor (ناظر ثبت): runs identity linkage, decides the review
    /// queue's pairs and undoes links, within their jurisdiction; every decision is
    /// audited with its reason. Held beside a field role.
    RegistrySupervisor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::SystemAdmin,
        Role::AgencyAdmin,
        Role::CouncilSecretary,
        Role::AgencyOfficer,
        Role::Analyst,
        Role::Viewer,
        Role::ChildProtection,
        Role::ConsentOverride,
        Role::RegistrySupervisor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::AgencyAdmin => "agency_admin",
            Role::CouncilSecretary => "council_secretary",
            Role::AgencyOfficer => "agency_officer",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
            Role::ChildProtection => "child_protection",
            Role::ConsentOverride => "consent_override",
            Role::RegistrySupervisor => "registry_supervisor",
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
            Role::ChildProtection => "حمایت از کودک",
            Role::ConsentOverride => "مجوز ارجاع بدون رضایت",
            Role::RegistrySupervisor => "ناظر ثبت افراد (پیوند سوابق)",
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

    fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    pub fn is_system_admin(&self) -> bool {
        self.has(Role::SystemAdmin)
    }

    /// Holds no role but the analyst's: aggregates only.
    pub fn aggregates_only(&self) -> bool {
        !self.roles.is_empty() && self.roles.iter().all(|r| *r == Role::Analyst)
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
    /// The record is not the caller's to see at all: answered as "not found", so that
    /// outsiders do not learn that it exists.
    Hidden,
}

impl DenyReason {
    /// What the refused user reads.
    pub fn message_fa(self) -> &'static str {
        match self {
            DenyReason::Role => "نقش شما اجازهٔ این کار را نمی‌دهد.",
            DenyReason::Jurisdiction => "این مورد بیرون از حوزهٔ جغرافیایی شماست.",
            DenyReason::Agency => "این مورد به دستگاه دیگری تعلق دارد.",
            DenyReason::Hidden => "پیدا نشد، یا اجازهٔ دیدنش را ندارید.",
        }
    }
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }

    /// `Ok(())` when allowed, else the reason.
    pub fn check(self) -> Result<(), DenyReason> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(r) => Err(r),
        }
    }
}

fn allow_if(cond: bool, reason: DenyReason) -> Decision {
    if cond {
        Decision::Allow
    } else {
        Decision::Deny(reason)
    }
}

/// Whether the actor holds a role that acts for its agency in `party`'s part of a
/// resolution: the secretariat's moves (assign, verify, send back, cancel, merge,
/// close, reopen) are its secretaries' and head's; the responsible and collaborating
/// agencies' reports are their officers' and head's. Viewers and analysts only read.
pub fn acts_for(actor: &Actor, party: Party) -> bool {
    match party {
        Party::Secretariat => actor.has_any(&[Role::CouncilSecretary, Role::AgencyAdmin]),
        Party::Responsible | Party::Collaborator => {
            actor.has_any(&[Role::AgencyOfficer, Role::AgencyAdmin])
        }
        Party::Other => false,
    }
}

/// Whether the caller may see counts below the threshold and restricted indicators:
/// analysts (who work with statistics), council secretaries (who prepare the council's
/// atlas) and system administrators. Everyone else, and every public export, sees
/// small counts suppressed.
pub fn sees_restricted(actor: &Actor) -> bool {
    actor.has_any(&[Role::SystemAdmin, Role::Analyst, Role::CouncilSecretary])
}

/// The one access decision. Every handler and every store query goes through it or
/// through [`scope`], which is derived from the same rules.
pub fn decide(actor: &Actor, action: Action, target: Target<'_>) -> Decision {
    use Action::*;
    let admin = actor.is_system_admin();
    let agency_admin = actor.has(Role::AgencyAdmin);
    match (action, target) {
        // ── places ──
        (ViewPlace, Target::Place { path }) => {
            allow_if(actor.can_see_place(path), DenyReason::Jurisdiction)
        }
        (ViewPlace, Target::Collection) => allow_if(
            admin || !actor.jurisdiction.is_empty(),
            DenyReason::Jurisdiction,
        ),
        (ImportPlaces, _) => allow_if(admin, DenyReason::Role),

        // ── agencies, users, audit ──
        (ViewAgencies, _) => Decision::Allow,
        (ManageAgencies, _) => allow_if(admin, DenyReason::Role),
        (ViewUsers | ManageUsers | ViewAudit, Target::Collection) => {
            allow_if(admin || agency_admin, DenyReason::Role)
        }
        (ViewAudit, Target::Agency { id }) => own_agency_as_head(actor, id),
        // A witness is an operator's arrangement between two servers: the other
        // server's operator holds a token of a system administrator here.
        (WitnessCheckpoints, _) => allow_if(admin, DenyReason::Role),
        (ViewUsers, Target::User { agency_id, .. }) => own_agency_as_head(actor, agency_id),
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

        // ── councils ──
        (CreateCouncil, Target::Agency { id: secretariat }) => {
            if admin {
                Decision::Allow
            } else if !agency_admin {
                Decision::Deny(DenyReason::Role)
            } else {
                allow_if(secretariat == actor.agency_id, DenyReason::Agency)
            }
        }
        (ViewCouncils, Target::Collection) => Decision::Allow,
        (ViewCouncil, Target::Council(c)) => allow_if(
            admin || c.is_member(actor.agency_id) || c.actor_agency_takes_part,
            DenyReason::Hidden,
        ),
        (ViewCouncilRecords, Target::Council(c)) => {
            if admin || c.is_member(actor.agency_id) {
                Decision::Allow
            } else if c.actor_agency_takes_part {
                Decision::Deny(DenyReason::Agency)
            } else {
                Decision::Deny(DenyReason::Hidden)
            }
        }
        (RunCouncil, Target::Council(c)) => {
            if admin {
                Decision::Allow
            } else if !c.is_member(actor.agency_id) && !c.actor_agency_takes_part {
                Decision::Deny(DenyReason::Hidden)
            } else if actor.agency_id != c.secretariat {
                Decision::Deny(DenyReason::Agency)
            } else {
                allow_if(
                    actor.has_any(&[Role::CouncilSecretary, Role::AgencyAdmin]),
                    DenyReason::Role,
                )
            }
        }

        // ── resolutions ──
        (ViewResolutions | ExportResolutions, Target::Collection) => Decision::Allow,
        (ViewResolution, Target::Resolution(p)) => {
            allow_if(sees_resolution(actor, p), DenyReason::Hidden)
        }
        (ReportProgress, Target::Resolution(p)) => {
            if !sees_resolution(actor, p) {
                Decision::Deny(DenyReason::Hidden)
            } else {
                let party = party_of(actor.agency_id, p);
                let reporter =
                    actor.agency_id == p.responsible || p.collaborators.contains(&actor.agency_id);
                let acting = if reporter && party == Party::Secretariat {
                    // A secretariat that also leads or helps reports as such.
                    Party::Responsible
                } else {
                    party
                };
                if !reporter {
                    Decision::Deny(DenyReason::Agency)
                } else {
                    allow_if(acts_for(actor, acting), DenyReason::Role)
                }
            }
        }
        (ViewEvidence, Target::Resolution(p)) => {
            if !sees_resolution(actor, p) {
                Decision::Deny(DenyReason::Hidden)
            } else {
                allow_if(!actor.aggregates_only(), DenyReason::Role)
            }
        }
        (ViewAgencyReport, Target::Agency { id }) => {
            allow_if(admin || id == actor.agency_id, DenyReason::Agency)
        }

        // ── atlas ──
        (ViewAtlas, _) => Decision::Allow,
        (ViewIndicator, Target::Indicator { restricted }) => {
            allow_if(!restricted || sees_restricted(actor), DenyReason::Hidden)
        }
        (SeeSmallCounts, _) => allow_if(sees_restricted(actor), DenyReason::Role),
        (DefineIndicators | DefinePriorityIndices | ManageEventCategories, _) => {
            allow_if(admin || actor.has(Role::Analyst), DenyReason::Role)
        }
        (SupplyValues, _) => allow_if(
            actor.has_any(&[Role::SystemAdmin, Role::Analyst, Role::AgencyAdmin]),
            DenyReason::Role,
        ),
        (RecordEvents, _) => allow_if(
            actor.has_any(&[
                Role::SystemAdmin,
                Role::AgencyAdmin,
                Role::CouncilSecretary,
                Role::AgencyOfficer,
            ]),
            DenyReason::Role,
        ),

        // ── registry of vulnerable people ──
        (RegisterPeople, _) => allow_if(works_with_people(actor), DenyReason::Role),
        (LocatePerson, Target::Collection) => {
            allow_if(works_with_people(actor) || admin, DenyReason::Role)
        }
        (LocatePerson, Target::Person(p)) => locate_person(actor, p),
        (ViewPerson, Target::Person(p)) => view_person(actor, p),
        (EditPerson, Target::Person(p)) => match view_person(actor, p) {
            Decision::Allow if p.holders.contains(&actor.agency_id) || admin => {
                allow_if(works_with_people(actor) || admin, DenyReason::Role)
            }
            Decision::Allow => Decision::Deny(DenyReason::Agency),
            denied => denied,
        },
        (ViewPersonAccessReport, Target::Person(p)) => {
            if admin {
                Decision::Allow
            } else {
                match locate_person(actor, p) {
                    Decision::Allow if p.holders.contains(&actor.agency_id) => {
                        allow_if(agency_admin, DenyReason::Role)
                    }
                    Decision::Allow => Decision::Deny(DenyReason::Agency),
                    denied => denied,
                }
            }
        }

        // A case is opened by an agency that may read the person; its work is the
        // case's agency's. Cases are seen as the person is (ViewPerson).
        (OpenCase | RecordEncounter, Target::Person(p)) => match view_person(actor, p) {
            Decision::Allow => allow_if(works_with_people(actor), DenyReason::Role),
            denied => denied,
        },
        (WorkCase, Target::Case { agency, person }) => match view_person(actor, person) {
            Decision::Allow if agency == actor.agency_id => {
                allow_if(works_with_people(actor), DenyReason::Role)
            }
            Decision::Allow => Decision::Deny(DenyReason::Agency),
            denied => denied,
        },
        // A referral is made by an agency that may read the person; without the
        // person's consent to share, only with the explicit override permission (the
        // store then requires the reason and audits it).
        (Refer, Target::Person(p)) => match view_person(actor, p) {
            Decision::Allow if !works_with_people(actor) => Decision::Deny(DenyReason::Role),
            Decision::Allow if p.shared || actor.has(Role::ConsentOverride) => Decision::Allow,
            Decision::Allow => Decision::Deny(DenyReason::Role),
            denied => denied,
        },
        // Answering is the receiving agency's, withdrawing the referring one's: both
        // need a people role; the side is checked by the referral's state machine.
        (AnswerReferral, Target::Referral { from, to }) => {
            if actor.agency_id != from && actor.agency_id != to {
                Decision::Deny(DenyReason::Hidden)
            } else {
                allow_if(works_with_people(actor), DenyReason::Role)
            }
        }
        (ManagePersonCategories | HoldPerson, _) => allow_if(admin, DenyReason::Role),

        // ── identity linkage ──
        // The registry's supervisors run it and decide its pairs, for records in their
        // jurisdiction (a child's only with child protection), whichever agency holds
        // them: finding one person across agencies is the point. Deciding does not
        // read a record: the pair page shows the fields compared, audited as a read.
        (RunLinkage, _) => allow_if(
            admin || actor.has(Role::RegistrySupervisor),
            DenyReason::Role,
        ),
        (ReviewMatches, Target::Person(p)) => {
            if !actor.has(Role::RegistrySupervisor) {
                Decision::Deny(DenyReason::Role)
            } else if p.child && !protects_children(actor, p.actor_agency_protects_children) {
                Decision::Deny(DenyReason::Hidden)
            } else {
                allow_if(
                    p.places.iter().any(|path| actor.covers(path)),
                    DenyReason::Hidden,
                )
            }
        }
        (ReviewMatches, Target::Collection) => {
            allow_if(actor.has(Role::RegistrySupervisor), DenyReason::Role)
        }
        // At registration, the officer links the new record to one they may locate (a
        // likely match shown without its names when they may not read it).
        (LinkAtRegistration, Target::Person(p)) => match locate_person(actor, p) {
            Decision::Allow => allow_if(works_with_people(actor), DenyReason::Role),
            denied => denied,
        },
        // ── biometrics ──
        // A template says more about a person than a name, and cannot be changed: it
        // is enrolled only by the agency that holds the record (reading alone, even
        // with consent to share, is not enough), by people roles.
        (EnrolBiometric, Target::Person(p)) => match view_person(actor, p) {
            Decision::Allow if !works_with_people(actor) => Decision::Deny(DenyReason::Role),
            Decision::Allow if p.holders.contains(&actor.agency_id) => Decision::Allow,
            Decision::Allow => Decision::Deny(DenyReason::Agency),
            denied => denied,
        },
        (DeleteBiometric, Target::Person(p)) => match view_person(actor, p) {
            Decision::Allow if admin => Decision::Allow,
            Decision::Allow if !works_with_people(actor) => Decision::Deny(DenyReason::Role),
            Decision::Allow if p.holders.contains(&actor.agency_id) => Decision::Allow,
            Decision::Allow => Decision::Deny(DenyReason::Agency),
            denied => denied,
        },
        (ViewAbis, _) => allow_if(
            admin || actor.has(Role::RegistrySupervisor),
            DenyReason::Role,
        ),
        // A council secretary designates (the issue's "agencies a secretary
        // designates"), and the system administrator.
        (DesignateChildProtection, _) => {
            allow_if(admin || actor.has(Role::CouncilSecretary), DenyReason::Role)
        }

        _ => Decision::Deny(DenyReason::Role),
    }
}

/// The roles that register and serve people: field officers, agency heads and child
/// protection. Analysts, viewers and council secretaries never read a person.
pub fn works_with_people(actor: &Actor) -> bool {
    actor.has_any(&[
        Role::AgencyOfficer,
        Role::AgencyAdmin,
        Role::ChildProtection,
    ])
}

/// Reads children's records: the child-protection role, or staff of an agency
/// designated for child protection.
pub fn protects_children(actor: &Actor, actor_agency_protects_children: bool) -> bool {
    actor.has(Role::ChildProtection) || (actor_agency_protects_children && works_with_people(actor))
}

/// That the record exists and whom to call: the people roles, for a record their agency
/// holds or one in their jurisdiction (a child's too — lists show it without a name);
/// system administrators for every record.
fn locate_person(actor: &Actor, p: &PersonFacts<'_>) -> Decision {
    if actor.is_system_admin() {
        return Decision::Allow;
    }
    if !works_with_people(actor) {
        return Decision::Deny(DenyReason::Role);
    }
    let holds = p.holders.contains(&actor.agency_id);
    allow_if(
        holds || p.places.iter().any(|path| actor.covers(path)),
        DenyReason::Hidden,
    )
}

/// The record itself. "Not found" for a child's record to anyone who does not protect
/// children and for a record the caller may not even locate; "another agency's" for a
/// record whose person did not consent to sharing.
fn view_person(actor: &Actor, p: &PersonFacts<'_>) -> Decision {
    if !actor.is_system_admin() && !works_with_people(actor) {
        return Decision::Deny(DenyReason::Role);
    }
    if p.child && !protects_children(actor, p.actor_agency_protects_children) {
        return Decision::Deny(DenyReason::Hidden);
    }
    if let denied @ Decision::Deny(_) = locate_person(actor, p) {
        return denied;
    }
    let holds = p.holders.contains(&actor.agency_id);
    allow_if(
        actor.is_system_admin() || holds || p.shared,
        DenyReason::Agency,
    )
}

/// System administrators, or the head of the agency concerned.
fn own_agency_as_head(actor: &Actor, agency: Uuid) -> Decision {
    if actor.is_system_admin() {
        Decision::Allow
    } else if !actor.has(Role::AgencyAdmin) {
        Decision::Deny(DenyReason::Role)
    } else {
        allow_if(agency == actor.agency_id, DenyReason::Agency)
    }
}

/// "Who sees a resolution", written once: system administrators; the council's
/// secretariat and members; the responsible and collaborating agencies. The store's
/// SQL for [`ScopeRule::AgencyResolutions`] says the same.
fn sees_resolution(actor: &Actor, p: &Parties<'_>) -> bool {
    actor.is_system_admin()
        || party_of(actor.agency_id, p) != Party::Other
        || p.council_members.contains(&actor.agency_id)
}

#[cfg(test)]
mod tests;
