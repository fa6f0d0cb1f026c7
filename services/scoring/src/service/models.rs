//! Value model calls: read a version, create the next one.

use crm_kit::{ApiError, ApiResult, auth::Principal};
use crm_proto::crm::scoring::v1::{GetValueModelRequest, UpdateValueModelRequest, ValueModel};

use super::{Caller, ScoringApp};
use crate::{
    domain::{
        model::{self, Params},
        model_update,
        names::{self, ModelRef},
        policy,
    },
    store::WriteCtx,
};

impl ScoringApp {
    /// Creates the built-in value model as version 1 on a database without one (as the
    /// system, action `CreateValueModel`); returns the current version.
    pub(crate) async fn ensure_model(&self) -> ApiResult<ValueModel> {
        let system = Principal::system("scoring");
        let ctx = WriteCtx::internal(&system, "CreateValueModel", "");
        self.store.ensure_model(ctx, model::default_model()).await
    }

    /// The current model (created on first start, so always present).
    pub(super) async fn current_model(&self) -> ApiResult<ValueModel> {
        self.store
            .current_model()
            .await?
            .ok_or_else(|| ApiError::unavailable("NO_VALUE_MODEL", "the value model is not initialised yet; retry"))
    }

    /// The current model with its exact parameters.
    pub(super) async fn current_params(&self) -> ApiResult<(ValueModel, Params)> {
        let current = self.current_model().await?;
        let params = model::validate(&current).map_err(|err| {
            ApiError::internal(anyhow::anyhow!("stored value model v{} is invalid: {err}", current.version))
        })?;
        Ok((current, params))
    }

    /// GetValueModel: every role may read the model.
    pub async fn get_value_model(&self, _caller: &Caller, req: GetValueModelRequest) -> ApiResult<ValueModel> {
        let which = names::model_ref(&req.name)
            .ok_or_else(|| ApiError::invalid("name", "must be valueModels/current or valueModels/{version}"))?;
        match which {
            ModelRef::Current => self.current_model().await,
            ModelRef::Version(v) => self.store.model(v).await?.ok_or_else(|| ApiError::not_found(&req.name)),
        }
    }

    /// UpdateValueModel: a new version from the current one with the masked fields changed.
    pub async fn update_value_model(&self, caller: &Caller, req: UpdateValueModelRequest) -> ApiResult<ValueModel> {
        policy::can_update_model(&caller.principal).map_err(|e| e.with_resource("valueModels"))?;
        let Some(changes) = req.value_model else { return Err(ApiError::invalid("value_model", "is required")) };
        let which = names::model_ref(&changes.name).ok_or_else(|| {
            ApiError::invalid("value_model.name", "must be valueModels/current or the current version's name")
        })?;
        let current = self.current_model().await?;
        let stale = matches!(which, ModelRef::Version(v) if v != current.version)
            || (!changes.etag.is_empty() && changes.etag != current.etag);
        if stale {
            return Err(
                ApiError::etag_mismatch(&current.name).with_metadata("current_version", current.version.to_string())
            );
        }
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let mut next = model_update::apply_mask(&current, &changes, &paths)?;
        let params = model::validate(&next)?;
        model_update::normalize(&mut next, &params);
        self.store.create_model_version(caller.write(), next, current.version).await
    }
}
