use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("خطای پایگاه داده: {0}")]
    Db(#[from] sqlx::Error),
    #[error("پیدا نشد")]
    NotFound,
    /// The access policy refused, with its Persian reason.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Input that breaks a rule: the field at fault (empty when it is the record as a
    /// whole) and the rule's own words, in Persian.
    #[error("{reason}")]
    Invalid { field: &'static str, reason: String },
    /// Something stored that the code cannot read: a bug or a damaged database, never the
    /// caller's fault (a 500 that logs the detail).
    #[error("داده‌های ذخیره‌شده خوانا نیست: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(String),
}

/// A write refused by a constraint, as the Persian refusal its caller expects: a unique
/// constraint means a duplicate, a foreign key means something referred to is missing.
pub(crate) fn constraint_error(
    e: sqlx::Error,
    duplicate: impl Into<String>,
    missing: impl Into<String>,
) -> StoreError {
    match e {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => {
            StoreError::Conflict(duplicate.into())
        }
        sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
            StoreError::invalid("", missing.into())
        }
        e => StoreError::Db(e),
    }
}

impl StoreError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
