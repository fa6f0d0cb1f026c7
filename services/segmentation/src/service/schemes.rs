//! Scheme calls: create, read, list, update, retire.

use crm_kit::{ApiError, ApiResult, paging, time};
use crm_proto::crm::segmentation::v1::{
    CreateSchemeRequest, GetSchemeRequest, ListSchemesRequest, ListSchemesResponse, RetireSchemeRequest, Scheme,
    SchemeState, Segment, UpdateSchemeRequest,
};

use super::{Caller, SegmentationApp, require_manager};
use crate::{
    domain::{fx, names, policy, scheme},
    store::state_name,
};
use crm_kit::call::Idempotency;

/// Fields UpdateScheme may change.
const UPDATABLE: [&str; 6] = ["display_name", "description", "bases", "segments", "thresholds", "exchange_rates"];

/// Sets each segment's resource name from its id.
fn name_segments(scheme_name: &str, segments: &mut [Segment]) {
    for s in segments {
        s.name = format!("{scheme_name}/segments/{}", s.segment_id);
        name_segments(scheme_name, &mut s.sub_segments);
    }
}

/// Trims what people type.
fn tidy(scheme: &mut Scheme) {
    fn tidy_segments(segments: &mut [Segment]) {
        for s in segments {
            s.segment_id = s.segment_id.trim().to_owned();
            s.display_name = s.display_name.trim().to_owned();
            s.rule = s.rule.trim().to_owned();
            tidy_segments(&mut s.sub_segments);
        }
    }
    scheme.display_name = scheme.display_name.trim().to_owned();
    tidy_segments(&mut scheme.segments);
}

/// A stale etag (when one is given) is ABORTED.
pub(super) fn check_etag(given: &str, current: &Scheme) -> ApiResult<()> {
    if !given.is_empty() && given != current.etag {
        return Err(ApiError::etag_mismatch(&current.name));
    }
    Ok(())
}

pub(super) fn not_in_state(current: &Scheme, wanted: &str) -> ApiError {
    let state = SchemeState::try_from(current.state).map_or("UNSPECIFIED", |s| s.as_str_name());
    ApiError::failed_precondition(
        "SCHEME_STATE_CONFLICT",
        format!("{} is {state}; this needs a scheme that is {wanted}", current.name),
    )
    .with_metadata("state", state)
}

impl SegmentationApp {
    /// CreateScheme: a DRAFT scheme with checked rules; a request id seen before replays the
    /// scheme it created.
    pub async fn create_scheme(&self, caller: &Caller, req: CreateSchemeRequest) -> ApiResult<Scheme> {
        require_manager(caller, "schemes")?;
        let Some(original) = req.scheme else { return Err(ApiError::invalid("scheme", "is required")) };
        let key = Idempotency::of(&req.request_id, &original)?;
        let mut scheme = original;
        tidy(&mut scheme);
        scheme::check(&scheme, "scheme")?;
        scheme.exchange_rates.get_or_insert_with(fx::default_rates);
        let id = uuid::Uuid::now_v7().simple().to_string();
        let name = names::scheme_name(&id);
        name_segments(&name, &mut scheme.segments);
        let created = Scheme {
            name,
            state: SchemeState::Draft as i32,
            creator: caller.principal.subject.clone(),
            activate_time: None,
            retire_time: None,
            latest_activation: String::new(),
            target_markets: Vec::new(),
            ..scheme
        };
        self.store.create_scheme(caller.write().keyed(key.as_ref()), created).await
    }

    pub async fn get_scheme(&self, caller: &Caller, req: GetSchemeRequest) -> ApiResult<Scheme> {
        policy::can_read(&caller.principal)?;
        let id = names::scheme_id("name", &req.name)?;
        self.store.get_scheme(id).await?.ok_or_else(|| ApiError::not_found(&req.name))
    }

