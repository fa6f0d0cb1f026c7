//! Calls to other suite services, made as this service's CHANNEL account (`svc:interaction`):
//! the profile service (does the client exist, whose portfolio, contacts, holdings) and the
//! segmentation service (the client's segments and their product penetration) and, when it
//! runs with the suite, the value scoring service (the client's value tier).

use std::{collections::BTreeSet, time::Duration};

use crm_kit::{ApiError, ApiResult, peer::PeerAuth};
use crm_proto::crm::profile::v1::{
    Client, Contact, GetClientRequest, ListContactsRequest, ListHoldingsRequest, ProductLine,
    client_profile_service_client::ClientProfileServiceClient,
};
use crm_proto::crm::scoring::v1::{
    GetValueScoreRequest, Tier, value_scoring_service_client::ValueScoringServiceClient,
};
use crm_proto::crm::segmentation::v1::{
    GetClientSegmentsRequest, GetSchemeReportRequest, SchemeReport, SegmentMembership,
    segmentation_service_client::SegmentationServiceClient,
};
use tonic::{Code, Status, service::interceptor::InterceptedService, transport::Channel};

/// How long one peer call may take.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(5);
/// Most pages read from a peer list (1000 items each).
const MAX_PAGES: usize = 20;

type Profile = ClientProfileServiceClient<InterceptedService<Channel, PeerAuth>>;
type Segmentation = SegmentationServiceClient<InterceptedService<Channel, PeerAuth>>;
type Scoring = ValueScoringServiceClient<InterceptedService<Channel, PeerAuth>>;

/// Clients of the peer services. Each call runs under [`PEER_TIMEOUT`], or less when the
/// caller's own deadline is nearer (see [`Peers::within`]).
#[derive(Clone, Debug)]
pub struct Peers {
    profile: Profile,
    segmentation: Segmentation,
    /// `None` when the suite runs without value scoring.
    scoring: Option<Scoring>,
    timeout: Duration,
}

/// Maps a peer's failure: unreachable, slow or overloaded is UNAVAILABLE with `reason`;
/// anything else is an internal fault (logged, e.g. a misconfigured service token).
pub(crate) fn peer_error(peer: &str, reason: &'static str, status: Status) -> ApiError {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted | Code::Unknown => {
            ApiError::unavailable(reason, format!("the {peer} service is unavailable; retry later"))
                .with_metadata("peer", peer)
        }
        _ => ApiError::internal(anyhow::anyhow!("{peer} call failed: {status:?}")),
    }
}

fn profile_error(status: Status) -> ApiError {
    peer_error("profile", "PROFILE_UNAVAILABLE", status)
}

/// The product line name without its enum prefix, e.g. "TRADE_FINANCE".
pub fn product_line_name(value: i32) -> Option<String> {
    let line = ProductLine::try_from(value).ok().filter(|l| *l != ProductLine::Unspecified)?;
    Some(line.as_str_name().trim_start_matches("PRODUCT_LINE_").to_owned())
}

impl Peers {
    /// Clients over lazily connected channels, presenting `auth`'s token.
    pub fn new(profile: Channel, segmentation: Channel, scoring: Option<Channel>, auth: PeerAuth) -> Self {
        let scoring = scoring.map(|channel| ValueScoringServiceClient::with_interceptor(channel, auth.clone()));
        let profile = ClientProfileServiceClient::with_interceptor(profile, auth.clone());
        let segmentation = SegmentationServiceClient::with_interceptor(segmentation, auth);
        Self { profile, segmentation, scoring, timeout: PEER_TIMEOUT }
    }

    /// These peers for a call that must finish by `deadline` (the caller's `grpc-timeout`):
    /// peer calls get the time left, propagating the deadline.
    pub fn within(&self, deadline: Option<tokio::time::Instant>) -> Self {
        let left = deadline.map_or(PEER_TIMEOUT, |d| d.saturating_duration_since(tokio::time::Instant::now()));
        Self { timeout: left.min(PEER_TIMEOUT).max(Duration::from_millis(1)), ..self.clone() }
    }

