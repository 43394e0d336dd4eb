//! Resolutions as a table, the way councils keep them in Excel today: one row per
//! resolution, Persian headers, Jalali dates, agencies and places by code. Export fills
//! the rows; import checks every row before writing any (all or nothing) and names the
//! row and column at fault.
//!
//! Reading and writing the file formats (XLSX, CSV) is `hamafza-report`'s job; this module
//! only knows rows of text.

use hamafza_core::access::Scope;
use hamafza_core::ids::{AgencyId, PlaceId, ResolutionId};
use std::collections::{HashMap, HashSet};

use hamafza_core::digits;
use hamafza_core::jalali::JalaliDate;
use hamafza_core::resolutions::{Number, State};
use hamafza_core::text::search_key;

use crate::audit::Who;
use crate::error::constraint_error;
use crate::resolutions::ResolutionRow;
use crate::resolutions::{iso, parse_iso, text_ok};
use crate::{Council, Form, Rule, Store, StoreError, StoreResult, new_id, now_text};

/// The columns, in order, with their Persian headers. Columns marked `read_only` are
/// exported for people to read and ignored on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Number,
    Body,
    ResponsibleCode,
    ResponsibleName,
    CollaboratorCodes,
    PlaceCodes,
    DecidedOn,
    Deadline,
    Priority,
    InFocus,
    Topic,
    ExpectedResult,
    State,
    StateReason,
    LatestUpdate,
}

impl Column {
    pub const ALL: [Column; 15] = [
        Column::Number,
        Column::Body,
        Column::ResponsibleCode,
        Column::ResponsibleName,
        Column::CollaboratorCodes,
        Column::PlaceCodes,
        Column::DecidedOn,
        Column::Deadline,
        Column::Priority,
        Column::InFocus,
        Column::Topic,
        Column::ExpectedResult,
        Column::State,
        Column::StateReason,
        Column::LatestUpdate,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Column::Number => "شماره",
            Column::Body => "متن مصوبه",
            Column::ResponsibleCode => "کد دستگاه مسئول",
            Column::ResponsibleName => "دستگاه مسئول",
            Column::CollaboratorCodes => "کد دستگاه‌های همکار",
            Column::PlaceCodes => "کد مکان‌ها",
            Column::DecidedOn => "تاریخ تصویب",
            Column::Deadline => "مهلت",
            Column::Priority => "اولویت",
            Column::InFocus => "در کانون توجه",
            Column::Topic => "موضوع",
            Column::ExpectedResult => "نتیجهٔ مورد انتظار",
            Column::State => "وضعیت",
            Column::StateReason => "دلیل وضعیت",
            Column::LatestUpdate => "آخرین گزارش",
        }
    }

    /// Exported for reading only; not read back.
    pub fn read_only(self) -> bool {
        matches!(self, Column::ResponsibleName | Column::LatestUpdate)
    }

    /// The column a header names, forgiving Arabic letter forms, ZWNJ and spacing.
    pub fn from_header(h: &str) -> Option<Column> {
        let key = search_key(h);
        Column::ALL
            .into_iter()
            .find(|c| search_key(c.header()) == key)
    }
}

/// One row: the text of each column.
pub type SheetRow = HashMap<Column, String>;

/// One bad row and why; `row` counts the header as row 1, as a spreadsheet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    /// The column's header, as the file has it.
    pub column: Option<&'static str>,
    pub rule: Rule,
}

/// A checked row, ready to write.
#[derive(Debug, Clone)]
pub struct PlannedResolution {
    pub number: Number,
    pub body: String,
    pub responsible_agency_id: AgencyId,
    pub collaborators: Vec<AgencyId>,
    pub places: Vec<PlaceId>,
    pub decided_on: Option<time::Date>,
    pub deadline: Option<time::Date>,
    pub priority: i64,
    pub in_focus: bool,
    pub topic: String,
    pub expected_result: Option<String>,
    pub state: State,
    pub state_reason: Option<String>,
}

fn jalali_text(iso_day: Option<&str>) -> String {
    iso_day
        .and_then(parse_iso)
        .map(|d| JalaliDate::from_gregorian(d).format_numeric())
        .unwrap_or_default()
}