    /// ListSchemes: newest first, optionally in one state.
    pub async fn list_schemes(&self, caller: &Caller, req: ListSchemesRequest) -> ApiResult<ListSchemesResponse> {
        policy::can_read(&caller.principal)?;
        let size = paging::page_size(req.page_size)?;
        let state = match SchemeState::try_from(req.state) {
            Ok(SchemeState::Unspecified) => None,
            Ok(_) => Some(state_name(req.state)),
            Err(_) => return Err(ApiError::invalid("state", "is not a scheme state")),
        };
        let query = format!("schemes?state={}", state.unwrap_or(""));
        let after: Option<String> = self.tokens.cursor(&query, &req.page_token)?;
        let schemes = self.store.list_schemes(state, after.as_deref(), size).await?;
        let next_page_token = match schemes.last() {
            Some(last) if schemes.len() == size => {
                self.tokens.encode(&query, &last.name.trim_start_matches("schemes/").to_owned())
            }
            _ => String::new(),
        };
        Ok(ListSchemesResponse { schemes, next_page_token })
    }

    /// UpdateScheme: masked fields only; rules (bases, segments) only while DRAFT.
    pub async fn update_scheme(&self, caller: &Caller, req: UpdateSchemeRequest) -> ApiResult<Scheme> {
        let Some(patch) = req.scheme else { return Err(ApiError::invalid("scheme", "is required")) };
        require_manager(caller, &patch.name)?;
        let id = names::scheme_id("scheme.name", &patch.name)?.to_owned();
        let paths: Vec<String> = req.update_mask.map(|m| m.paths).unwrap_or_default();
        if paths.is_empty() {
            return Err(ApiError::invalid("update_mask", "name the fields to change (or \"*\")"));
        }
        let mut fields: Vec<&str> = Vec::new();
        for path in &paths {
            match path.as_str() {
                "*" => fields.extend(UPDATABLE),
                p if UPDATABLE.contains(&p) => fields.push(p),
                other => {
                    return Err(ApiError::invalid(
                        "update_mask",
                        format!("cannot update {other}; updatable: {}", UPDATABLE.join(", ")),
                    ));
                }
            }
        }
        let mut patch = patch;
        tidy(&mut patch);
        let changes_rules = fields.iter().any(|f| matches!(*f, "bases" | "segments" | "exchange_rates"));
        let mutation = move |current: Scheme| -> ApiResult<Scheme> {
            check_etag(&patch.etag, &current)?;
            if current.state == SchemeState::Retired as i32 {
                return Err(not_in_state(&current, "not RETIRED"));
            }
            if changes_rules && current.state != SchemeState::Draft as i32 {
                return Err(not_in_state(&current, "DRAFT (bases, segments and exchange rates change only in DRAFT)"));
            }
            let mut next = current;
            for field in &fields {
                match *field {
                    "display_name" => next.display_name.clone_from(&patch.display_name),
                    "description" => next.description.clone_from(&patch.description),
                    "bases" => next.bases.clone_from(&patch.bases),
                    "segments" => next.segments.clone_from(&patch.segments),
                    "exchange_rates" => next.exchange_rates.clone_from(&patch.exchange_rates),
                    _ => next.thresholds.clone_from(&patch.thresholds),
                }
            }
            scheme::check(&next, "scheme")?;
            next.exchange_rates.get_or_insert_with(fx::default_rates);
            let scheme_name = next.name.clone();
            name_segments(&scheme_name, &mut next.segments);
            Ok(next)
        };
        self.store.update_scheme(caller.write(), &id, false, mutation).await
    }

    /// RetireScheme: a DRAFT or ACTIVE scheme stops; current memberships end now.
    pub async fn retire_scheme(&self, caller: &Caller, req: RetireSchemeRequest) -> ApiResult<Scheme> {
        require_manager(caller, &req.name)?;
        let id = names::scheme_id("name", &req.name)?.to_owned();
        let etag = req.etag;
        let mutation = move |mut current: Scheme| -> ApiResult<Scheme> {
            check_etag(&etag, &current)?;
            if !matches!(SchemeState::try_from(current.state), Ok(SchemeState::Draft | SchemeState::Active)) {
                return Err(not_in_state(&current, "DRAFT or ACTIVE"));
            }
            current.state = SchemeState::Retired as i32;
            current.retire_time = Some(time::to_timestamp(time::now_micros()));
            Ok(current)
        };
        self.store.update_scheme(caller.write(), &id, true, mutation).await
    }
}
