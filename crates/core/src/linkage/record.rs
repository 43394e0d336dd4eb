//! A person as linkage sees them, and the keys they are compared by, worked out once
//! per record so that comparing two records is a handful of integer comparisons.

use std::collections::HashMap;

use super::names;
use crate::digits;
use crate::people::Sex;

/// The fields of a person record linkage compares. Text is as typed; the keys fold it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub given_name: String,
    pub family_name: String,
    pub father_name: String,
    pub sex: Option<Sex>,
    pub birth_year: Option<i32>,
    /// As typed: any digit script; invalid ids are kept, a typo is still evidence.
    pub national_id: String,
    /// Where the person lives or was met, as an opaque key (a place id).
    pub neighbourhood: Option<String>,
}

/// How many records' worth of belief in "an average name" term frequencies start from.
pub const PSEUDO_RECORDS: f64 = 500.0;

/// The three name fields, in the order [`Keys::frequency`] counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Given = 0,
    Family = 1,
    Father = 2,
}

/// A name's keys, as numbers from [`Keys`]; 0 is "no name".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameKey {
    pub compact: u32,
    pub sound: u32,
    /// The compact keys of its parts, for a compound name («علی‌اکبر»: علی, اکبر).
    pub parts: Box<[u32]>,
}

impl NameKey {
    pub fn is_missing(&self) -> bool {
        self.compact == 0
    }
}

/// A record ready to compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    pub given: NameKey,
    pub family: NameKey,
    pub father: NameKey,
    pub sex: Option<Sex>,
    pub birth_year: Option<i32>,
    /// Ten ASCII digits, whether or not the check digit is right.
    pub national_id: Option<[u8; 10]>,
    /// 0 when unknown.
    pub neighbourhood: u32,
}

/// Numbers for every distinct key seen, the letters of each (edit distances need them),
/// and how often each key occurs in each name field (term frequencies: «محمد» agreeing
/// says less than «کیومرث» agreeing).
#[derive(Debug, Clone)]
pub struct Keys {
    ids: HashMap<String, u32>,
    letters: Vec<Box<[char]>>,
    /// Which letters a key has, one bit each (hashed): two keys whose sets differ in
    /// more than 2·k bits are more than k edits apart, found without an edit distance.
    signatures: Vec<u64>,
    /// Names already prepared, by the text as typed: [given and father, family].
    prepared: [HashMap<String, NameKey>; 2],
    /// counts[field][key] and, for sound keys, the same table by sound.
    counts: [Vec<u32>; 3],
    totals: [u32; 3],
    /// Records per birth year (from 1200), for the year's own frequency.
    years: Vec<u32>,
    years_total: u32,
    places: HashMap<String, u32>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            ids: HashMap::new(),
            letters: vec![Box::new([])],
            signatures: vec![0],
            prepared: Default::default(),
            counts: Default::default(),
            totals: [0; 3],
            years: vec![0; 400],
            years_total: 0,
            places: HashMap::new(),
        }
    }
}

impl Keys {
    fn intern(&mut self, key: String) -> u32 {
        if key.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.letters.len() as u32;
        self.letters.push(key.chars().collect());
        self.signatures.push(key.chars().fold(0u64, |bits, c| {
            bits | 1 << ((u32::from(c).wrapping_mul(0x9E37_79B1)) >> 26)
        }));
        self.ids.insert(key, id);
        id
    }

    /// The letters of a key.
    pub fn letters(&self, id: u32) -> &[char] {
        &self.letters[id as usize]
    }

    /// Which letters a key has (see `signatures`).
    pub fn signature(&self, id: u32) -> u64 {
        self.signatures[id as usize]
    }

    fn name(&mut self, field: NameField, typed: &str) -> NameKey {
        let kind = usize::from(field == NameField::Family);
        if let Some(done) = self.prepared[kind].get(typed) {
            return done.clone();
        }
        let key = self.name_uncached(field, typed);
        self.prepared[kind].insert(typed.to_string(), key.clone());
        key
    }

    fn name_uncached(&mut self, field: NameField, text: &str) -> NameKey {
        let text = match field {
            NameField::Family => text.trim(),
            _ => names::without_title(text),
        };
        let compact = self.intern(names::compact_key(text));
        if compact == 0 {
            return NameKey::default();
        }
        let sound = self.intern(names::sound_key(text));
        let parts: Vec<u32> = names::parts(text)
            .into_iter()
            .map(|p| self.intern(p))
            .collect();
        NameKey {
            compact,
            sound,
            parts: parts.into_boxed_slice(),
        }
    }

    /// Works out a record's keys, adding new ones to the tables. Does not count it:
    /// [`Keys::count`] does, so a lookup can prepare a record without changing the
    /// frequencies.
    pub fn prepare(&mut self, person: &PersonFields) -> Prepared {
        let neighbourhood = match &person.neighbourhood {
            Some(place) if !place.is_empty() => {
                let next = self.places.len() as u32 + 1;
                *self.places.entry(place.clone()).or_insert(next)
            }
            _ => 0,
        };
        Prepared {
            given: self.name(NameField::Given, &person.given_name),
            family: self.name(NameField::Family, &person.family_name),
            father: self.name(NameField::Father, &person.father_name),
            sex: person.sex,
            birth_year: person.birth_year,
            national_id: national_id_digits(&person.national_id),
            neighbourhood,
        }
    }

