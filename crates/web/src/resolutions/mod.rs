//! What the resolution pages and the resolution API share: who may see and move what,
//! list parameters, and reading dates as people type them. Both front ends call these,
//! so a page and an API call cannot disagree on an access decision.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use hamafza_core::access::{Action, CouncilFacts, Decision, Scope, Target, decide, scope};
use hamafza_core::ids::{CouncilId, ResolutionId};
use hamafza_core::resolutions::{self as rules, MoveFacts, MoveKind, Parties, Party};
use hamafza_store::{Council, Resolution, StoreError, Who};
use serde::Deserialize;
use uuid::Uuid;

pub mod api;
pub mod council_pages;
pub mod documents;
pub mod input;
pub mod lists;
pub mod meeting_pages;
pub mod pages;
pub mod work;

pub use input::*;
pub use lists::*;

pub type Result<T> = crate::error::AppResult<T>;

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(field, message)
}

/// Turns the policy's decision into this module's refusal.
fn allowed(d: Decision) -> Result<()> {
    d.check().map_err(AppError::from)
}

/// The resolutions this user may see, for any list, dashboard, export or report.
pub fn resolution_scope(user: &CurrentUser) -> Scope {
    scope(&user.actor, Action::ViewResolutions)
}

/// A council with what access to it depends on, read once per request: its members,
/// and whether the caller's agency leads or helps with one of its resolutions.
pub struct CouncilAccess {
    pub council: Council,
    members: Vec<Uuid>,
    takes_part: bool,
}

impl CouncilAccess {
    fn decision(&self, user: &CurrentUser, action: Action) -> Decision {
        let facts = CouncilFacts {
            secretariat: self.council.secretariat_agency_id.uuid(),
            members: &self.members,
            actor_agency_takes_part: self.takes_part,
        };
        decide(&user.actor, action, Target::Council(&facts))
    }

    /// Whether the policy lets the user do `action` to the council (to show a form or
    /// a section), with no further reading.
    pub fn may(&self, user: &CurrentUser, action: Action) -> bool {
        self.decision(user, action).is_allowed()
    }
}

/// How a request names a council: by the code or id in its path, or by an id read
/// from a record.
#[derive(Debug, Clone, Copy)]
pub enum CouncilRef<'a> {
    Key(&'a str),
    Id(CouncilId),
}

impl<'a> From<&'a str> for CouncilRef<'a> {
    fn from(key: &'a str) -> Self {
        CouncilRef::Key(key)
    }
}

impl<'a> From<&'a String> for CouncilRef<'a> {
    fn from(key: &'a String) -> Self {
        CouncilRef::Key(key)
    }
}

impl From<&CouncilId> for CouncilRef<'_> {
    fn from(id: &CouncilId) -> Self {
        CouncilRef::Id(*id)
    }
}

impl From<CouncilId> for CouncilRef<'_> {
    fn from(id: CouncilId) -> Self {
        CouncilRef::Id(id)
    }
}

/// A council by code or id, and what access to it depends on.
pub async fn council_access(
    state: &AppState,
    user: &CurrentUser,
    council: impl Into<CouncilRef<'_>>,
) -> Result<CouncilAccess> {
    let council = match council.into() {
        CouncilRef::Id(id) => state.store.council(id).await?,
        CouncilRef::Key(key) => match state.store.council_by_code(key).await? {
            Some(c) => c,
            None => match key.parse::<CouncilId>() {
                Ok(id) => state.store.council(id).await?,
                Err(_) => return Err(StoreError::NotFound.into()),
            },
        },
    };
    let members = council.members.iter().map(|m| m.uuid()).collect();
    let takes_part = state
        .store
        .agency_takes_part_in_council(council.id, user.actor.agency_id.into())
        .await?;
    Ok(CouncilAccess {
        council,
        members,
        takes_part,
    })
}

/// The council, if the policy lets the user do `action` to it (else "not found" for
/// those who may not know it exists, or the policy's reason).
pub async fn council_where(
    state: &AppState,
    user: &CurrentUser,
    key: impl Into<CouncilRef<'_>>,
    action: Action,
) -> Result<CouncilAccess> {
    let access = council_access(state, user, key).await?;
    allowed(access.decision(user, action))?;
    Ok(access)
}

