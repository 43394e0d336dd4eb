//! What the resolution pages and the resolution API share: who may see and move what,
//! list parameters, and reading dates as people type them. Both front ends call these,
//! so a page and an API call cannot disagree on an access decision.

use hamafza_core::access::{DenyReason, Role};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::resolution::{self as rules, Parties, Party, State, Transition};
use hamafza_store::{Council, Resolution, ResolutionFilter, StoreError, Who};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, PageError};

/// Why a request about councils or resolutions was refused.
#[derive(Debug)]
pub enum Refusal {
    Store(StoreError),
    Deny(DenyReason),
    /// Not this user's move to make, with the rule's own Persian reason.
    Forbidden(String),
    /// Bad input, with the field at fault.
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Store(e) => e.into(),
            Refusal::Deny(d) => d.into(),
            Refusal::Forbidden(m) => ApiError::forbidden(m),
            Refusal::Invalid { field, message } => {
                ApiError::validation(message, serde_json::json!([{ "field": field }]))
            }
        }
    }
}

impl From<Refusal> for PageError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Store(e) => e.into(),
            Refusal::Deny(d) => d.into(),
            Refusal::Forbidden(m) => PageError::Forbidden(m),
            Refusal::Invalid { message, .. } => PageError::BadRequest(message),
        }
    }
}