    /// Counts a record's names in the frequency tables (once per record kept).
    pub fn count(&mut self, record: &Prepared, by: i32) {
        if let Some(slot) = record
            .birth_year
            .and_then(|y| usize::try_from(y - 1200).ok())
            .and_then(|i| self.years.get_mut(i))
        {
            *slot = slot.saturating_add_signed(by);
            self.years_total = self.years_total.saturating_add_signed(by);
        }
        for (field, name) in [
            (NameField::Given, &record.given),
            (NameField::Family, &record.family),
            (NameField::Father, &record.father),
        ] {
            if name.is_missing() {
                continue;
            }
            let f = field as usize;
            let table = &mut self.counts[f];
            let need = self.letters.len();
            if table.len() < need {
                table.resize(need, 0);
            }
            for key in [name.compact, name.sound] {
                let c = &mut table[key as usize];
                *c = c.saturating_add_signed(by);
            }
            self.totals[f] = self.totals[f].saturating_add_signed(by);
        }
    }

    /// The share of records whose `field` has this key (compact or sound), smoothed
    /// towards `typical` (the share an average name has) as if [`PSEUDO_RECORDS`] more
    /// records had it: in a registry of a few hundred, one name seen twice says little
    /// about how common it is; in a registry of a million, the counts speak.
    pub fn frequency(&self, field: NameField, key: u32, typical: f64) -> f64 {
        let f = field as usize;
        let total = f64::from(self.totals[f]);
        let count = f64::from(self.counts[f].get(key as usize).copied().unwrap_or(0));
        (count + PSEUDO_RECORDS * typical) / (total + PSEUDO_RECORDS)
    }

    /// The share of records born in `year`, smoothed toward `typical` as
    /// [`Keys::frequency`] is: a year at the peak of the registry's ages agreeing says
    /// less than a rare one.
    pub fn year_frequency(&self, year: i32, typical: f64) -> f64 {
        let count = usize::try_from(year - 1200)
            .ok()
            .and_then(|i| self.years.get(i))
            .copied()
            .unwrap_or(0);
        (f64::from(count) + PSEUDO_RECORDS * typical)
            / (f64::from(self.years_total) + PSEUDO_RECORDS)
    }

    /// How many distinct keys there are (for reports).
    pub fn len(&self) -> usize {
        self.letters.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A national id's ten digits from any script, 8–9 digits padded as the registry does;
/// `None` for anything else (an empty field, letters, a wrong length).
pub fn national_id_digits(text: &str) -> Option<[u8; 10]> {
    let ascii: Vec<u8> = digits::to_ascii(text.trim())
        .bytes()
        .filter(|b| *b != b'-' && *b != b' ')
        .collect();
    if ascii.is_empty()
        || ascii.len() > 10
        || ascii.len() < 8
        || !ascii.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut out = [b'0'; 10];
    out[10 - ascii.len()..].copy_from_slice(&ascii);
    if out.iter().all(|&d| d == out[0]) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(given: &str, family: &str) -> PersonFields {
        PersonFields {
            given_name: given.into(),
            family_name: family.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_same_name_however_typed_gets_the_same_keys() {
        let mut keys = Keys::default();
        let a = keys.prepare(&person("علی‌اکبر", "حسین‌زاده"));
        let b = keys.prepare(&person("علي اكبر", "حسين زاده"));
        assert_eq!(a.given.compact, b.given.compact);
        assert_eq!(a.family.compact, b.family.compact);
        let c = keys.prepare(&person("سید علی‌اکبر", "حسین‌زاده"));
        assert_eq!(a.given.compact, c.given.compact, "a title is not the name");
        let d = keys.prepare(&person("علی‌اکبر", "هسین‌زاده"));
        assert_ne!(a.family.compact, d.family.compact);
        assert_eq!(a.family.sound, d.family.sound);
        assert_eq!(a.given.parts.len(), 2);
    }

    #[test]
    fn frequencies_count_records_kept() {
        let mut keys = Keys::default();
        let a = keys.prepare(&person("محمد", "رضایی"));
        let b = keys.prepare(&person("محمد", "کریمی"));
        keys.count(&a, 1);
        keys.count(&b, 1);
        // Two records say little: the frequency stays near the typical one.
        let typical = 0.01;
        let given = keys.frequency(NameField::Given, a.given.compact, typical);
        let family = keys.frequency(NameField::Family, a.family.compact, typical);
        assert!(given > family && given < 0.02, "{given} {family}");
        keys.count(&b, -1);
        let family_after = keys.frequency(NameField::Family, a.family.compact, typical);
        assert!(family_after > family);
        // Many records speak for themselves.
        for _ in 0..10_000 {
            keys.count(&a, 1);
        }
        let common = keys.frequency(NameField::Given, a.given.compact, typical);
        assert!(common > 0.9, "{common}");
        // Years are counted too: a year nobody was born in stays near the typical.
        let mut born = a.clone();
        born.birth_year = Some(1368);
        for _ in 0..5_000 {
            keys.count(&born, 1);
        }
        assert!(keys.year_frequency(1368, typical) > 0.9);
        assert!(keys.year_frequency(1330, typical) < 0.01);
    }

    #[test]
    fn national_ids_in_any_script() {
        assert_eq!(national_id_digits("۰۰۸۴۵۷۵۹۴۸"), Some(*b"0084575948"));
        assert_eq!(national_id_digits("84575948"), Some(*b"0084575948"));
        assert_eq!(national_id_digits(""), None);
        assert_eq!(national_id_digits("12ab"), None);
        assert_eq!(national_id_digits("1111111111"), None);
    }
}
