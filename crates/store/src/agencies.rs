//! Agencies (دستگاه‌ها): the municipality, police, welfare and the rest.

use hamafza_core::access::Scope;
use hamafza_core::agency::{AgencyKind, valid_code};
use hamafza_core::ids::{AgencyId, PlaceId};
use hamafza_core::text;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::constraint_error;
use crate::{Form, Rule, Store, StoreError, StoreResult, Who, now_text};

#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub id: AgencyId,
    pub code: String,
    pub name_fa: String,
    pub kind: AgencyKind,
    pub place_id: Option<PlaceId>,
}

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub code: String,
    pub name_fa: String,
    pub kind: AgencyKind,
    pub place_id: Option<PlaceId>,
}

fn agency_from_row(r: &AnyRow) -> StoreResult<Agency> {
    let kind: String = r.try_get("kind")?;
    Ok(Agency {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_fa: r.try_get("name_fa")?,
        kind: AgencyKind::from_code(&kind).unwrap_or(AgencyKind::Other),
        place_id: r.try_get("place_id")?,
    })
}

impl Store {
    pub async fn create_agency(&self, who: &Who, new: &NewAgency) -> StoreResult<Agency> {
        if !valid_code(&new.code) {
            return Err(StoreError::invalid("code", Rule::Malformed(Form::Code)));
        }
        let name = new.name_fa.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name_fa", Rule::Required));
        }
        if name.chars().count() > 200 {
            return Err(StoreError::invalid("name_fa", Rule::TooLong { max: 200 }));
        }
        let id = AgencyId::new();
        let mut w = self.write_tx().await?;
        sqlx::query("INSERT INTO agencies (id, code, name_fa, kind, place_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(&new.code)
            .bind(name)
            .bind(new.kind.code())
            .bind(new.place_id)
            .bind(now_text())
            .execute(&mut *w.tx)
            .await
            .map_err(|e| constraint_error(e, "code", &new.code, "place_id"))?;
        w.audit(
            who,
            "agency.create",
            "agency",
            &id,
            serde_json::json!({"after": {"code": new.code, "kind": new.kind.code(), "place_id": new.place_id}}),
        )
        .await?;
        // Counts of users and agencies are kept by servers (the home page).
        crate::operations::bump_data_version(&mut w.tx, "accounts").await?;
        w.commit().await?;
        Ok(Agency {
            id,
            code: new.code.clone(),
            name_fa: name.to_string(),
            kind: new.kind,
            place_id: new.place_id,
        })
    }

    /// Every agency, in Persian alphabetical order. The directory of agencies is open to
    /// every signed-in user: knowing who else works on an issue is the point.
    /// `scope` comes from `ViewAgencies`.
    pub async fn list_agencies(&self, scope: &Scope) -> StoreResult<Vec<Agency>> {
        let sql = format!(
            "SELECT id, code, name_fa, kind, place_id FROM agencies WHERE {}",
            crate::scope_sql::shared(scope)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut out = rows
            .iter()
            .map(agency_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        text::sort_fa_by(&mut out, |a| &a.name_fa);
        Ok(out)
    }

    pub async fn agency_by_code(&self, code: &str) -> StoreResult<Option<Agency>> {
        let row =
            sqlx::query("SELECT id, code, name_fa, kind, place_id FROM agencies WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(agency_from_row).transpose()
    }

    pub async fn agency(&self, id: AgencyId) -> StoreResult<Agency> {
        let row =
            sqlx::query("SELECT id, code, name_fa, kind, place_id FROM agencies WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        agency_from_row(&row)
    }
}
