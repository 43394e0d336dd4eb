//! What the store answers when it will not do something. The answers are structured —
//! the field at fault and the rule it breaks — and carry no sentences: the edge (the
//! web crate's `words`, which the CLI uses too) writes them in Persian, so the same
//! fault reads the same on a page, in problem+json and on the command line.

use hamafza_core::access::DenyReason;
use hamafza_core::jalali::JalaliError;
use hamafza_core::national_id::NationalIdError;
use hamafza_core::people::{BirthError, DataQuality, ReferralMoveError};
use hamafza_core::resolutions::{State, TransitionError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("not found")]
    NotFound,
    /// The access policy refused.
    #[error("refused: {0:?}")]
    Forbidden(Refusal),
    /// The value of `field` is already on record (a code, a username, a number).
    #[error("{field} already on record: {value}")]
    Conflict { field: &'static str, value: String },
    /// Input that breaks a rule: the field at fault (empty when it is the record as a
    /// whole) and the rule.
    #[error("{field}: {rule}")]
    Invalid { field: &'static str, rule: Rule },
    /// Something stored that the code cannot read: a bug or a damaged database, never the
    /// caller's fault (a 500 that logs the detail).
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(String),
}

/// Why the caller may not do this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The access policy's reason.
    Policy(DenyReason),
    /// Progress is reported by the responsible and collaborating agencies only.
    NotAReporter,
    /// A move that is another party's to make.
    Move(TransitionError),
    /// A referral of a person who has not consented to sharing, by someone without the
    /// override permission.
    NoConsentToShare,
}

/// The rule a value breaks. What a field's form or range is (a username's letters, a
/// priority's 1 to 3) is the edge's to say, from the field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Left empty, or absent.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Not in the form this field takes.
    Malformed(Form),
    /// Not a whole number from `min` to `max` (inclusive).
    Between { min: i64, max: i64 },
    /// Not a number above zero.
    Positive,
    /// Names nothing that exists here: the value as given (empty when it was an id).
    Unknown(String),
    /// The same value twice in one request or file.
    Repeated(String),
    /// Already on record.
    Taken(String),
    /// Names a record of another council or meeting than this one.
    Elsewhere,
    /// The responsible agency is named as a collaborator too.
    ResponsibleAsCollaborator,
    /// Attendance of an agency that does not sit on the council.
    NotAMember,
    /// An evidence file with no bytes: its name.
    EmptyFile(String),
    /// A progress report on a resolution in a state that takes none.
    NotInState(State),
    /// One more resolution in focus than the council keeps.
    FocusFull { limit: usize },
    /// A file's rows would put more resolutions in focus than the council keeps.
    FocusFullInFile {
        limit: usize,
        in_file: usize,
        already: usize,
    },
    /// A file with no rows.
    NoRows,
    /// A move the resolution's rules refuse.
    Move(TransitionError),
    /// A place file's parent is of the same level or below: the parent's code.
    ParentNotAbove(String),
    /// A place with no parent given and none found around it.
    NoParentFound,
    /// Given where it has no place (a province's parent).
    NotExpected,
    /// A boundary that cannot be read: the geometry reader's reason.
    Geometry(String),
    /// A file that lacks these columns (their headers as the file should have them).
    MissingColumns(Vec<&'static str>),
    /// A date that cannot be read or does not exist.
    Date(JalaliError),
    /// The rule broken by one item of a list given in one request (1-based).
    Item { position: usize, rule: Box<Rule> },
    /// A national id that is not one (its check digit, its length).
    NationalId(NationalIdError),
    /// A birth date, year or age that cannot be (in the future, out of range).
    Birth(BirthError),
    /// A value given beside a data-quality code that says there is none ("does not
    /// know", "refused", "not collected").
    ValueWithUnknown(DataQuality),
    /// A referral to an agency that does not take this category: the category.
    DoesNotTake(String),
    /// A referral move its state machine refuses.
    Referral(ReferralMoveError),
    /// A time that has not come yet (a contact cannot be recorded before it happens).
    InFuture,
    /// A biometric template that cannot be kept (see `hamafza_core::biometrics`).
    Template(hamafza_core::biometrics::TemplateError),
    /// The person's consent does not allow keeping this.
    WithoutConsent,
}

