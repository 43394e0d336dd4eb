//! A first contact as a form or JSON gives it, read into the store's `FirstContact`.
//! Codes (sex, nationality, consent, data quality) and ids are read here and refused
//! with the field named; the store checks the values themselves.

use hamafza_core::ids::PlaceId;
use hamafza_core::people::{Consent, DataQuality, Nationality, Sex};
use hamafza_store::people::{BirthIn, Field, FirstContact, Guardian, NewPerson};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::FormPairs;

/// The flat shape both the registration form and `POST /api/v1/persons` use. Each
/// identifying field may carry `<field>_quality` (full, partial, does_not_know, refused,
/// not_collected); without it a value means full and no value means not collected.
#[derive(Debug, Default, Deserialize)]
pub struct PersonIn {
    pub given_name: Option<String>,
    pub given_name_quality: Option<String>,
    pub family_name: Option<String>,
    pub family_name_quality: Option<String>,
    pub father_name: Option<String>,
    pub father_name_quality: Option<String>,
    pub sex: Option<String>,
    pub sex_quality: Option<String>,
    /// One of: a Jalali date, a Jalali year, or an age "about N".
    pub birth_date: Option<String>,
    pub birth_year: Option<String>,
    pub birth_about: Option<String>,
    pub birth_quality: Option<String>,
    pub nationality: Option<String>,
    pub nationality_quality: Option<String>,
    /// The national id (Iranians) or a residence-card / passport number (others).
    pub national_id: Option<String>,
    pub foreign_document: Option<String>,
    pub identifier_quality: Option<String>,
    pub mobile: Option<String>,
    pub mobile_quality: Option<String>,
    pub met_place: Option<String>,
    pub lives_place: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    pub consent: Option<String>,
    /// Who answers for the person (required with consent `guardian`).
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub guardian_mobile: Option<String>,
    /// When they were met: a Jalali date and time or RFC 3339; now when absent.
    pub occurred_at: Option<String>,
    pub note: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn quality(field: &str, code: &Option<String>, has_value: bool) -> Result<DataQuality, AppError> {
    match given(code) {
        None => Ok(DataQuality::implied(has_value)),
        Some(c) => DataQuality::from_code(c).ok_or_else(|| {
            AppError::invalid(
                field,
                "وضعیت داده باید یکی از full، partial، does_not_know، refused، not_collected باشد",
            )
        }),
    }
}

fn text_field(
    field: &str,
    value: &Option<String>,
    q: &Option<String>,
) -> Result<Field<String>, AppError> {
    let v = given(value).map(str::to_string);
    Ok(Field {
        quality: quality(field, q, v.is_some())?,
        value: v,
    })
}

fn coded<T>(
    field: &str,
    value: &Option<String>,
    q: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Field<T>, AppError> {
    let v = match given(value) {
        None => None,
        Some(c) => Some(parse(c).ok_or_else(|| {
            AppError::invalid(field, format!("{field} باید یکی از {allowed} باشد"))
        })?),
    };
    Ok(Field {
        quality: quality(field, q, v.is_some())?,
        value: v,
    })
}

fn place(field: &str, value: &Option<String>) -> Result<Option<PlaceId>, AppError> {
    given(value)
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::invalid(field, "مکان را از فهرست برگزینید"))
        })
        .transpose()
}

impl PersonIn {
    /// The registration form's fields (categories and languages may repeat). The form's
    /// "if empty, why?" beside a field that has a value is left unread: the value says
    /// it is not empty (the officer typed it after picking a reason, or is correcting a
    /// record that had none).
    pub fn from_pairs(form: &FormPairs) -> Self {
        let one = |k: &str| form.get(k).map(str::to_string);
        let why_empty = |field: &str, quality: &str| {
            let filled = form.get(field).is_some_and(|v| !v.trim().is_empty());
            let code = form.get(quality).map(str::to_string);
            let says_empty = code
                .as_deref()
                .and_then(DataQuality::from_code)
                .is_some_and(|q| !q.has_value());
            if filled && says_empty { None } else { code }
        };
        PersonIn {
            given_name: one("given_name"),
            given_name_quality: why_empty("given_name", "given_name_quality"),
            family_name: one("family_name"),
            family_name_quality: why_empty("family_name", "family_name_quality"),
            father_name: one("father_name"),
            father_name_quality: why_empty("father_name", "father_name_quality"),
            sex: one("sex"),
            sex_quality: one("sex_quality"),
            birth_date: None,
            birth_year: None,
            birth_about: None,
            birth_quality: why_empty("birth", "birth_quality"),
            nationality: one("nationality"),
            nationality_quality: one("nationality_quality"),
            national_id: one("national_id"),
            foreign_document: None,
            identifier_quality: why_empty("national_id", "identifier_quality"),
            mobile: one("mobile"),
            mobile_quality: why_empty("mobile", "mobile_quality"),
            met_place: one("met_place"),
            lives_place: one("lives_place"),
            categories: form.all("categories"),
            languages: form
                .get("languages")
                .unwrap_or("")
                .split(['،', ','])
                .map(str::to_string)
                .collect(),
            consent: one("consent"),
            guardian_name: one("guardian_name"),
            guardian_relation: one("guardian_relation"),
            guardian_mobile: one("guardian_mobile"),
            occurred_at: one("occurred_at"),
            note: one("note"),
        }
        .with_birth(form.get("birth_kind"), form.get("birth"))
    }