/// The rows of a resolution list, for export.
pub async fn export_rows(store: &Store, rows: &[ResolutionRow]) -> StoreResult<Vec<SheetRow>> {
    let agencies: HashMap<AgencyId, (String, String)> = store
        .list_agencies(&Scope::reference_lists())
        .await?
        .into_iter()
        .map(|a| (a.id, (a.code, a.name_fa)))
        .collect();
    let code = |id: &AgencyId| agencies.get(id).map(|a| a.0.clone()).unwrap_or_default();
    // Place codes of every listed resolution, a few hundred ids per query.
    let mut places_of: HashMap<ResolutionId, Vec<String>> = HashMap::new();
    for chunk in rows.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(|r| r.resolution.id.to_string()).collect();
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let found = crate::query_with(
            format!(
                "SELECT rp.resolution_id, p.code FROM resolution_places rp JOIN places p ON p.id = rp.place_id
                 WHERE rp.resolution_id IN ({}) ORDER BY p.code",
                marks.join(", ")
            ),
            &ids,
        )
        .fetch_all(&store.pool)
        .await?;
        for f in &found {
            places_of
                .entry(sqlx::Row::try_get(f, "resolution_id")?)
                .or_default()
                .push(sqlx::Row::try_get(f, "code")?);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let r = &row.resolution;
        let places = places_of.remove(&r.id).unwrap_or_default();
        let latest = row
            .latest
            .as_ref()
            .map(|u| {
                format!(
                    "{} — {}٪ — {}",
                    jalali_text(Some(&u.on_date)),
                    digits::to_persian(&u.percent.to_string()),
                    u.body
                )
            })
            .unwrap_or_default();
        let cells = [
            (Column::Number, r.number.to_persian()),
            (Column::Body, r.body.clone()),
            (Column::ResponsibleCode, code(&r.responsible_agency_id)),
            (
                Column::ResponsibleName,
                agencies
                    .get(&r.responsible_agency_id)
                    .map(|a| a.1.clone())
                    .unwrap_or_default(),
            ),
            (
                Column::CollaboratorCodes,
                r.collaborators
                    .iter()
                    .map(&code)
                    .collect::<Vec<_>>()
                    .join("، "),
            ),
            (Column::PlaceCodes, places.join("، ")),
            (Column::DecidedOn, jalali_text(r.decided_on.as_deref())),
            (Column::Deadline, jalali_text(r.deadline.as_deref())),
            (
                Column::Priority,
                digits::to_persian(&r.priority.to_string()),
            ),
            (
                Column::InFocus,
                if r.in_focus { "بله" } else { "خیر" }.to_string(),
            ),
            (Column::Topic, r.topic.clone()),
            (
                Column::ExpectedResult,
                r.expected_result.clone().unwrap_or_default(),
            ),
            (Column::State, r.state.name_fa().to_string()),
            (
                Column::StateReason,
                r.state_reason.clone().unwrap_or_default(),
            ),
            (Column::LatestUpdate, latest),
        ];
        out.push(cells.into_iter().collect());
    }
    Ok(out)
}

