//! What the resolution pages and the resolution API share: who may see and move what,
//! list parameters, and reading dates as people type them. Both front ends call these,
//! so a page and an API call cannot disagree on an access decision.

use hamafza_core::access::{Action, CouncilFacts, Decision, Scope, Target, decide, scope};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::resolutions::{self as rules, MoveFacts, MoveKind, Parties, Party, State};
use hamafza_store::{Council, Resolution, ResolutionFilter, StoreError, Who};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

pub type Result<T> = crate::error::AppResult<T>;

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::invalid(field, message)
}

/// A day as typed: Jalali (`۱۴۰۴/۰۸/۲۹`, `1404-8-29`) or ISO Gregorian (`2025-11-20`).
pub fn parse_day(field: &'static str, input: &str) -> Result<time::Date> {
    let ascii = hamafza_core::digits::to_ascii(input.trim());
    let year: Option<i32> = ascii.split(['-', '/']).next().and_then(|y| y.parse().ok());
    if year.is_some_and(|y| y >= 1700) {
        return time::Date::parse(
            &ascii,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| invalid(field, format!("تاریخ «{}» نادرست است", input.trim())));
    }
    JalaliDate::parse(input)
        .map(JalaliDate::to_gregorian)
        .map_err(|e| invalid(field, e.to_string()))
}

/// An optional day: empty means none.
pub fn parse_optional_day(field: &'static str, input: Option<&str>) -> Result<Option<time::Date>> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_day(field, s).map(Some),
        None => Ok(None),
    }
}

