//! A birth date as it was said — a full Jalali date, a year, or "about N years old" on
//! the day of asking — and the range of days it allows. People met in the street often
//! know only their age; storing what was said (and not a made-up 1 Farvardin) keeps
//! the record honest, and the range answers "is this a child?" and "which age band?".

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::digits;
use crate::jalali::{JalaliDate, JalaliError};

/// Under this age a person is a child record (seen by child protection only).
pub const CHILD_UNDER: u32 = 18;

/// The oldest age the registry accepts.
const OLDEST: u32 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "said", rename_all = "snake_case")]
pub enum BirthSaid {
    /// A full Jalali date.
    Date { date: JalaliDate },
    /// A Jalali year only.
    Year { year: i32 },
    /// "About N years old", said on a day.
    About { years: u32, on: JalaliDate },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BirthError {
    #[error(transparent)]
    Date(#[from] JalaliError),
    #[error("تاریخ تولد در آینده است")]
    Future,
    #[error("سال تولد باید بین ۱۳۰۰ و امسال باشد")]
    YearOutOfRange,
    #[error("سن باید عددی بین ۰ و ۱۲۰ باشد")]
    AgeOutOfRange,
}

impl BirthSaid {
    /// The Jalali year of birth as best known: the year of a date or a year said, or
    /// the year "about N years" points to (identity linkage compares years).
    pub fn likely_year(self) -> i32 {
        match self {
            BirthSaid::Date { date } => date.year,
            BirthSaid::Year { year } => year,
            BirthSaid::About { years, on } => on.year - years as i32,
        }
    }

    /// A full date typed in any digit script; refused if it does not exist or is after
    /// `today`.
    pub fn date(input: &str, today: JalaliDate) -> Result<Self, BirthError> {
        let date = JalaliDate::parse(input)?;
        if date > today {
            return Err(BirthError::Future);
        }
        Ok(BirthSaid::Date { date })
    }

    /// A Jalali year typed in any digit script (1300 to this year).
    pub fn year(input: &str, today: JalaliDate) -> Result<Self, BirthError> {
        let year: i32 = digits::to_ascii(input.trim())
            .parse()
            .map_err(|_| BirthError::YearOutOfRange)?;
        if !(1300..=today.year).contains(&year) {
            return Err(BirthError::YearOutOfRange);
        }
        Ok(BirthSaid::Year { year })
    }

    /// "About N years old", said `today`.
    pub fn about(input: &str, today: JalaliDate) -> Result<Self, BirthError> {
        let years: u32 = digits::to_ascii(input.trim())
            .parse()
            .map_err(|_| BirthError::AgeOutOfRange)?;
        if years > OLDEST {
            return Err(BirthError::AgeOutOfRange);
        }
        Ok(BirthSaid::About { years, on: today })
    }

    /// The earliest and latest day the person can have been born on. "About N" allows
    /// two years either side (one under six, where a guess is closer).
    pub fn range(self) -> (JalaliDate, JalaliDate) {
        match self {
            BirthSaid::Date { date } => (date, date),
            BirthSaid::Year { year } => (first_of(year), last_of(year)),
            BirthSaid::About { years, on } => {
                let spread = if years < 6 { 1 } else { 2 };
                let youngest = years.saturating_sub(spread);
                let oldest = years + spread;
                // Born after the day `oldest + 1` years before, up to `youngest` years before.
                let earliest = years_before(on, oldest + 1).next_day();
                (earliest, years_before(on, youngest))
            }
        }
    }

    /// The youngest and oldest the person can be on `day`.
    pub fn ages_on(self, day: JalaliDate) -> (u32, u32) {
        let (earliest, latest) = self.range();
        (age_on(latest, day), age_on(earliest, day))
    }

    /// Whether the person may be under 18 on `day`. When the range straddles 18 the
    /// record is a child's: the protective reading of an uncertain age.
    pub fn may_be_child_on(self, day: JalaliDate) -> bool {
        self.ages_on(day).0 < CHILD_UNDER
    }

    /// The age band of the middle of the range on `day`.
    pub fn band_on(self, day: JalaliDate) -> AgeBand {
        let (young, old) = self.ages_on(day);
        AgeBand::of((young + old) / 2)
    }

    /// What was said, in Persian: «۱۳۸۵/۰۳/۱۲», «سال ۱۳۸۵», «حدود ۳۰ سال (۱۴۰۴/۰۷/۱۹)».
    pub fn text_fa(self) -> String {
        match self {
            BirthSaid::Date { date } => date.format_numeric(),
            BirthSaid::Year { year } => format!("سال {}", digits::to_persian(&year.to_string())),
            BirthSaid::About { years, on } => format!(
                "حدود {} سال (گفته‌شده در {})",
                digits::to_persian(&years.to_string()),
                on.format_numeric()
            ),
        }
    }
}

fn first_of(year: i32) -> JalaliDate {
    JalaliDate::new(year, 1, 1).unwrap_or(JalaliDate {
        year,
        month: 1,
        day: 1,
    })
}

fn last_of(year: i32) -> JalaliDate {
    JalaliDate::new(year, 12, 30)
        .or_else(|_| JalaliDate::new(year, 12, 29))
        .unwrap_or(JalaliDate {
            year,
            month: 12,
            day: 29,
        })
}

/// The same month and day `n` years earlier (30 Esfand becomes 29 in a common year).
fn years_before(day: JalaliDate, n: u32) -> JalaliDate {
    let year = day.year - n as i32;
    JalaliDate::new(year, day.month, day.day)
        .or_else(|_| JalaliDate::new(year, day.month, day.day - 1))
        .unwrap_or(day)
}

trait NextDay {
    fn next_day(self) -> Self;
}

impl NextDay for JalaliDate {
    fn next_day(self) -> Self {
        self.to_gregorian()
            .next_day()
            .map_or(self, JalaliDate::from_gregorian)
    }
}

/// Whole years from `born` to `day` (0 if `day` is earlier).
fn age_on(born: JalaliDate, day: JalaliDate) -> u32 {
    let mut age = day.year - born.year;
    if (day.month, day.day) < (born.month, born.day) {
        age -= 1;
    }
    age.max(0) as u32
}

/// Age bands for counting without names (encounters, research exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under5,
    From5To11,
    From12To17,
    From18To24,
    From25To34,
    From35To44,
    From45To54,
    From55To64,
    From65,
}

impl AgeBand {
    pub const ALL: [AgeBand; 9] = [
        AgeBand::Under5,
        AgeBand::From5To11,
        AgeBand::From12To17,
        AgeBand::From18To24,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55To64,
        AgeBand::From65,
    ];

