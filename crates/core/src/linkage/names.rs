//! Keys a Persian name is compared by. People in the street have their names typed on
//! Arabic and Persian keyboards, with and without a zero-width non-joiner or a space
//! inside compound names («علی‌اکبر», «علی اکبر», «علیاکبر»), and with letters that
//! sound alike swapped (ث/س/ص, ذ/ز/ض/ظ, ت/ط, ح/ه, ق/غ). Two keys:
//!
//! - [`compact_key`]: the search key (letters folded as everywhere in Hamafza) with every
//!   space and joiner removed — «علی اکبر» and «علی‌اکبر» are one name;
//! - [`sound_key`]: the compact key with each group of sound-alike letters folded to one
//!   letter and doubled letters single — «ثریا» and «صریا», «ذبیح‌الله» and «زبیح اله»,
//!   «طاهره» and «تاهره» are one sound.

use crate::text;

/// The name folded as search folds it, with spaces and joiners between its parts
/// removed.
pub fn compact_key(name: &str) -> String {
    text::compact_key(name)
}

/// The letter a sound-alike group folds to: the group's most common spelling in
/// Persian names, so a key stays readable.
fn sound_of(c: char) -> char {
    match c {
        'ث' | 'ص' => 'س',
        'ذ' | 'ض' | 'ظ' => 'ز',
        'ط' => 'ت',
        'ح' => 'ه',
        'غ' => 'ق',
        c => c,
    }
}