    /// A request with this call's timeout.
    fn timed<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }

    /// The client as the profile service has it; `None` when it does not exist.
    pub async fn client(&self, id: &str) -> ApiResult<Option<Client>> {
        let request = self.timed(GetClientRequest { name: format!("clients/{id}"), read_time: None });
        match self.profile.clone().get_client(request).await {
            Ok(response) => Ok(Some(response.into_inner())),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(profile_error(status)),
        }
    }

    /// Every live contact of a client.
    pub async fn contacts(&self, id: &str) -> ApiResult<Vec<Contact>> {
        let mut contacts = Vec::new();
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let request =
                self.timed(ListContactsRequest { parent: format!("clients/{id}"), page_size: 1000, page_token });
            let page = self.profile.clone().list_contacts(request).await.map_err(profile_error)?.into_inner();
            contacts.extend(page.contacts.into_iter().filter(|c| c.delete_time.is_none()));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Ok(contacts)
    }

    /// The product lines a client holds (names without prefix), and whether it holds anything.
    pub async fn held_product_lines(&self, id: &str) -> ApiResult<(BTreeSet<String>, bool)> {
        let mut lines = BTreeSet::new();
        let mut any = false;
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let request =
                self.timed(ListHoldingsRequest { parent: format!("clients/{id}"), page_size: 1000, page_token });
            let page = self.profile.clone().list_holdings(request).await.map_err(profile_error)?.into_inner();
            any |= !page.holdings.is_empty();
            lines.extend(page.holdings.iter().filter_map(|h| product_line_name(h.product_line)));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Ok((lines, any))
    }

    /// The client's memberships in active schemes (one per scheme and level).
    pub async fn client_segments(&self, id: &str) -> ApiResult<Vec<SegmentMembership>> {
        let request = self.timed(GetClientSegmentsRequest { client: format!("clients/{id}"), read_time: None });
        match self.segmentation.clone().get_client_segments(request).await {
            Ok(response) => Ok(response.into_inner().memberships),
            Err(status) if status.code() == Code::NotFound => Ok(Vec::new()),
            Err(status) => Err(segmentation_error(status)),
        }
    }

    /// The quality and product penetration report of a scheme. Penetration rates move slowly:
    /// a report up to [`REPORT_STALENESS`] old will do, and spares segmentation reading the
    /// whole portfolio for every recommendation.
    pub async fn scheme_report(&self, scheme: &str) -> ApiResult<SchemeReport> {
        let max_staleness = Some(prost_types::Duration { seconds: REPORT_STALENESS.as_secs() as i64, nanos: 0 });
        let request = self.timed(GetSchemeReportRequest { name: scheme.to_owned(), max_staleness });
        self.segmentation.clone().get_scheme_report(request).await.map(|r| r.into_inner()).map_err(segmentation_error)
    }
}

impl Peers {
    /// The client's current value tier without prefix (e.g. "REVIEW_FOR_EXIT"); `None` when
    /// it has no value score or the suite runs without value scoring.
    pub async fn value_tier(&self, id: &str) -> ApiResult<Option<String>> {
        let Some(scoring) = &self.scoring else { return Ok(None) };
        let request = self.timed(GetValueScoreRequest { name: format!("clients/{id}/valueScore"), read_time: None });
        match scoring.clone().get_value_score(request).await {
            Ok(score) => {
                let tier = Tier::try_from(score.into_inner().tier).unwrap_or(Tier::Unspecified);
                Ok((tier != Tier::Unspecified).then(|| tier.as_str_name().trim_start_matches("TIER_").to_owned()))
            }
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(peer_error("scoring", "SCORING_UNAVAILABLE", status)),
        }
    }
}

/// How old a segmentation report may be for next best actions.
const REPORT_STALENESS: std::time::Duration = std::time::Duration::from_secs(300);

fn segmentation_error(status: Status) -> ApiError {
    match status.code() {
        Code::Unimplemented | Code::NotFound | Code::FailedPrecondition => ApiError::unavailable(
            "SEGMENTATION_UNAVAILABLE",
            format!("the segmentation service cannot answer: {}", status.message()),
        )
        .with_metadata("peer", "segmentation"),
        _ => peer_error("segmentation", "SEGMENTATION_UNAVAILABLE", status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::auth::SecretKey;

    #[tokio::test]
    async fn peer_calls_get_the_time_the_caller_has_left() {
        let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:9").connect_lazy();
        let auth = PeerAuth::minted(&SecretKey::generate().expect("key"), "interaction").expect("auth");
        let peers = Peers::new(channel.clone(), channel, None, auth);
        assert_eq!(peers.within(None).timeout, PEER_TIMEOUT);
        let soon = peers.within(Some(tokio::time::Instant::now() + Duration::from_millis(300)));
        assert!(soon.timeout <= Duration::from_millis(300) && soon.timeout > Duration::ZERO);
        let late = peers.within(Some(tokio::time::Instant::now() + Duration::from_secs(60)));
        assert_eq!(late.timeout, PEER_TIMEOUT);
        assert_eq!(product_line_name(ProductLine::TradeFinance as i32).as_deref(), Some("TRADE_FINANCE"));
        assert_eq!(product_line_name(0), None);
    }

    #[test]
    fn an_unreachable_peer_is_unavailable_and_a_refusal_is_internal() {
        let down = peer_error("profile", "PROFILE_UNAVAILABLE", Status::unavailable("connection refused"));
        assert_eq!((down.code(), down.reason()), (Code::Unavailable, "PROFILE_UNAVAILABLE"));
        let slow = segmentation_error(Status::deadline_exceeded("slow"));
        assert_eq!((slow.code(), slow.reason()), (Code::Unavailable, "SEGMENTATION_UNAVAILABLE"));
        let old = segmentation_error(Status::unimplemented("no such method"));
        assert_eq!(old.code(), Code::Unavailable, "an older segmentation service cannot answer either");
        let misconfigured = peer_error("profile", "PROFILE_UNAVAILABLE", Status::unauthenticated("bad token"));
        assert_eq!(misconfigured.code(), Code::Internal);
    }
}
