//! Planning a place import: every feature is checked before anything is written, and
//! every problem is reported with the feature's number and code.

use std::collections::{HashMap, HashSet};

use hamafza_core::place::{PlaceLevel, child_path};
use hamafza_geo::containment::{ContainmentIndex, inside_point};
use hamafza_geo::{FeatureIn, area_km2, geometry_to_geojson};

use hamafza_core::ids::PlaceId;

use crate::{Form, NewPlace, Place, Rule, Store, StoreResult};

/// One bad feature and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// 1-based position in the file.
    pub feature: usize,
    pub code: Option<String>,
    /// The property at fault (`code`, `name_fa`, `parent_code`, …).
    pub field: &'static str,
    pub rule: Rule,
}

/// Longest name accepted, in characters.
const MAX_NAME: usize = 200;

/// Checks every feature and returns the places to write, or every problem found.
///
/// A feature's parent is, in order: its `parent_code` property, the `--parent` code
/// given for the whole file, or the deepest existing place of a higher level whose
/// boundary contains the feature.
pub async fn plan_places(
    store: &Store,
    features: &[FeatureIn],
    level: PlaceLevel,
    default_parent: Option<&str>,
) -> StoreResult<Result<Vec<NewPlace>, Vec<ImportProblem>>> {
    let existing = store.existing_place_codes().await?;
    let mut parents_by_code: HashMap<String, Option<Place>> = HashMap::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut planned = Vec::new();
    let mut index: Option<ContainmentIndex<Place>> = None;

    for f in features {
        let code = f.text("code");
        let mut bad = |field: &'static str, rule: Rule| {
            problems.push(ImportProblem {
                feature: f.number,
                code: code.clone(),
                field,
                rule,
            });
        };
        let Some(code_value) = code.clone() else {
            bad("code", Rule::Required);
            continue;
        };
        if !hamafza_core::agency::valid_code(&code_value) {
            bad("code", Rule::Malformed(Form::Code));
            continue;
        }
        if !seen.insert(code_value.clone()) {
            bad("code", Rule::Repeated(code_value.clone()));
        } else if existing.contains(&code_value) {
            bad("code", Rule::Taken(code_value.clone()));
        }
        let name_fa = f.text("name_fa").or_else(|| f.text("name"));
        match &name_fa {
            None => bad("name_fa", Rule::Required),
            Some(n) if n.chars().count() > MAX_NAME => {
                bad("name_fa", Rule::TooLong { max: MAX_NAME });
            }
            _ => {}
        }
        let name_en = f.text("name_en");
        if name_en
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME)
        {
            bad("name_en", Rule::TooLong { max: MAX_NAME });
        }
        let population = match f.properties.get("population") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v.as_i64().filter(|n| *n >= 0) {
                Some(n) => Some(n),
                None => {
                    bad("population", Rule::Malformed(Form::Count));
                    None
                }
            },
        };
        let geometry = match &f.geometry {
            Ok(g) => Some(g),
            Err(e) => {
                bad("geometry", Rule::Geometry(e.clone()));
                None
            }
        };

        // Parent: by code, or by containment.
        let parent_code = f
            .text("parent_code")
            .or_else(|| default_parent.map(str::to_string));
        let parent: Option<Place> = if level == PlaceLevel::Province {
            if parent_code.is_some() {
                bad("parent_code", Rule::NotExpected);
            }
            None
        } else if let Some(pc) = parent_code {
            if !parents_by_code.contains_key(&pc) {
                parents_by_code.insert(pc.clone(), store.place_by_code(&pc).await?);
            }
            match parents_by_code.get(&pc).cloned().flatten() {
                Some(p) if p.level < level => Some(p),
                Some(_) => {
                    bad("parent_code", Rule::ParentNotAbove(pc.clone()));
                    None
                }
                None => {
                    bad("parent_code", Rule::Unknown(pc.clone()));
                    None
                }
            }
        } else if let Some(g) = geometry {
            if index.is_none() {
                let higher: Vec<PlaceLevel> =
                    PlaceLevel::ALL.into_iter().filter(|l| *l < level).collect();
                let candidates = store.places_with_geometry_at(&higher).await?;
                index = Some(ContainmentIndex::new(
                    candidates
                        .into_iter()
                        .filter_map(|(p, gj)| {
                            let v: serde_json::Value = serde_json::from_str(&gj).ok()?;
                            Some((p, hamafza_geo::parse_geometry(&v).ok()?))
                        })
                        .collect(),
                ));
            }
            let found = inside_point(g).and_then(|pt| {
                index
                    .as_ref()?
                    .containing(pt)
                    .max_by_key(|p| p.level)
                    .cloned()
            });
            if found.is_none() {
                bad("parent_code", Rule::NoParentFound);
            }
            found
        } else {
            None
        };

        if let (Some(name_fa), Some(g)) = (name_fa, geometry) {
            let id = PlaceId::new();
            let path = child_path(parent.as_ref().map(|p| p.path.as_str()), &id.to_string());
            planned.push(NewPlace {
                id,
                code: code_value,
                level,
                parent_id: parent.as_ref().map(|p| p.id),
                path,
                name_fa,
                name_en,
                population,
                area_km2: Some(area_km2(g)),
                geometry: Some(geometry_to_geojson(g, 6).to_string()),
                osm_id: f.text("osm_id"),
                wikidata: f.text("wikidata"),
                synthetic: f
                    .properties
                    .get("synthetic")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
            });
        }
    }
    if problems.is_empty() {
        Ok(Ok(planned))
    } else {
        Ok(Err(problems))
    }
}
