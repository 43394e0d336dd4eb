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
    text::search_key(name).replace(' ', "")
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
}