/// The compact key with sound-alike letters folded and a letter written twice in a
/// row written once («الله» and «اله», a doubled key press): what a name sounds like.
pub fn sound_key(name: &str) -> String {
    let mut out = String::new();
    let mut last = None;
    for c in compact_key(name).chars().map(sound_of) {
        if last != Some(c) {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// Words written before a given name that are a title, not the name: «سید علی» and
/// «علی» are the same given name. Only taken off when a name follows them.
const TITLES: [&str; 9] = [
    "سید",
    "سیده",
    "میرزا",
    "حاج",
    "حاجی",
    "کربلایی",
    "کبلایی",
    "مشهدی",
    "شیخ",
];

/// A given or father's name without a leading title («سید», «حاج», «کربلایی», …). Family
/// names keep theirs: «حاجی‌زاده» is a family name, not a title.
pub fn without_title(name: &str) -> &str {
    let trimmed = name.trim();
    for title in TITLES {
        if let Some(rest) = trimmed.strip_prefix(title) {
            let after = rest.trim_start_matches([' ', '\u{200C}']);
            if after.len() < rest.len() && !after.is_empty() {
                return after;
            }
        }
    }
    trimmed
}

/// Words that open a compound given name written as one word («محمدرضا», «غلامحسین»,
/// «ابوالفضل», «عبدالله», «فاطمه‌زهرا»): the parts a short form keeps.
const COMPOUND_OPENINGS: [&str; 11] = [
    "محمد",
    "علی",
    "امیر",
    "غلام",
    "حسین",
    "حسن",
    "فاطمه",
    "نازنین",
    "ابو",
    "عبد",
    "مهدی",
];

/// The parts of a name as people shorten it: the words between spaces and joiners, or
/// for a compound written as one word, its known opening and the rest. «علی‌اکبر» →
/// [«علی», «اکبر»]; «محمدرضا» → [«محمد», «رضا»]; «رضا» → [] (one part only).
pub fn parts(name: &str) -> Vec<String> {
    let words: Vec<String> = name
        .split([' ', '\u{200C}'])
        .map(compact_key)
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 {
        return words;
    }
    let whole = compact_key(name);
    for opening in COMPOUND_OPENINGS {
        if let Some(rest) = whole.strip_prefix(opening)
            && rest.chars().count() >= 2
        {
            return vec![opening.to_string(), rest.to_string()];
        }
    }
    Vec::new()
}

/// True when `a` becomes `b` by at most one letter inserted, deleted, replaced, or two
/// neighbouring letters swapped.
pub fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return b.len() - a.len() <= 1;
    };
    match b.len() - a.len() {
        0 => {
            a[i + 1..] == b[i + 1..]
                || (i + 1 < a.len()
                    && a[i] == b[i + 1]
                    && a[i + 1] == b[i]
                    && a[i + 2..] == b[i + 2..])
        }
        1 => a[i..] == b[i + 1..],
        _ => false,
    }
}

/// True when `a` becomes `b` by at most `limit` edits (insert, delete, replace, swap of
/// neighbours), computed row by row and given up as soon as a row exceeds the limit.
pub fn within_edits(a: &[char], b: &[char], limit: usize) -> bool {
    // Names are short: three rows on the stack; longer text is cut (it is still
    // compared exactly and by sound before this).
    const MAX: usize = 40;
    let (a, b) = (&a[..a.len().min(MAX - 1)], &b[..b.len().min(MAX - 1)]);
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let width = b.len() + 1;
    let mut before = [0usize; MAX];
    let mut previous = [0usize; MAX];
    let mut current = [0usize; MAX];
    for (j, cell) in previous.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return false;
        }
        before = previous;
        previous = current;
    }
    previous[b.len()] <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compound_name_is_one_name_however_it_is_joined() {
        let forms = ["علی‌اکبر", "علی اکبر", "علیاکبر", "علي اكبر", "  علی  اکبر "];
        for f in forms {
            assert_eq!(compact_key(f), "علیاکبر", "{f:?}");
        }
        assert_ne!(compact_key("علی"), compact_key("علی‌اکبر"));
    }

    #[test]
    fn letters_that_sound_alike_give_one_sound() {
        for (a, b) in [
            ("ثریا", "سریا"),
            ("ثریا", "صریا"),
            ("ذبیح‌الله", "زبیح اله"),
            ("طاهره", "تاهره"),
            ("حسین", "هسین"),
            ("غلامرضا", "قلامرضا"),
            ("رضایی", "رزایی"),
            ("عظیمی", "عزیمی"),
        ] {
            assert_eq!(sound_key(a), sound_key(b), "{a} / {b}");
        }
    }

    #[test]
    fn different_names_keep_different_sounds() {
        for (a, b) in [
            ("حسن", "حسین"),
            ("مریم", "مهری"),
            ("رضا", "رضوان"),
            ("علی", "عالیه"),
        ] {
            assert_ne!(sound_key(a), sound_key(b), "{a} / {b}");
        }
    }

    #[test]
    fn digits_and_marks_do_not_change_a_name() {
        // Harakat, tatweel and Arabic letter forms are folded by the search key.
        assert_eq!(sound_key("مُحَمَّد"), sound_key("محمد"));
        assert_eq!(sound_key("محـمد"), sound_key("محمد"));
        assert_eq!(sound_key("فاطمة"), sound_key("فاطمه"));
    }

    #[test]
    fn titles_are_not_names() {
        assert_eq!(without_title("سید علی"), "علی");
        assert_eq!(without_title("حاج‌محمد"), "محمد");
        assert_eq!(without_title("سید"), "سید");
        assert_eq!(without_title("سیدعلی"), "سیدعلی");
        assert_eq!(without_title("علی"), "علی");
    }

    #[test]
    fn compound_names_have_parts() {
        assert_eq!(parts("علی‌اکبر"), ["علی", "اکبر"]);
        assert_eq!(parts("علی اکبر"), ["علی", "اکبر"]);
        assert_eq!(parts("محمدرضا"), ["محمد", "رضا"]);
        assert!(parts("رضا").is_empty());
        assert!(parts("محمد").is_empty());
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_apart() {
        for (a, b) in [
            ("حسین", "حسین"),
            ("حسین", "حسن"),
            ("حسین", "حسینی"),
            ("مریم", "مریب"),
            ("مریم", "مرمی"),
            ("", "ا"),
        ] {
            assert!(within_one_edit(&chars(a), &chars(b)), "{a} / {b}");
            assert!(within_edits(&chars(a), &chars(b), 1), "{a} / {b}");
        }
        for (a, b) in [("حسین", "حمید"), ("رضا", "رضایی"), ("مریم", "یمرم")]
        {
            assert!(!within_one_edit(&chars(a), &chars(b)), "{a} / {b}");
            assert!(!within_edits(&chars(a), &chars(b), 1), "{a} / {b}");
        }
        assert!(within_edits(&chars("رضا"), &chars("رضایی"), 2));
        assert!(!within_edits(&chars("رضا"), &chars("مرتضایی"), 2));
    }
}
