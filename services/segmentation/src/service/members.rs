//! Membership reads: a client's segments (now or as of a time) and a segment's members.

use std::collections::HashMap;

use crm_kit::{ApiError, ApiResult, paging, time};
use crm_proto::crm::segmentation::v1::{
    GetClientSegmentsRequest, GetClientSegmentsResponse, ListSegmentMembersRequest, ListSegmentMembersResponse, Scheme,
    SchemeState,
};

use super::{Caller, SegmentationApp, convert, schemes::not_in_state};
use crate::domain::{names, policy, scheme::UNASSIGNED};

/// A scheme with its segment display names by id.
type Titled = (Scheme, HashMap<String, String>);

/// Whether a scheme's memberships were served at `at` (micros; `None` = now).
fn served_at(scheme: &Scheme, at: Option<i64>) -> bool {
    match at {
        None => scheme.state == SchemeState::Active as i32,
        Some(at) => {
            let activated = scheme.activate_time.as_ref().is_some_and(|t| time::from_timestamp(t) <= at);
            let retired = scheme.retire_time.as_ref().is_some_and(|t| time::from_timestamp(t) <= at);
            activated && !retired
        }
    }
}

impl SegmentationApp {
    /// GetClientSegments: one membership per ACTIVE scheme and level.
    pub async fn get_client_segments(
        &self,
        caller: &Caller,
        req: GetClientSegmentsRequest,
    ) -> ApiResult<GetClientSegmentsResponse> {
        policy::can_read(&caller.principal)?;
        let client_id = names::client_id("client", &req.client)?;
        let at = req.read_time.as_ref().map(time::from_timestamp);
        let rows = self.store.client_memberships(client_id, at).await?;
        let mut schemes: HashMap<String, Option<Titled>> = HashMap::new();
        let mut memberships = Vec::with_capacity(rows.len());
        for row in &rows {
            if !schemes.contains_key(&row.scheme_id) {
                let scheme = self.store.get_scheme(&row.scheme_id).await?.filter(|s| served_at(s, at));
                let entry = scheme.map(|s| {
                    let titles = convert::segment_titles(&s);
                    (s, titles)
                });
                schemes.insert(row.scheme_id.clone(), entry);
            }
            if let Some(Some((scheme, titles))) = schemes.get(&row.scheme_id) {
                memberships.push(convert::membership(row, scheme, titles));
            }
        }
        Ok(GetClientSegmentsResponse { memberships })
    }

    /// ListSegmentMembers: the current members of one segment of an ACTIVE scheme, in
    /// client order (FAILED_PRECONDITION for a scheme in any other state).
    pub async fn list_segment_members(
        &self,
        caller: &Caller,
        req: ListSegmentMembersRequest,
    ) -> ApiResult<ListSegmentMembersResponse> {
        policy::can_read(&caller.principal)?;
        let (scheme_id, segment_id) = names::segment_ids("segment", &req.segment)?;
        let size = paging::page_size(req.page_size)?;
        let after: String = self.tokens.cursor(&req.segment, &req.page_token)?.unwrap_or_default();
        let scheme = self.store.get_scheme(scheme_id).await?.ok_or_else(|| ApiError::not_found(&req.segment))?;
        // Like GetClientSegments: only an ACTIVE scheme has current members (a DRAFT or
        // RETIRED one has none, an ACTIVATING one only part of them).
        if scheme.state != SchemeState::Active as i32 {
            return Err(not_in_state(&scheme, "ACTIVE"));
        }
        let titles = convert::segment_titles(&scheme);
        if segment_id != UNASSIGNED && !titles.contains_key(segment_id) {
            return Err(ApiError::not_found(&req.segment));
        }
        let rows = self.store.segment_members(scheme_id, segment_id, &after, size).await?;
        let next_page_token = match rows.last() {
            Some(last) if rows.len() == size => self.tokens.encode(&req.segment, &last.client_id),
            _ => String::new(),
        };
        let memberships = rows.iter().map(|r| convert::membership(r, &scheme, &titles)).collect();
        Ok(ListSegmentMembersResponse { memberships, next_page_token })
    }
}