/// Codes in a cell, separated by Persian or Latin commas, semicolons or new lines.
fn codes(cell: &str) -> Vec<String> {
    cell.split([',', '،', ';', '؛', '\n'])
        .map(|s| digits::to_ascii(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

fn state_of(cell: &str) -> Option<State> {
    let key = search_key(cell);
    State::ALL
        .into_iter()
        .find(|s| s.code() == cell.trim() || search_key(s.name_fa()) == key)
}

/// Checks every row for an import into `council` and returns what to write, or every
/// problem found. `rows` are numbered as the spreadsheet shows them.
pub async fn plan_import(
    store: &Store,
    council: &Council,
    rows: &[(usize, SheetRow)],
) -> StoreResult<Result<Vec<PlannedResolution>, Vec<RowProblem>>> {
    let agencies: HashMap<String, AgencyId> = store
        .list_agencies(&Scope::reference_lists())
        .await?
        .into_iter()
        .map(|a| (a.code, a.id))
        .collect();
    let taken: HashSet<(i64, i64)> =
        sqlx::query_as::<_, (i64, i64)>("SELECT year, seq FROM resolutions WHERE council_id = $1")
            .bind(council.id)
            .fetch_all(&store.pool)
            .await?
            .into_iter()
            .collect();
    let mut place_ids: HashMap<String, Option<PlaceId>> = HashMap::new();
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut seen = HashSet::new();
    let mut in_focus = 0_i64;
    if rows.is_empty() {
        problems.push(RowProblem {
            row: 1,
            column: None,
            rule: Rule::NoRows,
        });
    }
    for (row, cells) in rows {
        let row = *row;
        let before = problems.len();
        let mut bad = |column: Column, rule: Rule| {
            problems.push(RowProblem {
                row,
                column: Some(column.header()),
                rule,
            });
        };
        let cell = |c: Column| {
            cells
                .get(&c)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let number = Number::parse(&cell(Column::Number));
        match number {
            None => bad(Column::Number, Rule::Malformed(Form::ResolutionNumber)),
            Some(n) => {
                if !seen.insert(n) {
                    bad(
                        Column::Number,
                        Rule::Repeated(format!("{}/{}", n.year, n.seq)),
                    );
                } else if taken.contains(&(i64::from(n.year), i64::from(n.seq))) {
                    bad(Column::Number, Rule::Taken(format!("{}/{}", n.year, n.seq)));
                }
            }
        }
        let body = cell(Column::Body);
        if let Err(StoreError::Invalid { rule, .. }) = text_ok("body", &body, true) {
            bad(Column::Body, rule);
        }
        for (c, v) in [
            (Column::Topic, cell(Column::Topic)),
            (Column::ExpectedResult, cell(Column::ExpectedResult)),
            (Column::StateReason, cell(Column::StateReason)),
        ] {
            if let Err(StoreError::Invalid { rule, .. }) = text_ok("", &v, false) {
                bad(c, rule);
            }
        }
        let responsible = agencies.get(&cell(Column::ResponsibleCode)).copied();
        if responsible.is_none() {
            bad(
                Column::ResponsibleCode,
                Rule::Unknown(cell(Column::ResponsibleCode)),
            );
        }
        let mut collaborators = Vec::new();
        for c in codes(&cell(Column::CollaboratorCodes)) {
            match agencies.get(&c) {
                Some(id) if Some(id) == responsible.as_ref() => {
                    bad(Column::CollaboratorCodes, Rule::ResponsibleAsCollaborator);
                }
                Some(id) if collaborators.contains(id) => {
                    bad(Column::CollaboratorCodes, Rule::Repeated(c));
                }
                Some(id) => collaborators.push(*id),
                None => bad(Column::CollaboratorCodes, Rule::Unknown(c)),
            }
        }
        let mut places = Vec::new();
        for c in codes(&cell(Column::PlaceCodes)) {
            if !place_ids.contains_key(&c) {
                let id = store.place_by_code(&c).await?.map(|p| p.id);
                place_ids.insert(c.clone(), id);
            }
            match place_ids.get(&c).copied().flatten() {
                Some(id) if places.contains(&id) => {
                    bad(Column::PlaceCodes, Rule::Repeated(c));
                }
                Some(id) => places.push(id),
                None => bad(Column::PlaceCodes, Rule::Unknown(c)),
            }
        }
        let mut day = |c: Column| -> Option<time::Date> {
            let text = cell(c);
            if text.is_empty() {
                return None;
            }
            match JalaliDate::parse(&text) {
                Ok(d) => Some(d.to_gregorian()),
                Err(e) => {
                    bad(c, Rule::Date(e));
                    None
                }
            }
        };
        let decided_on = day(Column::DecidedOn);
        let deadline = day(Column::Deadline);
        let priority_text = digits::to_ascii(&cell(Column::Priority));
        let priority = if priority_text.is_empty() {
            Some(2)
        } else {
            priority_text
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=3).contains(p))
        };
        if priority.is_none() {
            bad(Column::Priority, Rule::Between { min: 1, max: 3 });
        }
        let focus = match search_key(&cell(Column::InFocus)).as_str() {
            "" | "خیر" | "نه" | "0" | "false" => Some(false),
            "بله" | "آری" | "1" | "true" => Some(true),
            _ => None,
        };
        if focus.is_none() {
            bad(Column::InFocus, Rule::Malformed(Form::YesNo));
        }
        let state = state_of(&cell(Column::State))
            .or(cell(Column::State).is_empty().then_some(State::Draft));
        if state.is_none() {
            bad(Column::State, Rule::Unknown(cell(Column::State)));
        }
        if state.is_some_and(hamafza_core::resolutions::State::is_open) && focus == Some(true) {
            in_focus += 1;
        }
        if problems.len() > before {
            continue;
        }
        let (Some(number), Some(responsible), Some(priority), Some(focus), Some(state)) =
            (number, responsible, priority, focus, state)
        else {
            continue;
        };
        let optional = |c: Column| Some(cell(c)).filter(|s| !s.is_empty());
        planned.push(PlannedResolution {
            number,
            body,
            responsible_agency_id: responsible,
            collaborators,
            places,
            decided_on,
            deadline,
            priority,
            in_focus: focus,
            topic: cell(Column::Topic),
            expected_result: optional(Column::ExpectedResult),
            state,
            state_reason: optional(Column::StateReason),
        });
    }
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM resolutions WHERE council_id = $1 AND in_focus = 1 AND state IN ('assigned', 'in_progress', 'reported_done')",
    )
    .bind(council.id)
    .fetch_one(&store.pool)
    .await?;
    if problems.is_empty() && already + in_focus > council.focus_limit {
        problems.push(RowProblem {
            row: 1,
            column: Some(Column::InFocus.header()),
            rule: Rule::FocusFullInFile {
                limit: usize::try_from(council.focus_limit).unwrap_or(0),
                in_file: usize::try_from(in_focus).unwrap_or(0),
                already: usize::try_from(already).unwrap_or(0),
            },
        });
    }
    Ok(if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    })
}

