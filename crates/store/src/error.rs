use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("خطای پایگاه داده: {0}")]
    Db(#[from] sqlx::Error),
    #[error("پیدا نشد")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Io(String),
}

impl StoreError {
    /// True when a unique constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
