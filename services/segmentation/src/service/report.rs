//! PreviewScheme (evaluate without committing) and GetSchemeReport (quality of the
//! materialised memberships). Reports are computed over the whole portfolio, so a computed
//! report is reused while nothing changed (the store's generation) for a few seconds.

use std::sync::Arc;

use crm_kit::{ApiError, ApiResult};
use crm_proto::crm::segmentation::v1::{
    GetSchemeReportRequest, PreviewSchemeRequest, Scheme, SchemeReport, SchemeState, preview_scheme_request::Target,
};

use super::{Caller, SegmentationApp, convert, require_manager, schemes::not_in_state};
use crate::domain::{
    names, policy,
    quality::{self, Assignment},
    scheme::{self, CompiledScheme, UNASSIGNED},
    view::ClientRecord,
};

/// Records read per projection scan.
const SCAN: usize = 1000;

impl SegmentationApp {
    /// Every live client of the projection.
    async fn live_records(&self) -> ApiResult<Vec<ClientRecord>> {
        let mut all = Vec::new();
        let mut after = String::new();
        loop {
            let batch = self.store.scan_records(&after, SCAN).await?;
            let Some(last) = batch.last() else { break };
            after.clone_from(&last.id);
            let done = batch.len() < SCAN;
            all.extend(batch.into_iter().filter(|r| !r.facts.client.deleted));
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// PreviewScheme: counts and quality of a stored or inline scheme over the current portfolio.
    pub async fn preview_scheme(&self, caller: &Caller, req: PreviewSchemeRequest) -> ApiResult<SchemeReport> {
        let scheme = match req.target {
            Some(Target::Name(name)) => {
                require_manager(caller, &name)?;
                let id = names::scheme_id("name", &name)?;
                self.store.get_scheme(id).await?.ok_or_else(|| ApiError::not_found(&name))?
            }
            Some(Target::Scheme(scheme)) => {
                require_manager(caller, "schemes")?;
                Scheme { name: String::new(), state: SchemeState::Unspecified as i32, ..scheme }
            }
            None => return Err(ApiError::invalid("target", "give the name of a scheme or a scheme")),
        };
        let compiled = Arc::new(scheme::check(&scheme, "scheme")?);
        let records = self.live_records().await?;
        let (records, paths) =
            scheme::assign_off_runtime(vec![Arc::clone(&compiled)], records, caller.deadline).await?;
        let assignments: Vec<Assignment<'_>> = records
            .iter()
            .zip(paths)
            .map(|(record, mut per_scheme)| Assignment {
                record,
                path: indexes(&compiled, &per_scheme.pop().unwrap_or_default()),
            })
            .collect();
        let name = if scheme.name.is_empty() { "schemes/-".to_owned() } else { scheme.name.clone() };
        let measures = quality::measure(&name, &compiled, &scheme.thresholds.clone().unwrap_or_default(), &assignments);
        Ok(convert::report(&Scheme { name, ..scheme }, measures, &compiled.fx))
    }

    /// GetSchemeReport: quality of an ACTIVE (or ACTIVATING) scheme's current memberships.
    pub async fn get_scheme_report(&self, caller: &Caller, req: GetSchemeReportRequest) -> ApiResult<SchemeReport> {
        policy::can_read(&caller.principal)?;
        let id = names::scheme_id("name", &req.name)?;
        let max_staleness = staleness(req.max_staleness.as_ref())?;
        let scheme = self.store.get_scheme(id).await?.ok_or_else(|| ApiError::not_found(&req.name))?;
        let key = format!("{}@{}", scheme.name, scheme.etag);
        let shown = |report: &SchemeReport| withheld(report.clone(), &caller.principal);
        if let Some(report) = self.reports.get(&key, self.store.generation(), max_staleness) {
            return Ok(shown(&report));
        }
        let _computing = self.reports.computing().await;
        let generation = self.store.generation();
        // Computed by the caller this one waited for?
        if let Some(report) = self.reports.get(&key, generation, max_staleness) {
            return Ok(shown(&report));
        }
        let m = self.materialised(&scheme).await?;
        let thresholds = scheme.thresholds.clone().unwrap_or_default();
        let measures = quality::measure(&scheme.name, &m.compiled, &thresholds, &m.assignments());
        let report = convert::report(&scheme, measures, &m.compiled.fx);
        let shown = shown(&report);
        self.reports.put(key, generation, Arc::new(report));
        Ok(shown)
    }

    /// The current memberships of an ACTIVE (or ACTIVATING) scheme with the live clients' records.
    pub(super) async fn materialised(&self, scheme: &Scheme) -> ApiResult<Materialised> {
        if !matches!(SchemeState::try_from(scheme.state), Ok(SchemeState::Active | SchemeState::Activating)) {
            return Err(not_in_state(scheme, "ACTIVE (preview a DRAFT scheme with PreviewScheme)"));
        }
        let compiled = scheme::check(scheme, "scheme")?;
        let paths = self.store.current_paths(scheme.name.trim_start_matches("schemes/")).await?;
        let mut records = self.live_records().await?;
        records.retain(|r| paths.contains_key(&r.id));
        let paths =
            records.iter().map(|r| paths.get(&r.id).map(|p| indexes(&compiled, p)).unwrap_or_default()).collect();
        Ok(Materialised { compiled, records, paths })
    }
}

/// A scheme's current memberships with the members' records.
pub(super) struct Materialised {
    pub compiled: CompiledScheme,
    records: Vec<ClientRecord>,
    paths: Vec<Vec<usize>>,
}

impl Materialised {
    /// Each member with its segment path.
    pub fn assignments(&self) -> Vec<Assignment<'_>> {
        self.records.iter().zip(&self.paths).map(|(record, path)| Assignment { record, path: path.clone() }).collect()
    }
}

/// Segment indexes of a path of ids (the unassigned bucket is the empty path).
fn indexes(compiled: &CompiledScheme, ids: &[String]) -> Vec<usize> {
    ids.iter().filter(|id| id.as_str() != UNASSIGNED).filter_map(|id| compiled.index_of(id)).collect()
}

/// The report as `principal` may see it: without revenue and mean value for roles that do
/// not see money.
fn withheld(mut report: SchemeReport, principal: &crm_kit::auth::Principal) -> SchemeReport {
    if !policy::sees_money(principal) {
        for segment in &mut report.segments {
            segment.total_revenue = None;
            segment.mean_value = 0.0;
        }
    }
    report
}

/// Longest `max_staleness` accepted.
const MAX_STALENESS: std::time::Duration = std::time::Duration::from_secs(3600);

/// The caller's `max_staleness` (zero when unset); INVALID_ARGUMENT when negative or above
/// an hour.
fn staleness(requested: Option<&prost_types::Duration>) -> ApiResult<std::time::Duration> {
    let Some(d) = requested else { return Ok(std::time::Duration::ZERO) };
    match std::time::Duration::try_from(*d) {
        Ok(d) if d <= MAX_STALENESS => Ok(d),
        _ => Err(ApiError::invalid("max_staleness", "must be between 0 and 1 hour")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_centre_agents_get_reports_without_money() {
        use crm_kit::auth::{Principal, Role};
        use crm_proto::{crm::segmentation::v1::SegmentQuality, google::r#type::Money};
        let revenue = Some(Money { currency_code: "CNY".into(), units: 3_000_000, nanos: 0 });
        let segment =
            SegmentQuality { member_count: 1, total_revenue: revenue, mean_value: 90.0, ..Default::default() };
        let report = SchemeReport { segments: vec![segment], ..Default::default() };
        let who = |role| Principal { subject: "u".into(), role, portfolio: None };
        let agent = withheld(report.clone(), &who(Role::ContactCentreAgent));
        assert_eq!((agent.segments[0].total_revenue.as_ref(), agent.segments[0].mean_value), (None, 0.0));
        assert_eq!(agent.segments[0].member_count, 1);
        assert_eq!(withheld(report.clone(), &who(Role::MarketingAnalyst)), report);
    }

    #[test]
    fn staleness_is_bounded_and_defaults_to_none() {
        assert_eq!(staleness(None).expect("unset"), std::time::Duration::ZERO);
        let minute = prost_types::Duration { seconds: 60, nanos: 0 };
        assert_eq!(staleness(Some(&minute)).expect("a minute"), std::time::Duration::from_secs(60));
        let negative = prost_types::Duration { seconds: -1, nanos: 0 };
        assert_eq!(staleness(Some(&negative)).expect_err("negative").violations()[0].field, "max_staleness");
        let day = prost_types::Duration { seconds: 86_400, nanos: 0 };
        assert!(staleness(Some(&day)).is_err());
    }
}