impl Store {
    /// Writes checked resolutions into a council in one transaction, with their numbers
    /// and states as recorded, a history line and an audit entry each.
    pub async fn import_resolutions(
        &self,
        who: &Who,
        council: &Council,
        planned: &[PlannedResolution],
        today: time::Date,
    ) -> StoreResult<usize> {
        let mut w = self.write_tx().await?;
        for p in planned {
            let id = ResolutionId::new();
            let decided = p.decided_on.unwrap_or(today);
            let started = !matches!(p.state, State::Draft);
            sqlx::query(
                "INSERT INTO resolutions (id, council_id, year, seq, body, responsible_agency_id, deadline, priority, in_focus, topic, expected_result, state, state_reason, last_activity_on, assigned_on, verified_on, created_at, decided_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(id)
            .bind(council.id)
            .bind(i64::from(p.number.year))
            .bind(i64::from(p.number.seq))
            .bind(&p.body)
            .bind(p.responsible_agency_id)
            .bind(p.deadline.map(iso))
            .bind(p.priority)
            .bind(i64::from(p.in_focus))
            .bind(&p.topic)
            .bind(&p.expected_result)
            .bind(p.state.code())
            .bind(&p.state_reason)
            .bind(iso(today))
            .bind(started.then(|| iso(decided)))
            .bind((p.state == State::Verified).then(|| iso(today)))
            .bind(now_text())
            .bind(iso(decided))
            .execute(&mut *w.tx)
            .await
            .map_err(|e| constraint_error(e, "number", "", "responsible_agency_id"))?;
            for agency in &p.collaborators {
                sqlx::query(
                    "INSERT INTO resolution_agencies (resolution_id, agency_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(agency)
                .execute(&mut *w.tx)
                .await?;
            }
            for place in &p.places {
                sqlx::query(
                    "INSERT INTO resolution_places (resolution_id, place_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(place)
                .execute(&mut *w.tx)
                .await?;
            }
            sqlx::query("INSERT INTO resolution_history (id, resolution_id, at, on_date, user_id, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)")
                .bind(new_id())
                .bind(id)
                .bind(now_text())
                .bind(iso(today))
                .bind(who.user_id.map(|u| u.to_string()))
                .bind(p.state.code())
                .bind("ورود از پرونده")
                .execute(&mut *w.tx)
                .await?;
            w.audit(
                who,
                "resolution.import",
                "resolution",
                &id,
                serde_json::json!({"after": {"council_id": council.id, "number": p.number.to_string(), "state": p.state.code()}}),
            )
            .await?;
        }
        w.commit().await?;
        Ok(planned.len())
    }
}
