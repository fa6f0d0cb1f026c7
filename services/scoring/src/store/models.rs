//! Value model versions: append-only, the highest version is current.

use crm_kit::{
    ApiError, ApiResult,
    time::{self, now_micros},
    write::Work,
};
use crm_proto::crm::scoring::v1::ValueModel;
use prost::Message;

use super::{ScoringStore, WriteCtx};
use crate::domain::names;

fn model_etag(version: i64) -> String {
    format!("v{version}")
}

async fn max_version(w: &mut Work<'_>) -> ApiResult<i64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM value_models").fetch_one(w.conn()).await?;
    Ok(max.unwrap_or(0))
}

/// Inserts `model` as `version`, created by the writer, unless that version exists; returns
/// whether it did.
async fn insert_version(w: &mut Work<'_>, model: &mut ValueModel, version: i64) -> ApiResult<bool> {
    let now = now_micros();
    model.name = names::model_name(version);
    model.version = version;
    model.etag = model_etag(version);
    model.create_time = Some(time::to_timestamp(now));
    model.creator.clone_from(&w.ctx().principal.subject);
    let inserted = sqlx::query(
        "INSERT INTO value_models (version, create_time, doc) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
    )
    .bind(version)
    .bind(now)
    .bind(model.encode_to_vec())
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

impl ScoringStore {
    /// Stores `model` as version 1 unless a version exists; returns the current version.
    pub async fn ensure_model(&self, ctx: WriteCtx<'_>, mut model: ValueModel) -> ApiResult<ValueModel> {
        self.writer
            .run(ctx, async |w| {
                if max_version(w).await? == 0 && insert_version(w, &mut model, 1).await? {
                    w.audit(&model.name, "built-in first version").await?;
                }
                Ok(())
            })
            .await?;
        self.current_model()
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no value model after creating the first one")))
    }

    /// The newest model version.
    pub async fn current_model(&self) -> ApiResult<Option<ValueModel>> {
        self.optional_doc(sqlx::query("SELECT doc FROM value_models ORDER BY version DESC LIMIT 1")).await
    }

    /// Version `version` of the model, if it exists.
    pub async fn model(&self, version: i64) -> ApiResult<Option<ValueModel>> {
        self.optional_doc(sqlx::query("SELECT doc FROM value_models WHERE version = $1").bind(version)).await
    }

    /// Stores `model` as the version after `based_on`; ABORTED if `based_on` is no longer current.
    pub async fn create_model_version(
        &self,
        ctx: WriteCtx<'_>,
        mut model: ValueModel,
        based_on: i64,
    ) -> ApiResult<ValueModel> {
        let stale = || ApiError::etag_mismatch(names::model_name(based_on));
        self.writer
            .run(ctx, async |w| {
                if max_version(w).await? != based_on || !insert_version(w, &mut model, based_on + 1).await? {
                    return Err(stale());
                }
                w.audit(&model.name, format!("new version based on {based_on}")).await?;
                Ok(model)
            })
            .await
    }
}
