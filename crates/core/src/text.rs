//! Persian-aware search keys and collation.
//!
//! The same name reaches Hamafza typed on Arabic and Persian keyboards, with and without
//! zero-width non-joiners, diacritics, tatweel and bidi marks, and with digits in three
//! scripts. [`search_key`] folds all of that away so that «كرمان» finds «کرمان» and
//! «بینالملل» finds «بین‌الملل». It is for matching only: the original text is always kept.

use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::CollatorOptions;
use icu_collator::preferences::CollationNumericOrdering;
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};
use icu_locale_core::locale;

use crate::digits;

/// Folds text into the key used for search and duplicate detection.
///
/// ي/ى→ی, ك→ک, ة→ه, ۀ→ه, أ/إ/ٱ→ا, ؤ→و; harakat, tatweel, ZWNJ and bidi marks removed;
/// all digits ASCII; Latin lower-cased; runs of whitespace collapsed to one space.
pub fn search_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let folded = match c {
            'ي' | 'ى' | 'ئ' => 'ی',
            'ك' => 'ک',
            'ة' | 'ۀ' | 'ہ' => 'ه',
            'أ' | 'إ' | 'ٱ' | 'آ' => 'ا',
            'ؤ' => 'و',
            // Harakat, superscript alef, hamza above/below, tatweel, ZWNJ/ZWJ, bidi marks
            // and the byte-order mark: invisible to a reader, so invisible to search.
            '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{0640}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}' => continue,
            c if c.is_whitespace() => {
                pending_space = !out.is_empty();
                continue;
            }
            c => match digits::digit_value(c) {
                Some(v) => char::from_digit(v, 10).unwrap_or(c),
                None => c,
            },
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(folded.to_lowercase());
    }
    out
}

/// The search key with every space removed: what search compares, so that a space, a
/// zero-width non-joiner and nothing between the parts of a compound are the same —
/// «علی اکبر», «علی‌اکبر» and «علیاکبر»; «می کند» and «می‌کند».
pub fn compact_key(s: &str) -> String {
    search_key(s).replace(' ', "")
}

/// True when `needle`'s compact key occurs inside `haystack`'s.
pub fn matches(haystack: &str, needle: &str) -> bool {
    compact_key(haystack).contains(&compact_key(needle))
}

fn persian_collator() -> &'static CollatorBorrowed<'static> {
    static COLLATOR: OnceLock<CollatorBorrowed<'static>> = OnceLock::new();
    COLLATOR.get_or_init(|| {
        // Compiled CLDR data for `fa` is part of the binary, so this cannot fail at run time;
        // the fallback keeps the root order rather than panicking if it ever did.
        // Numeric ordering so that «منطقهٔ ۲» comes before «منطقهٔ ۱۰».
        let mut prefs = CollatorPreferences::from(locale!("fa"));
        prefs.numeric_ordering = Some(CollationNumericOrdering::True);
        Collator::try_new(prefs, CollatorOptions::default())
            .or_else(|_| Collator::try_new(Default::default(), CollatorOptions::default()))
            .expect("the root collator is compiled into icu_collator")
    })
}

/// Compares two strings in Persian alphabetical order (پ after ب, گ after ک, …),
/// numbers by their value.
pub fn compare_fa(a: &str, b: &str) -> Ordering {
    persian_collator().compare(a, b)
}

/// A byte string whose byte order is the Persian order of [`compare_fa`], for storing
/// beside a name so that databases sort it right with a plain `ORDER BY`.
/// Sort keys change with ICU4X's collation data: recompute them on upgrade.
pub fn sort_key_fa(s: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(s.len() * 2);
    let _ = persian_collator().write_sort_key_to(s, &mut key);
    key
}

/// Sorts by a Persian key in place.
pub fn sort_fa_by<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| compare_fa(key(a), key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_and_persian_letters_match() {
        assert_eq!(search_key("كرمان"), search_key("کرمان"));
        assert_eq!(search_key("علي"), search_key("علی"));
        assert!(matches("استان کرمان", "كرمان"));
    }

    #[test]
    fn zwnj_diacritics_tatweel_and_bidi_are_ignored() {
        assert_eq!(search_key("بین\u{200C}الملل"), search_key("بینالملل"));
        assert_eq!(search_key("مُحَمَّد"), search_key("محمد"));
        assert_eq!(search_key("تهـــران"), search_key("تهران"));
        assert_eq!(search_key("\u{200F}تهران\u{200E}"), "تهران");
        assert_eq!(
            search_key("شهرستان کوه\u{200C}چنار"),
            search_key("شهرستان کوهچنار")
        );
    }

    #[test]
    fn a_space_a_joiner_and_nothing_are_the_same_to_search() {
        assert!(matches("علی‌اکبر رضایی", "علی اکبر"));
        assert!(matches("علی اکبر رضایی", "علی‌اکبر"));
        assert!(matches("علیاکبر", "علی اکبر"));
        assert!(matches("او کار می‌کند", "می کند"));
        assert!(matches("او کار می کند", "می‌کند"));
        assert!(!matches("علی رضایی", "علی اکبر"));
        assert_eq!(compact_key("نازی‌آباد"), compact_key("نازی آباد"));
    }

    #[test]
    fn digits_and_spaces_are_folded() {
        assert_eq!(search_key("منطقه ۱۲"), "منطقه 12");
        assert_eq!(search_key("منطقه ١٢"), "منطقه 12");
        assert_eq!(search_key("  منطقه \t  12 "), "منطقه 12");
        assert_eq!(search_key("Tehran"), "tehran");
    }

    #[test]
    fn key_is_idempotent_on_seed_text() {
        let seed = "معاون اجتماعی و فرهنگی شهرداری منطقه ۱۲ بینالملل ي ك ۀ";
        let once = search_key(seed);
        assert_eq!(search_key(&once), once);
    }

    #[test]
    fn sort_keys_order_like_the_collator() {
        let words = [
            "گیلان",
            "کرمان",
            "پارس",
            "بوشهر",
            "منطقهٔ ۱۰",
            "منطقهٔ ۲",
            "Tehran",
            "آبادان",
            "ابهر",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    sort_key_fa(a).cmp(&sort_key_fa(b)),
                    compare_fa(a, b),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn persian_alphabetical_order() {
        let mut words = vec![
            "گیلان",
            "کرمان",
            "پارس",
            "بوشهر",
            "چابهار",
            "جیرفت",
            "ژاله",
            "زنجان",
        ];
        words.sort_by(|a, b| compare_fa(a, b));
        assert_eq!(
            words,
            vec![
                "بوشهر",
                "پارس",
                "جیرفت",
                "چابهار",
                "زنجان",
                "ژاله",
                "کرمان",
                "گیلان"
            ]
        );
    }
}
