//! The levels of the place hierarchy and the materialised path that makes
//! "this place and everything under it" one indexed prefix test.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceLevel {
    Province,
    County,
    City,
    District,
    SubDistrict,
    Neighbourhood,
}

impl PlaceLevel {
    pub const ALL: [PlaceLevel; 6] = [
        PlaceLevel::Province,
        PlaceLevel::County,
        PlaceLevel::City,
        PlaceLevel::District,
        PlaceLevel::SubDistrict,
        PlaceLevel::Neighbourhood,
    ];

    /// The code used in storage, the API and the CLI.
    pub fn code(self) -> &'static str {
        match self {
            PlaceLevel::Province => "province",
            PlaceLevel::County => "county",
            PlaceLevel::City => "city",
            PlaceLevel::District => "district",
            PlaceLevel::SubDistrict => "sub_district",
            PlaceLevel::Neighbourhood => "neighbourhood",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Persian name of the level, as officials say it.
    pub fn name_fa(self) -> &'static str {
        match self {
            PlaceLevel::Province => "استان",
            PlaceLevel::County => "شهرستان",
            PlaceLevel::City => "شهر",
            PlaceLevel::District => "منطقه",
            PlaceLevel::SubDistrict => "ناحیه",
            PlaceLevel::Neighbourhood => "محله",
        }
    }

    /// Depth in the hierarchy, provinces at 1.
    pub fn depth(self) -> u8 {
        self as u8 + 1
    }

    /// The level just above, if any.
    pub fn parent(self) -> Option<Self> {
        Self::ALL.get((self as usize).checked_sub(1)?).copied()
    }
}

/// The materialised path of a place: its ancestors' ids and its own, as `/a/b/c/`.
pub fn child_path(parent_path: Option<&str>, id: &str) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// True when `path` is `ancestor` itself or lies under it.
pub fn is_within(path: &str, ancestor: &str) -> bool {
    path.starts_with(ancestor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_nest() {
        for l in PlaceLevel::ALL {
            assert_eq!(PlaceLevel::from_code(l.code()), Some(l));
        }
        assert_eq!(PlaceLevel::Province.parent(), None);
        assert_eq!(
            PlaceLevel::Neighbourhood.parent(),
            Some(PlaceLevel::SubDistrict)
        );
        assert_eq!(PlaceLevel::from_code("planet"), None);
    }

    #[test]
    fn paths_nest() {
        let p = child_path(None, "a");
        let c = child_path(Some(&p), "b");
        assert_eq!(c, "/a/b/");
        assert!(is_within(&c, &p));
        assert!(!is_within(&p, &c));
        assert!(!is_within("/ab/", "/a/"));
    }
}
