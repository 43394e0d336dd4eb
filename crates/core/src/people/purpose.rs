//! Why someone opens a person's record. Every read of a person is audited with a
//! purpose (asked once per session and subject); the access report shows it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeKind {
    /// Serving the person now.
    Service,
    /// Working on their case.
    CaseWork,
    /// Referring them, or answering a referral.
    Referral,
    /// Checking whether they are registered already.
    DuplicateCheck,
    /// Supervising or checking the quality of the work.
    Supervision,
    /// A court's or another legal request.
    LegalRequest,
    /// Anything else, said in words.
    Other,
}

/// A purpose: a kind from the list, with words (required for "other").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    pub kind: PurposeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Longest purpose text kept.
pub const PURPOSE_TEXT_MAX: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeError {
    /// Not one of the kinds.
    UnknownKind,
    /// "Other" without words.
    NeedsWords,
    TooLong,
}

impl PurposeKind {
    pub const ALL: [PurposeKind; 7] = [
        PurposeKind::Service,
        PurposeKind::CaseWork,
        PurposeKind::Referral,
        PurposeKind::DuplicateCheck,
        PurposeKind::Supervision,
        PurposeKind::LegalRequest,
        PurposeKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PurposeKind::Service => "service",
            PurposeKind::CaseWork => "case_work",
            PurposeKind::Referral => "referral",
            PurposeKind::DuplicateCheck => "duplicate_check",
            PurposeKind::Supervision => "supervision",
            PurposeKind::LegalRequest => "legal_request",
            PurposeKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            PurposeKind::Service => "ارائهٔ خدمت",
            PurposeKind::CaseWork => "پیگیری پرونده",
            PurposeKind::Referral => "ارجاع یا پاسخ به ارجاع",
            PurposeKind::DuplicateCheck => "بررسی ثبت تکراری",
            PurposeKind::Supervision => "نظارت و کنترل کیفیت",
            PurposeKind::LegalRequest => "درخواست قانونی (دادگاه، مرجع قضایی)",
            PurposeKind::Other => "دیگر (بنویسید)",
        }
    }
}

impl Purpose {
    /// A purpose from its code and optional words.
    pub fn parse(code: &str, text: Option<&str>) -> Result<Self, PurposeError> {
        let kind = PurposeKind::from_code(code.trim()).ok_or(PurposeError::UnknownKind)?;
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > PURPOSE_TEXT_MAX) {
            return Err(PurposeError::TooLong);
        }
        if kind == PurposeKind::Other && text.is_none() {
            return Err(PurposeError::NeedsWords);
        }
        Ok(Purpose {
            kind,
            text: text.map(str::to_string),
        })
    }

    /// «پیگیری پرونده» or «دیگر: …».
    pub fn text_fa(&self) -> String {
        match (&self.text, self.kind) {
            (Some(t), PurposeKind::Other) => t.clone(),
            (Some(t), k) => format!("{}: {t}", k.name_fa()),
            (None, k) => k.name_fa().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_needs_words_and_codes_are_checked() {
        assert_eq!(
            Purpose::parse("case_work", None).map(|p| p.kind),
            Ok(PurposeKind::CaseWork)
        );
        assert_eq!(
            Purpose::parse("other", Some("  ")),
            Err(PurposeError::NeedsWords)
        );
        assert_eq!(
            Purpose::parse("curiosity", None),
            Err(PurposeError::UnknownKind)
        );
        let long = "x".repeat(PURPOSE_TEXT_MAX + 1);
        assert_eq!(
            Purpose::parse("other", Some(&long)),
            Err(PurposeError::TooLong)
        );
        assert_eq!(
            Purpose::parse("other", Some("درخواست خانواده")).map(|p| p.text_fa()),
            Ok("درخواست خانواده".to_string())
        );
    }
}