    pub fn of(age: u32) -> Self {
        match age {
            0..5 => AgeBand::Under5,
            5..12 => AgeBand::From5To11,
            12..18 => AgeBand::From12To17,
            18..25 => AgeBand::From18To24,
            25..35 => AgeBand::From25To34,
            35..45 => AgeBand::From35To44,
            45..55 => AgeBand::From45To54,
            55..65 => AgeBand::From55To64,
            _ => AgeBand::From65,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under5 => "0-4",
            AgeBand::From5To11 => "5-11",
            AgeBand::From12To17 => "12-17",
            AgeBand::From18To24 => "18-24",
            AgeBand::From25To34 => "25-34",
            AgeBand::From35To44 => "35-44",
            AgeBand::From45To54 => "45-54",
            AgeBand::From55To64 => "55-64",
            AgeBand::From65 => "65+",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    pub fn is_child(self) -> bool {
        self <= AgeBand::From12To17
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> JalaliDate {
        JalaliDate::new(y, m, d).expect("day")
    }

    #[test]
    fn a_full_date_is_one_day_and_the_future_is_refused() {
        let today = day(1405, 9, 11);
        let b = BirthSaid::date("۱۳۸۵/۰۳/۱۲", today).expect("date");
        assert_eq!(b.range(), (day(1385, 3, 12), day(1385, 3, 12)));
        assert_eq!(b.ages_on(today), (20, 20));
        assert_eq!(
            BirthSaid::date("1405/09/12", today),
            Err(BirthError::Future)
        );
        assert!(matches!(
            BirthSaid::date("1404/12/30", today),
            Err(BirthError::Date(JalaliError::NoSuchDay(_)))
        ));
    }

    #[test]
    fn a_year_spans_the_year_and_may_make_a_child() {
        let today = day(1405, 9, 11);
        let b = BirthSaid::year("1388", today).expect("year");
        assert_eq!(b.range(), (day(1388, 1, 1), day(1388, 12, 29)));
        // Born in 1388: 16 or 17 on 11 Azar 1405 — a child either way.
        assert_eq!(b.ages_on(today), (16, 17));
        assert!(b.may_be_child_on(today));
        // Born in 1387: 17 or 18 — still possibly a child, so protected.
        assert!(
            BirthSaid::year("1387", today)
                .expect("y")
                .may_be_child_on(today)
        );
        assert!(
            !BirthSaid::year("1386", today)
                .expect("y")
                .may_be_child_on(today)
        );
        assert_eq!(
            BirthSaid::year("1406", today),
            Err(BirthError::YearOutOfRange)
        );
        assert_eq!(
            BirthSaid::year("۱۲۹۹", today),
            Err(BirthError::YearOutOfRange)
        );
    }

    #[test]
    fn about_n_years_allows_two_years_either_side() {
        let today = day(1405, 9, 11);
        let b = BirthSaid::about("۳۰", today).expect("about");
        assert_eq!(b.ages_on(today), (28, 32));
        assert_eq!(b.band_on(today), AgeBand::From25To34);
        assert!(!b.may_be_child_on(today));
        // "About 19": could be 17, so the record is a child's.
        assert!(
            BirthSaid::about("19", today)
                .expect("a")
                .may_be_child_on(today)
        );
        assert_eq!(
            BirthSaid::about("121", today),
            Err(BirthError::AgeOutOfRange)
        );
        assert_eq!(
            BirthSaid::about("سی", today),
            Err(BirthError::AgeOutOfRange)
        );
        // Said last year, the ages move on.
        assert_eq!(b.ages_on(day(1406, 9, 11)), (29, 33));
    }

    #[test]
    fn what_was_said_round_trips_as_json() {
        let b = BirthSaid::about("30", day(1405, 9, 11)).expect("about");
        let text = serde_json::to_string(&b).expect("json");
        assert_eq!(serde_json::from_str::<BirthSaid>(&text).expect("back"), b);
        assert_eq!(AgeBand::of(17), AgeBand::From12To17);
        assert!(AgeBand::of(17).is_child() && !AgeBand::of(18).is_child());
    }
}
