//! Activation: materialising a scheme's memberships for the whole portfolio as a durable
//! job (`schemes/{s}/activations/{id}`) whose progress callers read while it runs.
//!
//! ActivateScheme moves the scheme from DRAFT to ACTIVATING; from then on feed updates
//! keep its memberships current too, so clients changing during the run are never missed.
//! The worker assigns the projection in client-id order, one transaction per step, and
//! makes the scheme ACTIVE when it is through. A failure (or a stop) puts the scheme back in
//! DRAFT and marks the activation FAILED.

use std::sync::Arc;

use crm_kit::{
    ApiError, ApiResult,
    auth::Principal,
    call::WriteCtx,
    jobs::{self, Job, JobState, Progress},
    server::Shutdown,
    time,
};
use crm_proto::crm::segmentation::v1::{ActivateSchemeRequest, Activation, GetActivationRequest, Scheme, SchemeState};

use super::{
    Caller, SegmentationApp, convert, require_manager,
    schemes::{check_etag, not_in_state},
};
use crate::{
    domain::{
        names, policy,
        scheme::{self, CompiledScheme},
    },
    store::SegmentationStore,
};

/// Job kind of activations.
pub const KIND: &str = "scheme-activation";
/// Clients assigned per transaction.
const STEP: usize = 500;
/// Attempts of one step when the database is busy.
const STEP_ATTEMPTS: u32 = 5;

