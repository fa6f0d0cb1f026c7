//! Value model versions: append-only, the highest version is current.

use crm_kit::{
    ApiError, ApiResult, audit,
    auth::Principal,
    time::{self, now_micros},
};
use crm_proto::crm::scoring::v1::ValueModel;
use prost::Message;
use sqlx::{Any, Transaction};

use super::{
    WriteCtx,
    sql::{SqlScoringStore, doc},
};
use crate::domain::names;

/// Etag of a model version.
pub fn model_etag(version: i64) -> String {
    format!("v{version}")
}

impl SqlScoringStore {
    async fn max_version(tx: &mut Transaction<'_, Any>) -> ApiResult<i64> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM value_models").fetch_one(&mut **tx).await?;
        Ok(max.unwrap_or(0))
    }

    /// Inserts `model` as `version` unless that version exists; returns whether it did.
    async fn insert_version(
        tx: &mut Transaction<'_, Any>,
        model: &mut ValueModel,
        version: i64,
        creator: &str,
    ) -> ApiResult<bool> {
        let now = now_micros();
        model.name = names::model_name(version);
        model.version = version;
        model.etag = model_etag(version);
        model.create_time = Some(time::to_timestamp(now));
        model.creator = creator.to_owned();
        let inserted = sqlx::query(
            "INSERT INTO value_models (version, create_time, doc) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(now)
        .bind(model.encode_to_vec())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub(super) async fn ensure_first_model(&self, mut model: ValueModel) -> ApiResult<ValueModel> {
        let mut tx = self.db.begin_write().await?;
        if Self::max_version(&mut tx).await? == 0 {
            let system = Principal::system("scoring");
            if Self::insert_version(&mut tx, &mut model, 1, &system.subject).await? {
                let ctx = WriteCtx::internal(&system, "CreateValueModel", "");
                audit::append_write(&mut tx, ctx, &model.name, "built-in first version".into()).await?;
            }
        }
        tx.commit().await?;
        self.read_current_model()
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no value model after creating the first one")))
    }

    pub(super) async fn read_current_model(&self) -> ApiResult<Option<ValueModel>> {
        let row = sqlx::query("SELECT doc FROM value_models ORDER BY version DESC LIMIT 1")
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn read_model(&self, version: i64) -> ApiResult<Option<ValueModel>> {
        let row = sqlx::query("SELECT doc FROM value_models WHERE version = $1")
            .bind(version)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn insert_model_version(
        &self,
        ctx: WriteCtx<'_>,
        mut model: ValueModel,
        based_on: i64,
    ) -> ApiResult<ValueModel> {
        let stale = || ApiError::etag_mismatch(names::model_name(based_on));
        let mut tx = self.db.begin_write().await?;
        if Self::max_version(&mut tx).await? != based_on {
            return Err(stale());
        }
        let version = based_on + 1;
        if !Self::insert_version(&mut tx, &mut model, version, &ctx.principal.subject).await? {
            return Err(stale());
        }
        audit::append_write(&mut tx, ctx, &model.name, format!("new version based on {based_on}")).await?;
        tx.commit().await?;
        Ok(model)
    }
}