pub fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// A stored ISO day as Jalali `۱۴۰۴/۰۸/۲۹`; empty for none.
pub fn jalali(iso_day: Option<&str>) -> String {
    iso_day
        .and_then(|s| {
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .map(|d| JalaliDate::from_gregorian(d).format_numeric())
        .unwrap_or_default()
}

/// Turns the policy's decision into this module's refusal.
fn allowed(d: Decision) -> Result<()> {
    d.check().map_err(AppError::from)
}

/// The resolutions this user may see, for any list, dashboard, export or report.
pub fn resolution_scope(user: &CurrentUser) -> Scope {
    scope(&user.actor, Action::ViewResolutions)
}

/// A council by code or id, with what access to it depends on.
async fn council_and_facts(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
) -> Result<(Council, Vec<Uuid>, bool)> {
    let council = match state.store.council_by_code(key).await? {
        Some(c) => c,
        None if Uuid::parse_str(key).is_ok() => state.store.council(key).await?,
        None => return Err(StoreError::NotFound.into()),
    };
    let members = council.members.iter().map(|m| uuid_of(m)).collect();
    let takes_part = state
        .store
        .agency_takes_part_in_council(&council.id, &user.actor.agency_id.to_string())
        .await?;
    Ok((council, members, takes_part))
}

/// A council by id or code, if the policy lets the user do `action` to it (else "not
/// found" for those who may not know it exists, or the policy's reason).
pub async fn council_where(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
    action: Action,
) -> Result<Council> {
    let (council, members, takes_part) = council_and_facts(state, user, key).await?;
    let facts = CouncilFacts {
        secretariat: uuid_of(&council.secretariat_agency_id),
        members: &members,
        actor_agency_takes_part: takes_part,
    };
    allowed(decide(&user.actor, action, Target::Council(&facts)))?;
    Ok(council)
}

/// A council whose heading the user may see.
pub async fn council_for(state: &AppState, user: &CurrentUser, key: &str) -> Result<Council> {
    council_where(state, user, key, Action::ViewCouncil).await
}

/// A council whose meetings and minutes the user may read (its members).
pub async fn council_records_for(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
) -> Result<Council> {
    council_where(state, user, key, Action::ViewCouncilRecords).await
}

/// A council the user may run (record meetings, minutes and resolutions for).
pub async fn council_to_run(state: &AppState, user: &CurrentUser, key: &str) -> Result<Council> {
    council_where(state, user, key, Action::RunCouncil).await
}

/// Whether the user may run this council (to show its forms).
pub async fn may_run(state: &AppState, user: &CurrentUser, council: &Council) -> Result<bool> {
    match council_to_run(state, user, &council.id).await {
        Ok(_) => Ok(true),
        Err(AppError::Forbidden(_) | AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the user may read this council's meetings and minutes.
pub async fn may_read_records(
    state: &AppState,
    user: &CurrentUser,
    council: &Council,
) -> Result<bool> {
    match council_records_for(state, user, &council.id).await {
        Ok(_) => Ok(true),
        Err(AppError::Forbidden(_) | AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

use hamafza_store::stored_uuid as uuid_of;

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
            secretariat: uuid_of(&self.council.secretariat_agency_id),
            responsible: uuid_of(&self.resolution.responsible_agency_id),
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
                id: &self.resolution.id,
                state: self.resolution.state,
                parties: self.parties(),
                evidence_files: 0,
                reported_by: None,
            },
        )
    }
}

pub async fn resolution_for(state: &AppState, user: &CurrentUser, id: &str) -> Result<Visible> {
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
    id: &str,
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

/// List parameters, as the list page and `GET /api/v1/resolutions` take them.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// A council's code or id.
    pub council: Option<String>,
    /// An agency's code or id: responsible or collaborating.
    pub agency: Option<String>,
    pub state: Option<String>,
    /// A place's code or id: resolutions about it or anywhere under it.
    pub place: Option<String>,
    /// A Jalali period the resolution was decided in: `1404`, `1404Q2`, `1404-07`.
    pub period: Option<String>,
    pub overdue: Option<String>,
    pub stalled: Option<String>,
    /// Which page of the list (from 1), for the list page and the API.
    pub page: Option<usize>,
}

/// Lines per page of a resolution list (page and API).
pub const PAGE_SIZE: usize = 200;

impl ListParams {
    /// The slice of `rows` on the requested page, and the number of pages.
    pub fn page_of<'a, T>(&self, rows: &'a [T]) -> (&'a [T], usize, usize) {
        let pages = rows.len().div_ceil(PAGE_SIZE).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        let from = (page - 1) * PAGE_SIZE;
        (
            &rows[from.min(rows.len())..(from + PAGE_SIZE).min(rows.len())],
            page,
            pages,
        )
    }
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "1" | "on" | "yes"))
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    /// The store filter these parameters mean for this user (always limited to what the
    /// user may see).
    pub async fn filter(&self, state: &AppState, user: &CurrentUser) -> Result<ResolutionFilter> {
        let mut f = ResolutionFilter {
            overdue_only: flag(&self.overdue),
            stalled_only: flag(&self.stalled),
            ..ResolutionFilter::default()
        };
        if let Some(c) = given(&self.council) {
            f.council_id = Some(council_for(state, user, c).await?.id);
        }
        if let Some(a) = given(&self.agency) {
            let agencies = state.store.list_agencies().await?;
            let agency = agencies
                .iter()
                .find(|x| x.code == a || x.id == a)
                .ok_or_else(|| invalid("agency", "دستگاه پیدا نشد"))?;
            f.agency_id = Some(agency.id.clone());
        }
        if let Some(s) = given(&self.state) {
            f.state =
                Some(State::from_code(s).ok_or_else(|| invalid("state", "وضعیت نامعتبر است"))?);
        }
        if let Some(p) = given(&self.place) {
            let place = match state.store.place_by_code(p).await? {
                Some(place) => place,
                None => state
                    .store
                    .place_by_id(p)
                    .await
                    .map_err(|_| invalid("place", "مکان پیدا نشد"))?,
            };
            f.place_id = Some(place.id);
        }
        if let Some(p) = given(&self.period) {
            let period = Period::parse(p).map_err(|e| invalid("period", e.to_string()))?;
            f.decided_between = Some(period.gregorian_range());
        }
        Ok(f)
    }

    /// The same parameters as a query string, for links (export, next page).
    pub fn query_string(&self) -> String {
        let pairs = [
            ("council", &self.council),
            ("agency", &self.agency),
            ("state", &self.state),
            ("place", &self.place),
            ("period", &self.period),
            ("overdue", &self.overdue),
            ("stalled", &self.stalled),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", url_encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value (everything but unreserved ASCII).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An agency's id from its code or id.
pub async fn agency_id(state: &AppState, field: &'static str, key: &str) -> Result<String> {
    let key = key.trim();
    state
        .store
        .list_agencies()
        .await?
        .into_iter()
        .find(|a| a.code == key || a.id == key)
        .map(|a| a.id)
        .ok_or_else(|| invalid(field, format!("دستگاه «{key}» پیدا نشد")))
}

/// A place's id from its code or id.
pub async fn place_id(state: &AppState, key: &str) -> Result<String> {
    let key = key.trim();
    if let Some(p) = state.store.place_by_code(key).await? {
        return Ok(p.id);
    }
    state
        .store
        .place_by_id(key)
        .await
        .map(|p| p.id)
        .map_err(|_| invalid("places", format!("مکان «{key}» پیدا نشد")))
}

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
    let meeting_id = input.meeting_id.clone().filter(|m| !m.is_empty());
    let agenda_item_id = match (&meeting_id, input.agenda_item) {
        (Some(m), Some(position)) => Some(
            state
                .store
                .meeting(m)
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
) -> Result<String> {
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
            &council.id,
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
    id: &str,
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
            &v.resolution.id,
            input.percent,
            &input.body,
            &input.files,
            state.clock.today(),
        )
        .await?)
}

/// Reads a multipart form: its text fields and its files. Used by the update form and
/// `POST /api/v1/resolutions/{id}/updates`.
pub async fn read_multipart(
    mut form: axum::extract::Multipart,
) -> Result<(
    std::collections::HashMap<String, String>,
    Vec<hamafza_store::NewEvidence>,
)> {
    let mut fields = std::collections::HashMap::new();
    let mut files = Vec::new();
    let unreadable = |_| invalid("body", "فرم چندبخشی خوانده نشد");
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let media_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let content = field.bytes().await.map_err(unreadable)?.to_vec();
                // A file input left empty still sends a part with no name and no bytes.
                if !file_name.is_empty() || !content.is_empty() {
                    files.push(hamafza_store::NewEvidence {
                        file_name,
                        media_type,
                        content,
                    });
                }
            }
            None => {
                let text = field.text().await.map_err(unreadable)?;
                fields.insert(name, text);
            }
        }
    }
    Ok((fields, files))
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

/// The scorecard: each responsible agency's figures across the councils the user sees,
/// agencies with the most overdue first.
pub async fn scorecard(
    state: &AppState,
    user: &CurrentUser,
    today: time::Date,
) -> Result<Vec<(hamafza_store::Agency, hamafza_core::scorecard::Summary)>> {
    let rows = state
        .store
        .list_resolutions(&resolution_scope(user), &ResolutionFilter::default(), today)
        .await?;
    let mut by_agency: std::collections::HashMap<&str, Vec<hamafza_core::scorecard::Facts>> =
        std::collections::HashMap::new();
    for row in &rows {
        by_agency
            .entry(row.resolution.responsible_agency_id.as_str())
            .or_default()
            .push(row.facts());
    }
    let mut cards: Vec<_> = state
        .store
        .list_agencies()
        .await?
        .into_iter()
        .filter_map(|a| {
            let facts = by_agency.get(a.id.as_str())?;
            let s = hamafza_core::scorecard::Summary::of(facts, today);
            Some((a, s))
        })
        .collect();
    cards.sort_by(|a, b| {
        b.1.overdue
            .cmp(&a.1.overdue)
            .then(b.1.total.cmp(&a.1.total))
    });
    Ok(cards)
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

fn default_focus_limit() -> i64 {
    10
}

fn default_stall_days() -> i64 {
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
            id: uuid_of(&secretariat),
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