impl SegmentationApp {
    /// ActivateScheme: starts the activation of a DRAFT scheme and returns it (RUNNING).
    pub async fn activate_scheme(&self, caller: &Caller, req: ActivateSchemeRequest) -> ApiResult<Activation> {
        require_manager(caller, &req.name)?;
        let id = names::scheme_id("name", &req.name)?.to_owned();
        let current = self.store.get_scheme(&id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        check_etag(&req.etag, &current)?;
        if !self.may_activate(&current).await? {
            return Err(not_in_state(&current, "DRAFT (or ACTIVATING by an activation that stopped)"));
        }
        let compiled = scheme::check(&current, "scheme")?;
        let total = self.store.count_live().await?;
        let name = format!("{}/activations/{}", current.name, uuid::Uuid::now_v7().simple());
        let progress = self.jobs.start(&name, KIND, &current.name, &caller.principal.subject, total).await?;
        let (etag, activation, previous) = (req.etag.clone(), name.clone(), current.latest_activation.clone());
        let started = self
            .store
            .update_scheme(caller.write(), &id, false, move |mut s: Scheme| {
                check_etag(&etag, &s)?;
                let resumed = s.state == SchemeState::Activating as i32 && s.latest_activation == previous;
                if s.state != SchemeState::Draft as i32 && !resumed {
                    return Err(not_in_state(&s, "DRAFT"));
                }
                s.state = SchemeState::Activating as i32;
                s.latest_activation = activation;
                Ok(s)
            })
            .await;
        if let Err(err) = started {
            if let Err(e) = progress.fail(&err.to_string()).await {
                tracing::error!(error = %e, "could not record a refused activation");
            }
            return Err(err);
        }
        let worker = Worker {
            store: Arc::clone(&self.store),
            scheme_id: id,
            compiled: Arc::new(compiled),
            principal: caller.principal.clone(),
            request_id: caller.request_id.clone(),
            shutdown: self.shutdown.clone(),
        };
        tokio::spawn(worker.run(progress, total));
        let job = self.jobs.get(&name).await?.ok_or_else(|| ApiError::not_found(&name))?;
        Ok(convert::activation(&job))
    }

    /// Whether `scheme` may be activated: it is DRAFT, or ACTIVATING by an activation that
    /// is no longer running (failed, or without progress for `jobs::STALE_AFTER`: its runner,
    /// perhaps another replica, stopped).
    async fn may_activate(&self, scheme: &Scheme) -> ApiResult<bool> {
        match SchemeState::try_from(scheme.state) {
            Ok(SchemeState::Draft) => Ok(true),
            Ok(SchemeState::Activating) => {
                let job = self.jobs.get(&scheme.latest_activation).await?;
                Ok(job.is_none_or(|j| j.state != JobState::Running || stale(&j)))
            }
            _ => Ok(false),
        }
    }

    /// GetActivation: an activation whose runner shows no progress for `jobs::STALE_AFTER`
    /// is shown FAILED.
    pub async fn get_activation(&self, caller: &Caller, req: GetActivationRequest) -> ApiResult<Activation> {
        policy::can_read(&caller.principal)?;
        names::activation_scheme("name", &req.name)?;
        let job = self.jobs.get(&req.name).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        if job.kind != KIND {
            return Err(ApiError::not_found(&req.name));
        }
        if job.state == JobState::Running && stale(&job) {
            let stopped = Job {
                state: JobState::Failed,
                error: "no progress for a long time: the activation stopped; activate the scheme again".to_owned(),
                ..job
            };
            return Ok(convert::activation(&stopped));
        }
        Ok(convert::activation(&job))
    }

    /// At start-up: activations a stop interrupted are FAILED (see `Jobs::fail_interrupted`)
    /// and their schemes DRAFT again.
    pub async fn recover(&self) -> ApiResult<()> {
        let interrupted = self.jobs.fail_interrupted().await?;
        let system = Principal::system("segmentation-recovery");
        let ctx = WriteCtx::internal(&system, "RecoverActivation", "");
        let stuck = self.store.list_schemes(Some(SchemeState::Activating.as_str_name()), None, 1000).await?;
        for s in stuck {
            // On PostgreSQL another replica may still be running it.
            let job = self.jobs.get(&s.latest_activation).await?;
            if job.is_some_and(|j| j.state == JobState::Running) {
                continue;
            }
            let id = s.name.trim_start_matches("schemes/").to_owned();
            self.store.update_scheme(ctx, &id, false, back_to_draft(s.latest_activation.clone())).await?;
        }
        if interrupted > 0 {
            tracing::warn!(interrupted, "activations interrupted by a stop were marked failed");
        }
        Ok(())
    }
}

/// Whether a running job has shown no progress for `jobs::STALE_AFTER`.
fn stale(job: &Job) -> bool {
    let limit = i64::try_from(jobs::STALE_AFTER.as_micros()).unwrap_or(i64::MAX);
    time::now_micros().saturating_sub(job.update_time) > limit
}

/// A mutation putting an ACTIVATING scheme of `activation` back in DRAFT (no-op otherwise).
fn back_to_draft(activation: String) -> impl FnOnce(Scheme) -> ApiResult<Scheme> + Send {
    move |mut s: Scheme| {
        if s.state == SchemeState::Activating as i32 && s.latest_activation == activation {
            s.state = SchemeState::Draft as i32;
        }
        Ok(s)
    }
}

struct Worker {
    store: Arc<SegmentationStore>,
    scheme_id: String,
    compiled: Arc<CompiledScheme>,
    principal: Principal,
    request_id: String,
    shutdown: Shutdown,
}

impl Worker {
    fn ctx(&self, action: &'static str) -> WriteCtx<'_> {
        WriteCtx::internal(&self.principal, action, &self.request_id)
    }

    async fn run(self, mut progress: Progress, total: i64) {
        let name = progress.name().to_owned();
        let outcome = self.assign_all(&mut progress, total).await;
        let ended = match outcome {
            Ok(processed) => {
                let detail = format!("{{\"assigned\":{processed}}}");
                match self.finish(&name).await {
                    Ok(()) => progress.succeed(&detail).await,
                    Err(err) => self.abandon(progress, &name, &err.to_string()).await,
                }
            }
            Err(err) => self.abandon(progress, &name, &err.to_string()).await,
        };
        if let Err(err) = ended {
            tracing::error!(activation = %name, error = %err, "could not record the end of an activation");
        }
    }

    /// Assigns every client; returns how many live clients were assigned.
    async fn assign_all(&self, progress: &mut Progress, total: i64) -> ApiResult<i64> {
        let (mut after, mut processed) = (String::new(), 0_i64);
        loop {
            if self.shutdown.is_cancelled() {
                return Err(ApiError::unavailable("SHUTTING_DOWN", "the service stopped during the activation"));
            }
            let mut attempt = 0;
            let step = loop {
                let ctx = self.ctx("ActivationStep");
                match self.store.activation_step(ctx, &self.scheme_id, &self.compiled, &after, STEP).await {
                    Err(err) if err.code() == tonic::Code::Unavailable && attempt + 1 < STEP_ATTEMPTS => {
                        attempt += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                    }
                    other => break other?,
                }
            };
            let Some(last) = step.last else { return Ok(processed) };
            after = last;
            processed += step.live;
            progress.advance(processed, total.max(processed)).await?;
        }
    }

    async fn finish(&self, activation: &str) -> ApiResult<()> {
        let activation = activation.to_owned();
        self.store
            .update_scheme(self.ctx("CompleteActivation"), &self.scheme_id, false, move |mut s: Scheme| {
                if s.state != SchemeState::Activating as i32 || s.latest_activation != activation {
                    return Err(not_in_state(&s, "ACTIVATING by this activation"));
                }
                s.state = SchemeState::Active as i32;
                s.activate_time = Some(time::to_timestamp(time::now_micros()));
                Ok(s)
            })
            .await
            .map(|_| ())
    }

    async fn abandon(&self, progress: Progress, activation: &str, error: &str) -> ApiResult<()> {
        tracing::warn!(activation, error, "activation failed");
        let reverted = self
            .store
            .update_scheme(self.ctx("AbandonActivation"), &self.scheme_id, false, back_to_draft(activation.to_owned()))
            .await;
        progress.fail(error).await?;
        reverted.map(|_| ())
    }
}
