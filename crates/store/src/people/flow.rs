//! Inflow and outflow per month in a district, as Built for Zero counts a by-name list:
//! people newly identified (their first encounter), people returned from inactive (seen
//! again after a case closed for lost contact), people moved on (a case closed to
//! housing, a centre or their family) and people gone inactive (a case closed for lost
//! contact). Counts only; the caller applies the small-number rule.

use std::collections::{BTreeMap, HashMap};

use hamafza_core::ids::PersonId;
use hamafza_core::people::ClosureReason;
use serde::Serialize;
use sqlx::Row;

use crate::atlas::jalali_month;
use crate::{Store, StoreResult, like_escape, parse_instant};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlowMonth {
    pub month: String,
    pub newly_identified: i64,
    pub returned: i64,
    pub moved_on: i64,
    pub inactive: i64,
}

impl Store {
    /// The monthly flow of the people met within `path` (a district's materialised
    /// path), oldest month first. The caller decides who may see it (aggregates).
    pub async fn flow_by_month(&self, path: &str) -> StoreResult<Vec<FlowMonth>> {
        let under = format!("{}%", like_escape(path));
        let encounters = sqlx::query(
            "SELECT person_id, occurred_at, month FROM encounters
             WHERE person_id IS NOT NULL AND place_path LIKE $1 ESCAPE '\\' ORDER BY occurred_at",
        )
        .bind(&under)
        .fetch_all(&self.pool)
        .await?;
        let closures = sqlx::query(
            "SELECT c.person_id, e.at, e.outcome FROM case_entries e JOIN cases c ON c.id = e.case_id
             JOIN persons p ON p.id = c.person_id
             WHERE e.kind = 'closed' AND p.met_path LIKE $1 ESCAPE '\\' ORDER BY e.at",
        )
        .bind(&under)
        .fetch_all(&self.pool)
        .await?;
        let mut months: BTreeMap<String, FlowMonth> = BTreeMap::new();
        fn entry<'a>(months: &'a mut BTreeMap<String, FlowMonth>, m: &str) -> &'a mut FlowMonth {
            months.entry(m.to_string()).or_insert_with(|| FlowMonth {
                month: m.to_string(),
                ..FlowMonth::default()
            })
        }
        // Closures, and when each person last went inactive.
        let mut went_inactive: HashMap<PersonId, Vec<String>> = HashMap::new();
        for r in &closures {
            let person: PersonId = r.try_get("person_id")?;
            let at: String = r.try_get("at")?;
            let outcome: Option<String> = r.try_get("outcome")?;
            let Some(month) = parse_instant(&at).map(jalali_month) else {
                continue;
            };
            match outcome.as_deref().and_then(ClosureReason::from_code) {
                Some(ClosureReason::LostContact) => {
                    entry(&mut months, &month).inactive += 1;
                    went_inactive.entry(person).or_default().push(at);
                }
                Some(
                    ClosureReason::Housed
                    | ClosureReason::PlacedInCentre
                    | ClosureReason::ReturnedToFamily,
                ) => entry(&mut months, &month).moved_on += 1,
                _ => {}
            }
        }
        let mut seen: HashMap<PersonId, String> = HashMap::new();
        for r in &encounters {
            let person: PersonId = r.try_get("person_id")?;
            let at: String = r.try_get("occurred_at")?;
            let month: String = r.try_get("month")?;
            match seen.get(&person) {
                None => entry(&mut months, &month).newly_identified += 1,
                Some(last) => {
                    let back = went_inactive
                        .get(&person)
                        .is_some_and(|times| times.iter().any(|t| t > last && *t < at));
                    if back {
                        entry(&mut months, &month).returned += 1;
                    }
                }
            }
            seen.insert(person, at);
        }
        Ok(months.into_values().collect())
    }
}