impl Refusal {
    /// The Persian message to show beside a form, when the refusal is about the input.
    pub fn form_message(&self) -> Option<String> {
        match self {
            Refusal::Store(StoreError::Invalid(m) | StoreError::Conflict(m)) => Some(m.clone()),
            Refusal::Invalid { message, .. } => Some(message.clone()),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Refusal>;

fn invalid(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        message: message.into(),
    }
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

/// The agency whose view a user has; `None` for a system administrator, who sees all.
pub fn visible_to(user: &CurrentUser) -> Option<String> {
    (!user.actor.has(Role::SystemAdmin)).then(|| user.actor.agency_id.to_string())
}

/// A council by id or code, if the user may see it (else "not found", which does not
/// tell outsiders that it exists).
pub async fn council_for(state: &AppState, user: &CurrentUser, key: &str) -> Result<Council> {
    let council = match state.store.council_by_code(key).await? {
        Some(c) => c,
        None if Uuid::parse_str(key).is_ok() => state.store.council(key).await?,
        None => return Err(StoreError::NotFound.into()),
    };
    let visible = match visible_to(user) {
        None => true,
        Some(agency) => state.store.council_visible_to(&council.id, &agency).await?,
    };
    if visible {
        Ok(council)
    } else {
        Err(StoreError::NotFound.into())
    }
}

/// A council the user may run (record meetings, minutes and resolutions for).
pub async fn council_to_run(state: &AppState, user: &CurrentUser, key: &str) -> Result<Council> {
    let council = council_for(state, user, key).await?;
    let secretariat = Uuid::parse_str(&council.secretariat_agency_id).unwrap_or_default();
    if rules::can_run_council(&user.actor, secretariat) {
        Ok(council)
    } else {
        Err(Refusal::Deny(DenyReason::Role))
    }
}

/// A resolution the user may see, its council, and the part the user's agency plays.
pub async fn resolution_for(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Resolution, Council, Party)> {
    let r = state.store.resolution(id).await?;
    let (council, collaborators, members) = state.store.resolution_parties(&r).await?;
    let uuid = |s: &str| Uuid::parse_str(s).unwrap_or_default();
    let parties = Parties {
        secretariat: uuid(&council.secretariat_agency_id),
        responsible: uuid(&r.responsible_agency_id),
        collaborators: &collaborators,
        council_members: &members,
    };
    if !rules::can_view(&user.actor, &parties) {
        return Err(StoreError::NotFound.into());
    }
    let party = rules::party_of(user.actor.agency_id, &parties);
    Ok((r, council, party))
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

impl MoveIn {
    fn transition(&self) -> Transition {
        let reason = self.reason.clone().unwrap_or_default();
        match self.action.as_str() {
            "assign" => Transition::Assign,
            "start" => Transition::Start,
            "report_done" => Transition::ReportDone { evidence_files: 0 },
            "verify" => Transition::Verify,
            "send_back" => Transition::SendBack { reason },
            "cancel" => Transition::Cancel { reason },
            "close" => Transition::CloseWithoutResult { reason },
            "reopen" => Transition::Reopen { reason },
            _ => Transition::MergeInto {
                other: self.into.clone().unwrap_or_default(),
            },
        }
    }
}

/// The moves the buttons offer, with their Persian labels and whether they need a reason.
pub const MOVES: [(&str, &str, Party, bool); 9] = [
    ("assign", "ابلاغ به دستگاه مسئول", Party::Secretariat, false),
    ("start", "شروع اقدام", Party::Responsible, false),
    ("report_done", "اعلام انجام", Party::Responsible, false),
    ("verify", "تأیید انجام", Party::Secretariat, false),
    ("send_back", "بازگرداندن", Party::Secretariat, true),
    ("close", "بستن بدون نتیجه", Party::Secretariat, true),
    ("cancel", "لغو", Party::Secretariat, true),
    ("reopen", "بازگشایی", Party::Secretariat, true),
    ("merge", "ادغام در مصوبهٔ دیگر", Party::Secretariat, false),
];

/// The part the user's agency plays in a move that is `by`'s to make: a secretariat that
/// is also the responsible agency makes the responsible agency's moves as such.
fn acting_party(user: &CurrentUser, r: &Resolution, party: Party, by: Party) -> Party {
    if by == Party::Responsible && r.responsible_agency_id == user.actor.agency_id.to_string() {
        Party::Responsible
    } else {
        party
    }
}

/// The moves open to this user on this resolution now.
pub fn moves_for(
    user: &CurrentUser,
    r: &Resolution,
    party: Party,
) -> Vec<(&'static str, &'static str, bool)> {
    MOVES
        .iter()
        .filter(|(_, _, by, _)| {
            let acting = acting_party(user, r, party, *by);
            acting == *by && rules::can_act(&user.actor, acting)
        })
        .filter(|(action, ..)| {
            // Ask the state machine with a stand-in reason and evidence: the button shows
            // when the move is possible at all; the real request is checked again.
            let t = match (MoveIn {
                action: (*action).into(),
                reason: Some("-".into()),
                into: Some("-".into()),
            })
            .transition()
            {
                Transition::ReportDone { .. } => Transition::ReportDone { evidence_files: 1 },
                t => t,
            };
            rules::apply(&r.id, r.state, &t, party).is_ok()
        })
        .map(|(a, l, _, reason)| (*a, *l, *reason))
        .collect()
}

/// Moves a resolution for the user's agency, after checking they may.
pub async fn move_resolution(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    m: &MoveIn,
) -> Result<Resolution> {
    if !MOVES.iter().any(|(a, ..)| *a == m.action) {
        return Err(invalid("action", "کار خواسته‌شده را نمی‌شناسم"));
    }
    let (r, _, party) = resolution_for(state, user, id).await?;
    let mut t = m.transition();
    let by = match t {
        Transition::Start | Transition::ReportDone { .. } => Party::Responsible,
        _ => Party::Secretariat,
    };
    let acting = acting_party(user, &r, party, by);
    if acting != by {
        // The state machine words the refusal ("only the council's secretariat …").
        let why = rules::apply(&r.id, r.state, &t, acting)
            .err()
            .map(|e| e.to_string());
        return Err(Refusal::Forbidden(why.unwrap_or_default()));
    }
    if !rules::can_act(&user.actor, acting) {
        return Err(Refusal::Deny(DenyReason::Role));
    }
    if let Transition::MergeInto { other } = &mut t {
        *other = merge_target(state, &r, other).await?;
    }
    let today = state.clock.today();
    Ok(state
        .store
        .transition_resolution(
            &Who::of(&user.actor),
            user.actor.agency_id,
            &r.id,
            &t,
            today,
        )
        .await?)
}

/// The resolution named by a number of the same council («۱۴۰۴/۳») or by its id.
async fn merge_target(state: &AppState, r: &Resolution, key: &str) -> Result<String> {
    if let Some(n) = rules::Number::parse(key) {
        let all = state.store.council_resolutions(&r.council_id).await?;
        return all
            .into_iter()
            .find(|x| x.number == n)
            .map(|x| x.id)
            .ok_or_else(|| invalid("into", "مصوبه‌ای با این شماره در این شورا نیست"));
    }
    if key.trim().is_empty() {
        return Err(invalid("into", "شمارهٔ مصوبهٔ مقصد را بنویسید"));
    }
    Ok(key.trim().to_string())
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
            visible_to_agency: visible_to(user),
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
                    .get_place(&hamafza_core::access::Scope::All, p)
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
        .get_place(&hamafza_core::access::Scope::All, key)
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
    let (r, _, _) = resolution_for(state, user, id).await?;
    let agency = user.actor.agency_id.to_string();
    if r.responsible_agency_id != agency && !r.collaborators.contains(&agency) {
        return Err(Refusal::Deny(DenyReason::Agency));
    }
    if !rules::can_act(&user.actor, Party::Responsible) {
        return Err(Refusal::Deny(DenyReason::Role));
    }
    Ok(state
        .store
        .add_resolution_update(
            &Who::of(&user.actor),
            &user.user.id,
            user.actor.agency_id,
            &r.id,
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
    let filter = ResolutionFilter {
        visible_to_agency: visible_to(user),
        ..ResolutionFilter::default()
    };
    let rows = state.store.list_resolutions(&filter, today).await?;
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
    let may = user.actor.has(Role::SystemAdmin)
        || (user.actor.has(Role::AgencyAdmin) && user.actor.agency_id.to_string() == secretariat);
    if !may {
        return Err(Refusal::Deny(DenyReason::Role));
    }
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
