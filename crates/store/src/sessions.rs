//! Browser sessions and API tokens. Only hashes of the secrets are stored.

use hamafza_core::ids::UserId;
use sqlx::Row;

use crate::{Store, StoreError, StoreResult, Who, new_id, now_text};

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: String,
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiToken {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl Store {
    pub async fn create_session(
        &self,
        who: &Who,
        token_hash: &str,
        user_id: UserId,
        csrf: &str,
        expires_at: &str,
    ) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        // Expired sessions are useless; clear them whenever someone signs in. (Instants are
        // stored in one fixed RFC 3339 form, so text order is time order.)
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now_text())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now_text())
            .bind(expires_at)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            who,
            "session.login",
            "user",
            &user_id,
            serde_json::json!({}),
        )
        .await?;
        w.commit().await
    }

    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(Session {
                user_id: r.try_get("user_id")?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
            }),
            None => None,
        })
    }

    pub async fn delete_session(&self, who: &Who, token_hash: &str) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        let user: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *w.tx)
                .await?;
        if let Some(user) = user {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *w.tx)
                .await?;
            w.audit(who, "session.logout", "user", &user, serde_json::json!({}))
                .await?;
        }
        crate::operations::bump_data_version(&mut w.tx, "accounts").await?;
        w.commit().await
    }

    /// Records a refused sign-in (without the name typed, which may be personal).
    pub async fn record_failed_login(
        &self,
        user_id: Option<UserId>,
        reason: &str,
    ) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        w.audit(
            &Who::system(),
            "session.login_failed",
            "user",
            &user_id.map_or_else(|| "-".to_string(), |u| u.to_string()),
            serde_json::json!({"reason": reason}),
        )
        .await?;
        w.commit().await
    }

    pub async fn create_api_token(
        &self,
        who: &Who,
        user_id: UserId,
        token_hash: &str,
        label: &str,
    ) -> StoreResult<ApiToken> {
        let id = new_id();
        let now = now_text();
        let mut w = self.write_tx().await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(user_id)
            .bind(token_hash)
            .bind(label)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            who,
            "token.create",
            "api_token",
            &id,
            serde_json::json!({"after": {"user_id": user_id, "label": label}}),
        )
        .await?;
        w.commit().await?;
        Ok(ApiToken {
            id,
            label: label.to_string(),
            created_at: now,
            revoked_at: None,
        })
    }

    /// The user a live (unrevoked) token belongs to.
    pub async fn api_token_user(&self, token_hash: &str) -> StoreResult<Option<UserId>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn revoke_api_token(
        &self,
        who: &Who,
        user_id: UserId,
        token_id: &str,
    ) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_text())
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        w.audit(
            who,
            "token.revoke",
            "api_token",
            token_id,
            serde_json::json!({}),
        )
        .await?;
        crate::operations::bump_data_version(&mut w.tx, "accounts").await?;
        w.commit().await
    }

    pub async fn list_api_tokens(&self, user_id: UserId) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, label, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }
}
