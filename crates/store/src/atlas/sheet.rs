//! Checking atlas files before anything is written: indicator values (place code,
//! period, value) and events (category, time, longitude, latitude, note). Every bad row
//! is reported with its row number, column and reason; a file with any bad row writes
//! nothing.

use hamafza_core::access::Scope;
use hamafza_core::ids::AgencyId;
use std::collections::{HashMap, HashSet};

use hamafza_core::jalali::Period;
use hamafza_core::jalali::parse_instant as parse_time;
use hamafza_core::numbers::parse_number;
use hamafza_core::text::search_key;

use super::{NewEvent, ValueIn};
use crate::resolutions::sheet::RowProblem;
use crate::{Form, Rule, Store, StoreResult};

/// A table as read from a file: row number and header → cell text.
pub type Table = [(usize, HashMap<String, String>)];

/// Finds a column by any of its names (Persian or English), ignoring letter forms and case.
struct Columns(HashMap<String, String>);

impl Columns {
    fn of(table: &Table) -> Columns {
        let mut map = HashMap::new();
        for (_, row) in table.iter().take(1) {
            for header in row.keys() {
                map.insert(search_key(header), header.clone());
            }
        }
        Columns(map)
    }

    fn find(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .find_map(|n| self.0.get(&search_key(n)).cloned())
    }
}

const PLACE: &[&str] = &["کد مکان", "place_code", "place"];
const PERIOD: &[&str] = &["دوره", "period"];
const VALUE: &[&str] = &["مقدار", "value"];

/// Checks rows of `place code, period, value`.
pub async fn plan_values(
    store: &Store,
    table: &Table,
) -> StoreResult<Result<Vec<ValueIn>, Vec<RowProblem>>> {
    let cols = Columns::of(table);
    let mut problems = Vec::new();
    let (Some(place_col), Some(period_col), Some(value_col)) =
        (cols.find(PLACE), cols.find(PERIOD), cols.find(VALUE))
    else {
        problems.push(RowProblem {
            row: 1,
            column: None,
            rule: Rule::MissingColumns(vec![PLACE[0], PERIOD[0], VALUE[0]]),
        });
        return Ok(Err(problems));
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (row, cells) in table {
        let cell = |c: &str| cells.get(c).map_or("", |s| s.trim());
        let code = cell(&place_col);
        let place = if code.is_empty() {
            problems.push(RowProblem {
                row: *row,
                column: Some(PLACE[0]),
                rule: Rule::Required,
            });
            None
        } else {
            match store.place_by_code(code).await? {
                Some(p) => Some(p),
                None => {
                    problems.push(RowProblem {
                        row: *row,
                        column: Some(PLACE[0]),
                        rule: Rule::Unknown(code.chars().take(40).collect()),
                    });
                    None
                }
            }
        };
        let period = match Period::parse(cell(&period_col)) {
            Ok(p) => Some(p),
            Err(_) => {
                problems.push(RowProblem {
                    row: *row,
                    column: Some(PERIOD[0]),
                    rule: Rule::Malformed(Form::Period),
                });
                None
            }
        };
        let value = match parse_number(cell(&value_col)) {
            Some(v) => Some(v),
            None => {
                problems.push(RowProblem {
                    row: *row,
                    column: Some(VALUE[0]),
                    rule: Rule::Malformed(Form::Number),
                });
                None
            }
        };
        if let (Some(place), Some(period), Some(value)) = (place, period, value) {
            if !seen.insert((place.id, period.code())) {
                problems.push(RowProblem {
                    row: *row,
                    column: Some(PERIOD[0]),
                    rule: Rule::Repeated(format!("{} {}", place.code, period.code())),
                });
                continue;
            }
            out.push(ValueIn {
                place_id: place.id,
                period,
                value,
            });
        }
    }
    Ok(if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    })
}

const CATEGORY: &[&str] = &["دسته", "category"];
const TIME: &[&str] = &["زمان", "occurred_at", "time"];
const LON: &[&str] = &["طول جغرافیایی", "طول", "lon", "longitude"];
const LAT: &[&str] = &["عرض جغرافیایی", "عرض", "lat", "latitude"];
const NOTE: &[&str] = &["یادداشت", "note"];

/// Checks rows of events; `agency_id` is the uploader's agency (the events' source).
pub async fn plan_events(
    store: &Store,
    table: &Table,
    agency_id: AgencyId,
) -> StoreResult<Result<Vec<NewEvent>, Vec<RowProblem>>> {
    let cols = Columns::of(table);
    let mut problems = Vec::new();
    let (Some(cat_col), Some(time_col), Some(lon_col), Some(lat_col)) = (
        cols.find(CATEGORY),
        cols.find(TIME),
        cols.find(LON),
        cols.find(LAT),
    ) else {
        problems.push(RowProblem {
            row: 1,
            column: None,
            rule: Rule::MissingColumns(vec![CATEGORY[0], TIME[0], LON[0], LAT[0]]),
        });
        return Ok(Err(problems));
    };
    let note_col = cols.find(NOTE);
    let categories = store.event_categories(&Scope::reference_lists()).await?;
    let mut out = Vec::new();
    for (row, cells) in table {
        let cell = |c: &str| cells.get(c).map_or("", |s| s.trim());
        let wanted = cell(&cat_col);
        let category = categories
            .iter()
            .filter(|c| c.active != 0)
            .find(|c| c.code == wanted || search_key(&c.name_fa) == search_key(wanted))
            .map(|c| c.code.clone());
        if category.is_none() {
            problems.push(RowProblem {
                row: *row,
                column: Some(CATEGORY[0]),
                rule: Rule::Unknown(wanted.chars().take(40).collect()),
            });
        }
        let at = parse_time(cell(&time_col));
        if at.is_none() {
            problems.push(RowProblem {
                row: *row,
                column: Some(TIME[0]),
                rule: Rule::Malformed(Form::Time),
            });
        }
        let lon = parse_number(cell(&lon_col)).filter(|v| (-180.0..=180.0).contains(v));
        if lon.is_none() {
            problems.push(RowProblem {
                row: *row,
                column: Some(LON[0]),
                rule: Rule::Malformed(Form::Longitude),
            });
        }
        let lat = parse_number(cell(&lat_col)).filter(|v| (-90.0..=90.0).contains(v));
        if lat.is_none() {
            problems.push(RowProblem {
                row: *row,
                column: Some(LAT[0]),
                rule: Rule::Malformed(Form::Latitude),
            });
        }
        if let (Some(category), Some(occurred_at), Some(lon), Some(lat)) = (category, at, lon, lat)
        {
            out.push(NewEvent {
                category,
                occurred_at,
                lon,
                lat,
                agency_id,
                note: note_col
                    .as_deref()
                    .map(cell)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            });
        }
    }
    Ok(if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    })
}
