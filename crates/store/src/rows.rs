//! Many rows in few statements: a bulk write (an agency's list, a benchmark's million
//! people) costs a round trip per few hundred rows instead of one per row.

use crate::StoreResult;

/// One value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for Bind {
    fn from(v: String) -> Self {
        Bind::Text(Some(v))
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Self {
        Bind::Text(Some(v.to_string()))
    }
}

impl From<Option<String>> for Bind {
    fn from(v: Option<String>) -> Self {
        Bind::Text(v)
    }
}

impl From<Option<&str>> for Bind {
    fn from(v: Option<&str>) -> Self {
        Bind::Text(v.map(str::to_string))
    }
}

impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(Some(v))
    }
}

/// Parameters per statement. SQLite allows 32,766, but binding `$n` by name costs a
/// scan of the statement's parameters each, so a statement's binding time grows with
/// the square of its parameters: a thousand keeps that small and round trips few.
const MAX_PARAMS: usize = 1_000;

/// Rows for one table, written by [`Rows::insert`].
pub(crate) struct Rows {
    table: &'static str,
    columns: Vec<&'static str>,
    /// What follows the VALUES list (e.g. an ON CONFLICT clause).
    tail: &'static str,
    values: Vec<Bind>,
}

impl Rows {
    pub(crate) fn new(table: &'static str, columns: &[&'static str]) -> Self {
        Rows {
            table,
            columns: columns.to_vec(),
            tail: "",
            values: Vec::new(),
        }
    }

    /// The same, ending every statement with `tail`.
    pub(crate) fn with_tail(mut self, tail: &'static str) -> Self {
        self.tail = tail;
        self
    }

    /// Adds a row: one value per column, in the columns' order.
    pub(crate) fn push(&mut self, row: Vec<Bind>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.values.extend(row);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Writes every row, a few hundred per statement.
    pub(crate) async fn insert(&self, tx: &mut sqlx::AnyConnection) -> StoreResult<()> {
        let width = self.columns.len();
        let per_statement = (MAX_PARAMS / width).max(1);
        for chunk in self.values.chunks(per_statement * width) {
            let rows = chunk.len() / width;
            let tuples: Vec<String> = (0..rows)
                .map(|r| {
                    let params: Vec<String> =
                        (1..=width).map(|c| format!("${}", r * width + c)).collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {} {}",
                self.table,
                self.columns.join(", "),
                tuples.join(", "),
                self.tail
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in chunk {
                query = match v {
                    Bind::Text(t) => query.bind(t.clone()),
                    Bind::Int(i) => query.bind(*i),
                };
            }
            query.execute(&mut *tx).await?;
        }
        Ok(())
    }
}