/// A council whose heading the user may see.
pub async fn council_for(
    state: &AppState,
    user: &CurrentUser,
    key: impl Into<CouncilRef<'_>>,
) -> Result<Council> {
    Ok(council_where(state, user, key, Action::ViewCouncil)
        .await?
        .council)
}

/// A council whose meetings and minutes the user may read (its members).
pub async fn council_records_for(
    state: &AppState,
    user: &CurrentUser,
    key: impl Into<CouncilRef<'_>>,
) -> Result<Council> {
    Ok(council_where(state, user, key, Action::ViewCouncilRecords)
        .await?
        .council)
}

/// A council the user may run (record meetings, minutes and resolutions for).
pub async fn council_to_run(
    state: &AppState,
    user: &CurrentUser,
    key: impl Into<CouncilRef<'_>>,
) -> Result<Council> {
    Ok(council_where(state, user, key, Action::RunCouncil)
        .await?
        .council)
}

/// A resolution the user may see (else "not found"), its council, and what the
/// policy needs to decide anything else about it.
pub struct Visible {
    pub resolution: Resolution,
    pub council: Council,
    pub collaborators: Vec<Uuid>,
    pub members: Vec<Uuid>,
}

impl Visible {
    pub fn parties(&self) -> Parties<'_> {
        Parties {
            secretariat: self.council.secretariat_agency_id.uuid(),
            responsible: self.resolution.responsible_agency_id.uuid(),
            collaborators: &self.collaborators,
            council_members: &self.members,
        }
    }

    /// The part the user's agency plays in it.
    pub fn party(&self, user: &CurrentUser) -> Party {
        rules::party_of(user.actor.agency_id, &self.parties())
    }

    /// Whether the policy lets the user do `action` to it.
    pub fn may(&self, user: &CurrentUser, action: Action) -> bool {
        decide(&user.actor, action, Target::Resolution(&self.parties())).is_allowed()
    }

    /// The moves the user may make now (the buttons of the resolution page).
    pub fn moves(&self, user: &CurrentUser) -> Vec<MoveKind> {
        rules::available_moves(
            &user.actor,
            &MoveFacts {
                id: &self.resolution.id.to_string(),
                state: self.resolution.state,
                parties: self.parties(),
                evidence_files: 0,
                reported_by: None,
            },
        )
    }
}

pub async fn resolution_for(
    state: &AppState,
    user: &CurrentUser,
    id: ResolutionId,
) -> Result<Visible> {
    let resolution = state.store.resolution(id).await?;
    let (council, collaborators, members) = state.store.resolution_parties(&resolution).await?;
    let v = Visible {
        resolution,
        council,
        collaborators,
        members,
    };
    allowed(decide(
        &user.actor,
        Action::ViewResolution,
        Target::Resolution(&v.parties()),
    ))?;
    Ok(v)
}

/// A move as a form or JSON body names it.
#[derive(Debug, Deserialize)]
pub struct MoveIn {
    /// assign, start, report_done, verify, send_back, cancel, merge, close, reopen
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// For `merge`: the number («۱۴۰۴/۳») or id of the resolution it merges into.
    #[serde(default)]
    pub into: Option<String>,
}

/// Moves a resolution: the store reads what the decision needs inside its write
/// transaction and asks `hamafza_core::resolutions::decide_move` once. An unknown move
/// is refused, never mapped to another.
pub async fn move_resolution(
    state: &AppState,
    user: &CurrentUser,
    id: ResolutionId,
    m: &MoveIn,
) -> Result<Resolution> {
    let kind = MoveKind::from_code(m.action.trim())
        .ok_or_else(|| invalid("action", "کار خواسته‌شده را نمی‌شناسم"))?;
    let t = kind.with(
        m.reason.as_deref().unwrap_or_default(),
        m.into.as_deref().unwrap_or_default(),
    );
    Ok(state
        .store
        .move_resolution(
            &Who::of(&user.actor),
            &user.actor,
            id,
            &t,
            state.clock.today(),
        )
        .await?)
}