    /// The form's one birth box, read as the kind the officer picked.
    fn with_birth(mut self, kind: Option<&str>, value: Option<&str>) -> Self {
        let value = value.map(str::to_string);
        match kind {
            Some("year") => self.birth_year = value,
            Some("about") => self.birth_about = value,
            _ => self.birth_date = value,
        }
        self
    }

    /// The person's fields alone (an edit of the record), or the field at fault.
    pub fn person(&self) -> Result<NewPerson, AppError> {
        let birth_value = match (
            given(&self.birth_date),
            given(&self.birth_year),
            given(&self.birth_about),
        ) {
            (Some(d), None, None) => Some(BirthIn::Date(d.into())),
            (None, Some(y), None) => Some(BirthIn::Year(y.into())),
            (None, None, Some(a)) => Some(BirthIn::About(a.into())),
            (None, None, None) => None,
            _ => {
                return Err(AppError::invalid(
                    "birth",
                    "فقط یکی از تاریخ تولد، سال تولد یا سن تقریبی را بدهید",
                ));
            }
        };
        let birth = Field {
            quality: quality("birth", &self.birth_quality, birth_value.is_some())?,
            value: birth_value,
        };
        let nationality = coded(
            "nationality",
            &self.nationality,
            &self.nationality_quality,
            Nationality::from_code,
            "iranian، afghan، other",
        )?;
        let identifier = given(&self.national_id)
            .or(given(&self.foreign_document))
            .map(str::to_string);
        let identifier_field = if nationality.value.is_some_and(|n| !n.has_national_id()) {
            "foreign_document"
        } else {
            "national_id"
        };
        Ok(NewPerson {
            given_name: text_field("given_name", &self.given_name, &self.given_name_quality)?,
            family_name: text_field("family_name", &self.family_name, &self.family_name_quality)?,
            father_name: text_field("father_name", &self.father_name, &self.father_name_quality)?,
            sex: coded(
                "sex",
                &self.sex,
                &self.sex_quality,
                Sex::from_code,
                "female، male",
            )?,
            birth,
            nationality,
            identifier: Field {
                quality: quality(
                    identifier_field,
                    &self.identifier_quality,
                    identifier.is_some(),
                )?,
                value: identifier,
            },
            mobile: text_field("mobile", &self.mobile, &self.mobile_quality)?,
            lives_place: place("lives_place", &self.lives_place)?,
            categories: self.categories.clone(),
            languages: self.languages.clone(),
            guardian: given(&self.guardian_name).map(|name| Guardian {
                name: name.to_string(),
                relation: given(&self.guardian_relation).map(str::to_string),
                mobile: given(&self.guardian_mobile).map(str::to_string),
            }),
        })
    }

    /// The first contact to register, or the field at fault.
    pub fn into_contact(self, now: time::OffsetDateTime) -> Result<FirstContact, AppError> {
        let person = self.person()?;
        let consent = given(&self.consent)
            .ok_or_else(|| AppError::invalid("consent", "رضایت فرد را مشخص کنید"))
            .and_then(|c| {
                Consent::from_code(c).ok_or_else(|| {
                    AppError::invalid(
                        "consent",
                        "رضایت باید یکی از service، sharing، guardian، refused، unable باشد",
                    )
                })
            })?;
        let met_place = place("met_place", &self.met_place)?
            .ok_or_else(|| AppError::invalid("met_place", "محل دیدار را برگزینید"))?;
        let occurred_at = match given(&self.occurred_at) {
            None => now,
            Some(t) => hamafza_core::jalali::parse_instant(t).ok_or_else(|| {
                AppError::invalid(
                    "occurred_at",
                    "زمان را به شکل ۱۴۰۴/۰۹/۱۱ ۱۰:۳۰ یا RFC 3339 بنویسید",
                )
            })?,
        };
        if occurred_at > now + time::Duration::minutes(5) {
            return Err(AppError::invalid("occurred_at", "زمان دیدار در آینده است"));
        }
        Ok(FirstContact {
            person,
            consent,
            met_place,
            occurred_at,
            note: self.note,
        })
    }
}

/// A first contact's fields as identity linkage compares them (for "likely already
/// registered?" before the record is saved).
pub fn linkage_fields(
    contact: &FirstContact,
    today: hamafza_core::jalali::JalaliDate,
) -> hamafza_core::linkage::PersonFields {
    let p = &contact.person;
    let text = |f: &Field<String>| f.value.clone().unwrap_or_default();
    let number = |s: &str| hamafza_core::digits::to_ascii(s.trim()).parse::<i32>().ok();
    let birth_year = p.birth.value.as_ref().and_then(|b| match b {
        BirthIn::Year(y) => number(y),
        BirthIn::About(n) => number(n).map(|n| today.year - n),
        BirthIn::Date(d) => hamafza_core::jalali::JalaliDate::parse(d)
            .ok()
            .map(|d| d.year),
    });
    hamafza_core::linkage::PersonFields {
        given_name: text(&p.given_name),
        family_name: text(&p.family_name),
        father_name: text(&p.father_name),
        sex: p.sex.value,
        birth_year,
        national_id: match p.nationality.value {
            Some(Nationality::Iranian) | None => text(&p.identifier),
            Some(_) => String::new(),
        },
        neighbourhood: Some(p.lives_place.unwrap_or(contact.met_place).to_string()),
    }
}
