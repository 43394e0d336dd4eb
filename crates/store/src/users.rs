//! User accounts: one agency, roles, a jurisdiction of places.

use hamafza_core::access::{Actor, Role, Scope, Target};
use hamafza_core::audit::personal_digest;
use hamafza_core::ids::{AgencyId, PlaceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::error::constraint_error;
use crate::{Form, Rule, Store, StoreError, StoreResult, Who, now_text};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub roles: Vec<Role>,
    /// Place ids of the jurisdiction.
    pub jurisdiction: Vec<PlaceId>,
    #[serde(skip)]
    pub jurisdiction_paths: Vec<String>,
    pub active: bool,
}

impl User {
    /// This account as the record an access decision is about.
    pub fn as_target(&self) -> Target<'_> {
        Target::User {
            agency_id: self.agency_id.uuid(),
            roles: &self.roles,
            jurisdiction: &self.jurisdiction_paths,
        }
    }

    /// The caller as the access policy sees it. (The ids were checked when the row was
    /// read: an unreadable one refuses the row, it never becomes the nil UUID.)
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id.uuid(),
            agency_id: self.agency_id.uuid(),
            roles: self.roles.clone(),
            jurisdiction: self.jurisdiction_paths.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub agency_id: AgencyId,
    pub roles: Vec<Role>,
    pub jurisdiction: Vec<PlaceId>,
    /// argon2id PHC string; hashing happens in the web layer.
    pub password_hash: String,
}

/// Usernames: 3–64 lower-case ASCII letters, digits, `.`, `_`, `-`.
pub fn valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

const USER_COLUMNS: &str = "id, username, display_name, agency_id, active";

impl Store {
    async fn user_from_row(&self, r: &AnyRow) -> StoreResult<User> {
        let id: UserId = r.try_get("id")?;
        let roles: Vec<String> =
            sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let juris: Vec<(PlaceId, String)> = sqlx::query_as(
            "SELECT p.id, p.path FROM user_jurisdiction j JOIN places p ON p.id = j.place_id WHERE j.user_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut roles: Vec<Role> = roles.iter().filter_map(|r| Role::from_code(r)).collect();
        roles.sort();
        Ok(User {
            id,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            agency_id: r.try_get("agency_id")?,
            roles,
            jurisdiction: juris.iter().map(|(id, _)| *id).collect(),
            jurisdiction_paths: juris.into_iter().map(|(_, p)| p).collect(),
            active: r.try_get::<i64, _>("active")? != 0,
        })
    }

    pub async fn create_user(&self, who: &Who, new: &NewUser) -> StoreResult<User> {
        if !valid_username(&new.username) {
            return Err(StoreError::invalid(
                "username",
                Rule::Malformed(Form::Username),
            ));
        }
        let display = new.display_name.trim();
        if display.chars().count() > 200 {
            return Err(StoreError::invalid(
                "display_name",
                Rule::TooLong { max: 200 },
            ));
        }
        if new.roles.is_empty() {
            return Err(StoreError::invalid("roles", Rule::Required));
        }
        let id = UserId::new();
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, agency_id, password_hash, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)",
        )
        .bind(id)
        .bind(&new.username)
        .bind(if display.is_empty() { new.username.as_str() } else { display })
        .bind(new.agency_id)
        .bind(&new.password_hash)
        .bind(now_text())
        .execute(&mut *w.tx)
        .await
        .map_err(|e| constraint_error(e, "username", &new.username, "agency_id"))?;
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        for role in &roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role.code())
                .execute(&mut *w.tx)
                .await?;
        }
        let mut places = new.jurisdiction.clone();
        places.sort();
        places.dedup();
        for place in &places {
            sqlx::query("INSERT INTO user_jurisdiction (user_id, place_id) VALUES ($1, $2)")
                .bind(id)
                .bind(place)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "jurisdiction", place, "jurisdiction"))?;
        }
        w.audit(
            who,
            "user.create",
            "user",
            &id,
            serde_json::json!({"after": {
                "username": personal_digest(&new.username),
                "agency_id": new.agency_id,
                "roles": roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                "jurisdiction": places,
            }}),
        )
        .await?;
        // Counts of users and agencies are kept by servers (the home page).
        crate::operations::bump_data_version(&mut w.tx, "accounts").await?;
        w.commit().await?;
        self.user(id).await
    }

    pub async fn user(&self, id: UserId) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.user_from_row(&row).await
    }

    /// The user and their password hash, for sign-in.
    pub async fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let hash: String = row.try_get("password_hash")?;
        Ok(Some((self.user_from_row(&row).await?, hash)))
    }

    /// Users the caller may see.
    pub async fn list_users(&self, scope: &Scope) -> StoreResult<Vec<User>> {
        let mut binds = Vec::new();
        let cond = crate::scope_sql::owned_by_agency(scope, "agency_id", &mut binds);
        let rows = crate::query_with(
            format!("SELECT {USER_COLUMNS} FROM users WHERE {cond} ORDER BY username"),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.user_from_row(r).await?);
        }
        Ok(out)
    }

    pub async fn set_user_active(&self, who: &Who, id: UserId, active: bool) -> StoreResult<User> {
        let mut w = self.write_tx().await?;
        let n = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if !active {
            // A deactivated account loses its sessions and tokens at once.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now_text())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            who,
            if active {
                "user.activate"
            } else {
                "user.deactivate"
            },
            "user",
            &id,
            serde_json::json!({"after": {"active": active}}),
        )
        .await?;
        crate::operations::bump_data_version(&mut w.tx, "accounts").await?;
        w.commit().await?;
        self.user(id).await
    }

    pub async fn count_users(&self, scope: &Scope) -> StoreResult<i64> {
        let mut binds = Vec::new();
        let cond = crate::scope_sql::owned_by_agency(scope, "agency_id", &mut binds);
        let row = crate::query_with(
            format!("SELECT COUNT(*) AS n FROM users WHERE {cond}"),
            &binds,
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
