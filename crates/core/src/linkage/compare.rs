//! How two records agree on one field, in levels a Fellegi–Sunter model weighs: each
//! comparison returns the level, the model learns how often true pairs and chance
//! pairs reach it. Missing values are their own level, never a disagreement.

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
