//! What can be asked of the policy: the verbs ([`Action`]) and the records they are
//! about ([`Target`]), with the facts about a council or a resolution that access to
//! it depends on.

use uuid::Uuid;

use super::Role;

/// What the caller wants to do. One variant per thing and verb; a new record type adds
/// its own here, its arm in [`super::decide`] and its rows in the matrix test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    // places
    ViewPlace,
    ImportPlaces,
    // agencies, users, audit
    ViewAgencies,
    ManageAgencies,
    ViewUsers,
    ManageUsers,
    ViewAudit,
    /// Countersign another server's audit checkpoints (the server acts as a witness).
    WitnessCheckpoints,
    // councils (target: the secretariat agency to create; the council otherwise)
    CreateCouncil,
    ViewCouncils,
    /// The council's heading and the resolutions of it the caller may see.
    ViewCouncil,
    /// Meetings, minutes, attendance and agenda: members only.
    ViewCouncilRecords,
    /// Record meetings, minutes and resolutions; change the council's settings.
    RunCouncil,
    // resolutions
    ViewResolutions,
    ViewResolution,
    /// Post a progress update (with evidence) on a resolution.
    ReportProgress,
    /// Download an evidence file of a resolution.
    ViewEvidence,
    /// XLSX exports and PDF reports of resolution lists (always scoped to the caller).
    ExportResolutions,
    /// An agency's scorecard and PDF report.
    ViewAgencyReport,
    // atlas
    ViewAtlas,
    ViewIndicator,
    /// Counts under the small-number threshold, and rates made from them.
    SeeSmallCounts,
    DefineIndicators,
    SupplyValues,
    RecordEvents,
    ManageEventCategories,
    DefinePriorityIndices,
    // registry of vulnerable people (every read is audited with its purpose)
    /// Register a person at first contact (or count an encounter without consent).
    RegisterPeople,
    /// That a person's record exists and which agency to call: what a list shows of a
    /// record the caller may not read.
    LocatePerson,
    /// The record itself: names, identifiers, consent, timeline.
    ViewPerson,
    /// Change the record or its consent: the agencies that hold it.
    EditPerson,
    /// Who read the record, when and why; and everything held on the person.
    ViewPersonAccessReport,
    /// Record a later contact with a person on record (where and when they were met
    /// again): anyone who may read the record and works with people.
    RecordEncounter,
    /// Open a case for a person (the agency then holds the record).
    OpenCase,
    /// Work on a case: services, notes, closing and reopening — the case's agency.
    WorkCase,
    /// Refer a person to another agency.
    Refer,
    /// Answer, serve, close or withdraw a referral (its two agencies).
    AnswerReferral,
    /// Add or rename the categories people are registered under.
    ManagePersonCategories,
    /// Put a person's record on legal hold (the retention run keeps it) or release
    /// it: the system administrator, answering a court or an inquiry.
    HoldPerson,
    // identity linkage
    /// Run linkage over the whole registry; see the learnt weights.
    RunLinkage,
    /// Decide a pair of the review queue (same / different / not sure) and undo a
    /// link: the registry's supervisors, for records in their jurisdiction.
    ReviewMatches,
    /// Link a record being registered to a likely match the officer may locate.
    LinkAtRegistration,
    // biometrics (templates only, never an image; see `crate::biometrics`)
    /// Enrol a template a capture device sent for a person: staff of an agency that
    /// holds the record (a child's only with child protection).
    EnrolBiometric,
    /// Delete a person's template (at the ABIS too): the agencies that hold the record,
    /// and system administrators.
    DeleteBiometric,
    /// The matcher's state: jobs, failures, a ping — system administrators and the
    /// registry's supervisors.
    ViewAbis,
    /// Designate an agency for child protection (its staff then read children's
    /// records).
    DesignateChildProtection,
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
    Council(&'a CouncilFacts<'a>),
    Resolution(&'a Parties<'a>),
    Indicator {
        restricted: bool,
    },
    Person(&'a PersonFacts<'a>),
    /// A referral: the referring and the receiving agency.
    Referral {
        from: Uuid,
        to: Uuid,
    },
    /// A case: its agency, and the facts about its person.
    Case {
        agency: Uuid,
        person: &'a PersonFacts<'a>,
    },
}

/// What access to a person's record depends on.
#[derive(Debug, Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The agencies that hold the record: the one that registered the person, and
    /// those with a case for them.
    pub holders: &'a [Uuid],
    /// Where the person was met and where they live (materialised paths).
    pub places: &'a [&'a str],
    /// The person's consent lets other agencies read the record.
    pub shared: bool,
    /// The person may be under 18: a child record.
    pub child: bool,
    /// The caller's agency is designated for child protection.
    pub actor_agency_protects_children: bool,
}

/// What access to a council depends on.
#[derive(Debug, Clone, Copy)]
pub struct CouncilFacts<'a> {
    pub secretariat: Uuid,
    pub members: &'a [Uuid],
    /// The caller's agency leads or collaborates on at least one of its resolutions.
    pub actor_agency_takes_part: bool,
}

impl CouncilFacts<'_> {
    /// The agency sits on the council (its secretariat always does).
    pub fn is_member(&self, agency: Uuid) -> bool {
        agency == self.secretariat || self.members.contains(&agency)
    }
}

/// The agencies a resolution involves: what access to it depends on.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub secretariat: Uuid,
    pub responsible: Uuid,
    pub collaborators: &'a [Uuid],
    pub council_members: &'a [Uuid],
}

/// The part an agency plays in one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The council's secretariat agency.
    Secretariat,
    /// The one lead agency responsible for it.
    Responsible,
    Collaborator,
    Other,
}

/// The role an agency plays in one resolution (the secretariat first, when it is also
/// responsible: see [`crate::resolutions::decide_move`] for the moves it then makes as
/// the responsible agency).
pub fn party_of(agency: Uuid, p: &Parties<'_>) -> Party {
    if agency == p.secretariat {
        Party::Secretariat
    } else if agency == p.responsible {
        Party::Responsible
    } else if p.collaborators.contains(&agency) {
        Party::Collaborator
    } else {
        Party::Other
    }
}
