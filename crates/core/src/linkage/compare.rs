//! How two records agree on one field, in levels a Fellegi–Sunter model weighs: each
//! comparison returns the level, the model learns how often true pairs and chance
//! pairs reach it. Missing values are their own level (0), never a disagreement.

use super::names;
use super::record::{Keys, NameKey, Prepared};

/// The fields compared, in the order of a [`Gamma`]'s slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Given,
    Family,
    Father,
    NationalId,
    BirthYear,
    Sex,
    Neighbourhood,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Given,
        Field::Family,
        Field::Father,
        Field::NationalId,
        Field::BirthYear,
        Field::Sex,
        Field::Neighbourhood,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Field::Given => "given_name",
            Field::Family => "family_name",
            Field::Father => "father_name",
            Field::NationalId => "national_id",
            Field::BirthYear => "birth_year",
            Field::Sex => "sex",
            Field::Neighbourhood => "neighbourhood",
        }
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Field::Given => "نام",
            Field::Family => "نام خانوادگی",
            Field::Father => "نام پدر",
            Field::NationalId => "کد ملی",
            Field::BirthYear => "سال تولد",
            Field::Sex => "جنس",
            Field::Neighbourhood => "محله",
        }
    }

    /// The levels after "missing" (level 0), best first: (code, Persian label).
    pub fn levels(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Field::Given | Field::Family | Field::Father => &NAME_LEVELS,
            Field::NationalId => &[
                ("exact", "یکسان"),
                ("typo", "یک رقم جابه‌جا یا متفاوت"),
                ("differs", "متفاوت"),
            ],
            Field::BirthYear => &[
                ("exact", "یکسان"),
                ("one_apart", "یک سال فاصله"),
                ("digits_swapped", "دو رقم آخر جابه‌جا"),
                ("differs", "متفاوت"),
            ],
            Field::Sex | Field::Neighbourhood => &[("same", "یکسان"), ("differs", "متفاوت")],
        }
    }

    /// Levels including "missing": what a model keeps a probability for.
    pub fn level_count(self) -> usize {
        self.levels().len() + 1
    }
}

/// Name levels: 1 exact, 2 sounds the same, 3 one edit apart, 4 two edits apart (long
/// names), 5 one is a part of the other («علی» / «علی‌اکبر»), 6 differs.
const NAME_LEVELS: [(&str, &str); 6] = [
    ("exact", "یکسان"),
    ("sound", "هم‌آوا (ث/س/ص، ز/ذ/ض/ظ، ت/ط، ح/ه، ق/غ)"),
    ("one_edit", "یک حرف متفاوت"),
    ("two_edits", "دو حرف متفاوت"),
    ("part", "بخشی از نام مرکب"),
    ("differs", "متفاوت"),
];

pub const NAME_EXACT: u8 = 1;
pub const NAME_SOUND: u8 = 2;

/// The levels of one pair on every field, three bits each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Gamma(pub u32);

impl Gamma {
    pub fn level(self, field: Field) -> u8 {
        ((self.0 >> (3 * field as u32)) & 7) as u8
    }

    pub fn with(self, field: Field, level: u8) -> Gamma {
        let shift = 3 * field as u32;
        Gamma((self.0 & !(7 << shift)) | (u32::from(level) << shift))
    }
}

/// A pair compared: its levels, and whether given and family names agreed crosswise
/// (one of the two was typed with the names swapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compared {
    pub gamma: Gamma,
    pub swapped: bool,
}

/// Level of two names (0 when either is missing).
pub fn name_level(keys: &Keys, a: &NameKey, b: &NameKey) -> u8 {
    if a.is_missing() || b.is_missing() {
        return 0;
    }
    if a.compact == b.compact {
        return NAME_EXACT;
    }
    if a.sound == b.sound {
        return NAME_SOUND;
    }
    let (x, y) = (keys.letters(a.sound), keys.letters(b.sound));
    let letters_apart = (keys.signature(a.sound) ^ keys.signature(b.sound)).count_ones();
    if letters_apart <= 2 && names::within_one_edit(x, y) {
        return 3;
    }
    if letters_apart <= 4 && x.len().min(y.len()) >= 6 && names::within_edits(x, y, 2) {
        return 4;
    }
    if a.parts.contains(&b.compact) || b.parts.contains(&a.compact) {
        return 5;
    }
    6
}

/// Exact, sound, or differs (0 when missing): the cheap part of [`name_level`].
fn sound_level(a: &NameKey, b: &NameKey) -> u8 {
    if a.is_missing() || b.is_missing() {
        0
    } else if a.compact == b.compact {
        NAME_EXACT
    } else if a.sound == b.sound {
        NAME_SOUND
    } else {
        6
    }
}

/// How good a name level is for choosing between straight and swapped names: lower is
/// better, missing between a near miss and a difference.
fn name_rank(level: u8) -> u8 {
    [4, 0, 1, 2, 3, 3, 6][level as usize]
}

