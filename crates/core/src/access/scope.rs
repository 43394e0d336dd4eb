//! Which rows a list may hold: [`scope`] turns the rules of [`super::decide`] into a
//! [`Scope`] the store turns into SQL (in `crates/store/src/scope_sql.rs`, its only
//! reader).
//!
//! A `Scope` cannot be built to mean "everything" except by [`scope`] for a system
//! administrator or by [`Scope::system_job`], whose name is the one to grep for: it is
//! for jobs no user asked for (escalation, the demo loader, the CLI's operator
//! commands, tests), never for a request handler — a test in `crates/web/tests` reads
//! the web crate's source to keep it so. There is no `Default`.

use uuid::Uuid;

use super::{Action, Actor, Role};

/// The filter a list query must apply. Store functions take `&Scope`, never an
/// `Option`: forgetting it does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(Rule);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Everything,
    PlacesVisibleFrom(Vec<String>),
    Agency(Uuid),
    AgencyResolutions(Uuid),
    AgencyCouncils(Uuid),
    MemberCouncils(Uuid),
    Shared,
    PublicIndicators,
    People {
        agency: Uuid,
        jurisdiction: Vec<String>,
    },
    Nothing,
}

/// What a scope lets through, for the store to turn into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule<'a> {
    /// No filter: a system administrator, or a named system job.
    Everything,
    /// Places within these paths, plus their ancestors.
    PlacesVisibleFrom(&'a [String]),
    /// Rows belonging to this agency (users, audit entries).
    Agency(Uuid),
    /// Resolutions this agency leads or collaborates on, and every resolution of the
    /// councils it sits on (as a member or the secretariat).
    AgencyResolutions(Uuid),
    /// Councils this agency sits on, or in which it leads or collaborates on a
    /// resolution (whose heading it then sees, and nothing more).
    AgencyCouncils(Uuid),
    /// Records of the councils this agency sits on (meetings, minutes, attendance): a
    /// council's records are for its members only.
    MemberCouncils(Uuid),
    /// Reference lists every signed-in user reads (agencies, event categories, priority
    /// indices): everything, but only for these lists — no other kind of row accepts it.
    Shared,
    /// Indicators published as public (callers without restricted access).
    PublicIndicators,
    /// People whose record this agency holds, or who were met or live within these
    /// paths: what [`super::Action::LocatePerson`] lets through. Each row is then
    /// shown in full or as "exists" by [`super::decide`] with `ViewPerson`.
    People {
        agency: Uuid,
        jurisdiction: &'a [String],
    },
    Nothing,
}

impl Scope {
    /// Everything, for a job that serves no request: escalation, the demo loader, the
    /// operator's CLI commands, tests. `job` names it for whoever greps.
    pub fn system_job(job: &'static str) -> Scope {
        let _ = job;
        Scope(Rule::Everything)
    }

    /// The reference lists every signed-in user reads (agencies, event categories,
    /// priority indices) and nothing else: what `scope` gives anyone for
    /// `ViewAgencies` or `ViewAtlas`, for code that checks input against those lists or
    /// names the agencies of rows it already may show.
    pub fn reference_lists() -> Scope {
        Scope(Rule::Shared)
    }

    /// Nothing at all.
    pub fn nothing() -> Scope {
        Scope(Rule::Nothing)
    }

    /// Only this agency's rows (narrower than any user's own scope can be widened to).
    pub fn agency(id: Uuid) -> Scope {
        Scope(Rule::Agency(id))
    }

    /// Places within these paths and their ancestors.
    pub fn places_visible_from(paths: Vec<String>) -> Scope {
        if paths.is_empty() {
            Scope(Rule::Nothing)
        } else {
            Scope(Rule::PlacesVisibleFrom(paths))
        }
    }

    pub fn rule(&self) -> ScopeRule<'_> {
        match &self.0 {
            Rule::Everything => ScopeRule::Everything,
            Rule::PlacesVisibleFrom(p) => ScopeRule::PlacesVisibleFrom(p),
            Rule::Agency(a) => ScopeRule::Agency(*a),
            Rule::AgencyResolutions(a) => ScopeRule::AgencyResolutions(*a),
            Rule::AgencyCouncils(a) => ScopeRule::AgencyCouncils(*a),
            Rule::MemberCouncils(a) => ScopeRule::MemberCouncils(*a),
            Rule::Shared => ScopeRule::Shared,
            Rule::PublicIndicators => ScopeRule::PublicIndicators,
            Rule::People {
                agency,
                jurisdiction,
            } => ScopeRule::People {
                agency: *agency,
                jurisdiction,
            },
            Rule::Nothing => ScopeRule::Nothing,
        }
    }

    pub fn is_everything(&self) -> bool {
        self.0 == Rule::Everything
    }
}

/// The list filter matching [`super::decide`] for `action`.
pub fn scope(actor: &Actor, action: Action) -> Scope {
    use Action::*;
    if actor.is_system_admin() {
        return Scope(Rule::Everything);
    }
    Scope(match action {
        ViewPlace if actor.jurisdiction.is_empty() => Rule::Nothing,
        ViewPlace => Rule::PlacesVisibleFrom(actor.jurisdiction.clone()),
        ViewAgencies | ViewAtlas => Rule::Shared,
        ViewUsers | ViewAudit if actor.has(Role::AgencyAdmin) => Rule::Agency(actor.agency_id),
        ViewCouncils => Rule::AgencyCouncils(actor.agency_id),
        ViewCouncilRecords => Rule::MemberCouncils(actor.agency_id),
        ViewResolutions | ViewResolution | ExportResolutions => {
            Rule::AgencyResolutions(actor.agency_id)
        }
        ViewEvidence if actor.aggregates_only() => Rule::Nothing,
        ViewEvidence => Rule::AgencyResolutions(actor.agency_id),
        ViewIndicator if super::sees_restricted(actor) => Rule::Everything,
        ViewIndicator => Rule::PublicIndicators,
        AnswerReferral if super::works_with_people(actor) => Rule::Agency(actor.agency_id),
        LocatePerson | ViewPerson if super::works_with_people(actor) => Rule::People {
            agency: actor.agency_id,
            jurisdiction: actor.jurisdiction.clone(),
        },
        _ => Rule::Nothing,
    })
}