/// In English, for logs and the operator's command line (people read the web crate's
/// Persian `words`).
impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Required => f.write_str("required"),
            Rule::TooLong { max } => write!(f, "longer than {max} characters"),
            Rule::Malformed(Form::DatabaseUrl) => {
                f.write_str("must begin with sqlite: or postgres://")
            }
            Rule::Malformed(form) => write!(f, "not in the form {form:?}"),
            Rule::Between { min, max } => write!(f, "not a whole number from {min} to {max}"),
            Rule::Positive => f.write_str("not a number above zero"),
            Rule::Unknown(v) => write!(f, "«{v}» not found"),
            Rule::Repeated(v) => write!(f, "«{v}» given twice"),
            Rule::Taken(v) => write!(f, "«{v}» already on record"),
            Rule::Elsewhere => f.write_str("of another council or meeting"),
            Rule::ResponsibleAsCollaborator => {
                f.write_str("the responsible agency cannot also collaborate")
            }
            Rule::NotAMember => f.write_str("not a member of the council"),
            Rule::EmptyFile(name) => write!(f, "file «{name}» is empty"),
            Rule::NotInState(s) => write!(f, "not accepted in state {}", s.code()),
            Rule::FocusFull { limit } => write!(f, "the council keeps at most {limit} in focus"),
            Rule::FocusFullInFile {
                limit,
                in_file,
                already,
            } => write!(
                f,
                "the council keeps at most {limit} in focus; the file has {in_file} and {already} are already"
            ),
            Rule::NoRows => f.write_str("the file has no rows"),
            Rule::Move(e) => write!(f, "{e:?}"),
            Rule::ParentNotAbove(code) => write!(f, "parent «{code}» is not of a higher level"),
            Rule::NoParentFound => {
                f.write_str("no parent_code and no higher place contains the boundary")
            }
            Rule::NotExpected => f.write_str("not expected here"),
            Rule::Geometry(reason) => write!(f, "geometry: {reason}"),
            Rule::MissingColumns(c) => write!(f, "missing columns {}", c.join(", ")),
            Rule::Date(e) => write!(f, "{e:?}"),
            Rule::Item { position, rule } => write!(f, "item {position}: {rule}"),
            Rule::NationalId(e) => write!(f, "national id: {e:?}"),
            Rule::Birth(e) => write!(f, "birth: {e:?}"),
            Rule::ValueWithUnknown(q) => write!(f, "a value given as {}", q.code()),
            Rule::DoesNotTake(c) => write!(f, "the agency does not take «{c}»"),
            Rule::Referral(e) => write!(f, "{e:?}"),
            Rule::InFuture => f.write_str("in the future"),
            Rule::Template(e) => write!(f, "template: {e:?}"),
            Rule::WithoutConsent => f.write_str("not allowed by the person's consent"),
        }
    }
}

/// The forms a value can be asked to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// 2 to 64 Latin letters, digits, dot, hyphen or underscore (agencies, councils,
    /// places).
    Code,
    /// Lower-case Latin letters, digits and underscore (indicators, categories,
    /// priority indices).
    SnakeCode,
    /// 3 to 64 lower-case Latin letters, digits, dot, hyphen or underscore.
    Username,
    /// A day (Jalali or ISO).
    Date,
    /// A Jalali date and time, or RFC 3339.
    Time,
    /// A year, quarter or month.
    Period,
    /// A number.
    Number,
    /// A whole number of zero or more.
    Count,
    /// Yes or no.
    YesNo,
    /// A resolution number such as 1404/12.
    ResolutionNumber,
    /// A database URL (`sqlite:` or `postgres://`).
    DatabaseUrl,
    /// A longitude: a number from −180 to 180.
    Longitude,
    /// A latitude: a number from −90 to 90.
    Latitude,
    /// An Iranian mobile number (09…, +98…).
    Mobile,
    /// A person's name: letters, spaces and the marks names use, nothing else.
    PersonName,
    /// A residence-card or passport number: 3 to 30 Latin letters, digits or hyphens.
    DocumentNumber,
}

/// A write refused by a constraint: a unique constraint means `field`'s value is taken,
/// a foreign key means something `missing` names does not exist.
pub(crate) fn constraint_error(
    e: sqlx::Error,
    field: &'static str,
    value: impl std::fmt::Display,
    missing: &'static str,
) -> StoreError {
    match e {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::Conflict {
            field,
            value: value.to_string(),
        },
        sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
            StoreError::invalid(missing, Rule::Unknown(String::new()))
        }
        e => StoreError::Db(e),
    }
}

impl StoreError {
    pub fn invalid(field: &'static str, rule: Rule) -> Self {
        StoreError::Invalid { field, rule }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