/// Compares two prepared records on every field.
pub fn records(keys: &Keys, a: &Prepared, b: &Prepared) -> Compared {
    let given = name_level(keys, &a.given, &b.given);
    let family = name_level(keys, &a.family, &b.family);
    let mut swapped = false;
    let (mut g, mut f) = (given, family);
    if given != NAME_EXACT || family != NAME_EXACT {
        // Crosswise, the full comparison only where one name already agrees by sound
        // (a swap and a typo together): cheap for the many pairs that are not swapped.
        let mut cross_given = sound_level(&a.given, &b.family);
        let mut cross_family = sound_level(&a.family, &b.given);
        if cross_given <= NAME_SOUND && cross_given > 0 && cross_family > NAME_SOUND {
            cross_family = name_level(keys, &a.family, &b.given);
        } else if cross_family <= NAME_SOUND && cross_family > 0 && cross_given > NAME_SOUND {
            cross_given = name_level(keys, &a.given, &b.family);
        }
        if name_rank(cross_given) + name_rank(cross_family) < name_rank(given) + name_rank(family) {
            (g, f, swapped) = (cross_given, cross_family, true);
        }
    }
    let id = match (a.national_id, b.national_id) {
        (Some(x), Some(y)) => match national_ids(Some(ascii(&x)), Some(ascii(&y))) {
            IdAgreement::Missing => 0,
            IdAgreement::Exact => 1,
            IdAgreement::Typo => 2,
            IdAgreement::Differs => 3,
        },
        _ => 0,
    };
    let year = match birth_years(a.birth_year, b.birth_year) {
        YearAgreement::Missing => 0,
        YearAgreement::Exact => 1,
        YearAgreement::OneApart => 2,
        YearAgreement::DigitsSwapped => 3,
        YearAgreement::Differs => 4,
    };
    let sex = match (a.sex, b.sex) {
        (Some(x), Some(y)) => 1 + u8::from(x != y),
        _ => 0,
    };
    let place = match (a.neighbourhood, b.neighbourhood) {
        (0, _) | (_, 0) => 0,
        (x, y) => 1 + u8::from(x != y),
    };
    let gamma = Gamma::default()
        .with(Field::Given, g)
        .with(Field::Family, f)
        .with(Field::Father, name_level(keys, &a.father, &b.father))
        .with(Field::NationalId, id)
        .with(Field::BirthYear, year)
        .with(Field::Sex, sex)
        .with(Field::Neighbourhood, place);
    Compared { gamma, swapped }
}

fn ascii(digits: &[u8; 10]) -> &str {
    // Only ASCII digits are ever stored (see `record::national_id_digits`).
    std::str::from_utf8(digits).unwrap_or("")
}

/// Agreement on the national id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdAgreement {
    /// Either record has none (or an invalid one): says nothing.
    Missing,
    Exact,
    /// Same length, one digit different or two neighbouring digits swapped: a typo.
    Typo,
    Differs,
}

/// Compares two national ids (ASCII digits, as the registry keeps them).
pub fn national_ids(a: Option<&str>, b: Option<&str>) -> IdAgreement {
    let (Some(a), Some(b)) = (a, b) else {
        return IdAgreement::Missing;
    };
    if a.is_empty() || b.is_empty() {
        return IdAgreement::Missing;
    }
    if a == b {
        return IdAgreement::Exact;
    }
    if a.len() != b.len() {
        return IdAgreement::Differs;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    let typo = match differ.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    };
    if typo {
        IdAgreement::Typo
    } else {
        IdAgreement::Differs
    }
}

/// Agreement on the birth year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearAgreement {
    Missing,
    Exact,
    /// A year apart: an age said "about" in different months, a year remembered wrong.
    OneApart,
    /// The last two digits swapped (1365 / 1356): a typo, not an age.
    DigitsSwapped,
    Differs,
}

/// Compares two birth years (Jalali).
pub fn birth_years(a: Option<i32>, b: Option<i32>) -> YearAgreement {
    let (Some(a), Some(b)) = (a, b) else {
        return YearAgreement::Missing;
    };
    if a == b {
        YearAgreement::Exact
    } else if (a - b).abs() == 1 {
        YearAgreement::OneApart
    } else if a / 100 == b / 100 && a % 10 == (b / 10) % 10 && (a / 10) % 10 == b % 10 {
        YearAgreement::DigitsSwapped
    } else {
        YearAgreement::Differs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_ids_agree_by_level() {
        assert_eq!(
            national_ids(Some("0012345679"), Some("0012345679")),
            IdAgreement::Exact
        );
        assert_eq!(
            national_ids(Some("0012345679"), Some("0012345678")),
            IdAgreement::Typo
        );
        assert_eq!(
            national_ids(Some("0012345679"), Some("0012354679")),
            IdAgreement::Typo
        );
        assert_eq!(
            national_ids(Some("0012345679"), Some("0099345679")),
            IdAgreement::Differs
        );
        assert_eq!(
            national_ids(Some("0012345679"), Some("012345679")),
            IdAgreement::Differs
        );
        assert_eq!(national_ids(None, Some("0012345679")), IdAgreement::Missing);
        assert_eq!(
            national_ids(Some(""), Some("0012345679")),
            IdAgreement::Missing
        );
    }

    #[test]
    fn birth_years_agree_by_level() {
        assert_eq!(birth_years(Some(1365), Some(1365)), YearAgreement::Exact);
        assert_eq!(birth_years(Some(1365), Some(1366)), YearAgreement::OneApart);
        assert_eq!(
            birth_years(Some(1365), Some(1356)),
            YearAgreement::DigitsSwapped
        );
        assert_eq!(birth_years(Some(1365), Some(1370)), YearAgreement::Differs);
        assert_eq!(birth_years(Some(1365), Some(1265)), YearAgreement::Differs);
        // 1366 and 1366 swapped is itself: exact, not a swap.
        assert_eq!(birth_years(Some(1366), Some(1366)), YearAgreement::Exact);
        assert_eq!(birth_years(None, Some(1365)), YearAgreement::Missing);
    }
}
