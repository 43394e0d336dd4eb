//! Recording councils, meetings, resolutions and progress updates from the forms and
//! the API (both parse into these inputs and call these functions).

use crate::AppState;
use crate::auth::CurrentUser;
use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::ids::{MeetingId, ResolutionId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::resolutions::{self as rules};
use hamafza_store::{Council, Resolution, Who};
use serde::Deserialize;

use super::lists::{agency_id, iso, parse_day, parse_optional_day, place_id};
use super::{Result, allowed, council_to_run, invalid, resolution_for};

/// A collaborating agency with its own action and deadline.
#[derive(Debug, Deserialize)]
pub struct CollaboratorIn {
    pub agency: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub deadline: Option<String>,
}

/// A new resolution as the API and the form give it.
#[derive(Debug, Deserialize)]
pub struct ResolutionIn {
    /// Council code or id.
    pub council: String,
    pub body: String,
    /// Responsible agency: code or id.
    pub responsible_agency: String,
    #[serde(default)]
    pub collaborators: Vec<CollaboratorIn>,
    /// Place codes or ids.
    #[serde(default)]
    pub places: Vec<String>,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub in_focus: Option<bool>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub expected_result: Option<String>,
    #[serde(default)]
    pub meeting_id: Option<String>,
    /// The number of the meeting's agenda item that decided it (1, 2, …).
    #[serde(default)]
    pub agenda_item: Option<i64>,
    /// The day it was decided (Jalali or ISO); the meeting's day or today if absent.
    #[serde(default)]
    pub decided_on: Option<String>,
}

/// Records a resolution for a council the user runs.
pub async fn create_resolution(
    state: &AppState,
    user: &CurrentUser,
    input: &ResolutionIn,
) -> Result<Resolution> {
    let council = council_to_run(state, user, &input.council).await?;
    let responsible = agency_id(state, "responsible_agency", &input.responsible_agency).await?;
    let mut collaborators = Vec::new();
    for c in &input.collaborators {
        let deadline = parse_optional_day("collaborators.deadline", c.deadline.as_deref())?;
        collaborators.push((
            agency_id(state, "collaborators", &c.agency).await?,
            c.action.clone().filter(|a| !a.trim().is_empty()),
            deadline.map(iso),
        ));
    }
    let mut places = Vec::new();
    for p in input.places.iter().filter(|p| !p.trim().is_empty()) {
        places.push(place_id(state, p).await?);
    }
    let meeting_id: Option<MeetingId> = match input.meeting_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(
            m.parse()
                .map_err(|_| invalid("meeting_id", "جلسه پیدا نشد"))?,
        ),
    };
    let agenda_item_id = match (meeting_id, input.agenda_item) {
        (Some(m), Some(position)) => Some(
            state
                .store
                .meeting(&scope(&user.actor, Action::ViewCouncilRecords), m)
                .await?
                .agenda
                .into_iter()
                .find(|a| a.position == position)
                .map(|a| a.id)
                .ok_or_else(|| invalid("agenda_item", "این بند در دستور جلسه نیست"))?,
        ),
        (None, Some(_)) => {
            return Err(invalid(
                "agenda_item",
                "بند دستور جلسه بدون جلسه معنا ندارد",
            ));
        }
        _ => None,
    };
    let today = state.clock.today();
    let deadline = parse_optional_day("deadline", input.deadline.as_deref())?;
    let decided_on = parse_optional_day("decided_on", input.decided_on.as_deref())?;
    let year = JalaliDate::from_gregorian(decided_on.unwrap_or(today)).year;
    let new = hamafza_store::NewResolution {
        council_id: council.id,
        year,
        body: input.body.clone(),
        meeting_id,
        agenda_item_id,
        responsible_agency_id: responsible,
        collaborators,
        places,
        deadline: deadline.map(iso),
        priority: input.priority.unwrap_or(2),
        in_focus: input.in_focus.unwrap_or(false),
        topic: input.topic.clone().unwrap_or_default(),
        expected_result: input
            .expected_result
            .clone()
            .filter(|e| !e.trim().is_empty()),
        decided_on,
    };
    Ok(state
        .store
        .create_resolution(&Who::of(&user.actor), &new, today)
        .await?)
}

/// A new meeting as the API and the form give it.
#[derive(Debug, Deserialize)]
pub struct MeetingIn {
    pub held_on: String,
    #[serde(default)]
    pub venue: String,
    /// Agenda items besides the ones added automatically.
    #[serde(default)]
    pub agenda: Vec<String>,
}

pub async fn create_meeting(
    state: &AppState,
    user: &CurrentUser,
    council_key: &str,
    input: &MeetingIn,
) -> Result<MeetingId> {
    let council = council_to_run(state, user, council_key).await?;
    let held_on = parse_day("held_on", &input.held_on)?;
    let agenda: Vec<String> = input
        .agenda
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let (id, _, _) = state
        .store
        .create_meeting(
            &Who::of(&user.actor),
            council.id,
            held_on,
            &input.venue,
            &agenda,
            state.clock.today(),
        )
        .await?;
    Ok(id)
}

/// A progress update with its evidence files.
pub struct UpdateIn {
    pub percent: i64,
    pub body: String,
    pub files: Vec<hamafza_store::NewEvidence>,
}

/// Posts a progress update for the user's agency (responsible or collaborating).
pub async fn post_update(
    state: &AppState,
    user: &CurrentUser,
    id: ResolutionId,
    input: UpdateIn,
) -> Result<String> {
    let v = resolution_for(state, user, id).await?;
    allowed(decide(
        &user.actor,
        Action::ReportProgress,
        Target::Resolution(&v.parties()),
    ))?;
    Ok(state
        .store
        .add_resolution_update(
            &Who::of(&user.actor),
            &user.actor,
            v.resolution.id,
            input.percent,
            &input.body,
            &input.files,
            state.clock.today(),
        )
        .await?)
}

impl UpdateIn {
    pub fn from_form(
        fields: &std::collections::HashMap<String, String>,
        files: Vec<hamafza_store::NewEvidence>,
    ) -> Result<Self> {
        let percent = fields
            .get("percent")
            .map(|p| hamafza_core::digits::to_ascii(p.trim()))
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(|| invalid("percent", "درصد پیشرفت را به عدد بنویسید"))?;
        Ok(UpdateIn {
            percent,
            body: fields.get("body").cloned().unwrap_or_default(),
            files,
        })
    }
}

/// A new council as the API and the form give it.
#[derive(Debug, Deserialize)]
pub struct CouncilIn {
    pub code: String,
    pub name_fa: String,
    pub kind: String,
    /// Place code or id.
    pub place: String,
    /// Agency code or id.
    pub secretariat_agency: String,
    #[serde(default)]
    pub members: Vec<MemberIn>,
    #[serde(default = "default_focus_limit")]
    pub focus_limit: i64,
    #[serde(default = "default_stall_days")]
    pub stall_days: i64,
}

#[derive(Debug, Deserialize)]
pub struct MemberIn {
    pub agency: String,
    #[serde(default)]
    pub representative: Option<String>,
}

pub(crate) fn default_focus_limit() -> i64 {
    10
}

pub(crate) fn default_stall_days() -> i64 {
    30
}

/// Sets a council up: system administrators for anyone, an agency's head for a council
/// their agency runs as secretariat.
pub async fn create_council(
    state: &AppState,
    user: &CurrentUser,
    input: CouncilIn,
) -> Result<Council> {
    let kind = rules::CouncilKind::from_code(&input.kind)
        .ok_or_else(|| invalid("kind", "گونهٔ شورا نامعتبر است"))?;
    let secretariat = agency_id(state, "secretariat_agency", &input.secretariat_agency).await?;
    allowed(decide(
        &user.actor,
        Action::CreateCouncil,
        Target::Agency {
            id: secretariat.uuid(),
        },
    ))?;
    let mut members = Vec::new();
    for m in &input.members {
        members.push((
            agency_id(state, "members", &m.agency).await?,
            m.representative.clone().filter(|r| !r.trim().is_empty()),
        ));
    }
    Ok(state
        .store
        .create_council(
            &Who::of(&user.actor),
            &hamafza_store::NewCouncil {
                code: input.code.trim().to_string(),
                name_fa: input.name_fa,
                kind,
                place_id: place_id(state, &input.place).await?,
                secretariat_agency_id: secretariat,
                focus_limit: input.focus_limit,
                stall_days: input.stall_days,
                members,
            },
        )
        .await?)
}
