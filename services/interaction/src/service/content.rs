//! Content calls: create, read and version content items, and render them for a channel.

use crm_kit::{
    ApiError, ApiResult,
    call::Idempotency,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    Channel, ContentItem, CreateContentItemRequest, GetContentItemRequest, RenderContentRequest, RenderedContent,
    UpdateContentItemRequest,
};

use super::{Caller, InteractionApp};
use crate::domain::{content as rules, names, policy};

/// The fields a caller writes, from a request's item.
fn writable(given: &ContentItem) -> ContentItem {
    ContentItem {
        kind: given.kind,
        headline: given.headline.clone(),
        body: given.body.clone(),
        facts: given.facts.clone(),
        product_line: given.product_line.clone(),
        disclaimer: given.disclaimer.clone(),
        ..Default::default()
    }
}

fn version_of(version: i64) -> ApiResult<Option<i64>> {
    match version {
        0 => Ok(None),
        v if v > 0 => Ok(Some(v)),
        _ => Err(ApiError::invalid("version", "must not be negative")),
    }
}

/// Whether the caller writes content items; a refusal names `resource`.
fn check_content_writer(caller: &Caller, resource: &str) -> ApiResult<()> {
    policy::can_write_content(&caller.principal).map_err(|err| err.with_resource(resource))
}

impl InteractionApp {
    /// Creates version 1 of a content item, under the id asked for or a new one.
    pub async fn create_content_item(&self, caller: &Caller, req: CreateContentItemRequest) -> ApiResult<ContentItem> {
        let key = Idempotency::of(&req.request_id, &req)?;
        let id = match req.content_item_id.trim() {
            "" => names::new_id(),
            id if names::valid_id(id) => id.to_owned(),
            _ => {
                return Err(ApiError::invalid(
                    "content_item_id",
                    "must be lower-case letters, digits and hyphens, at most 63, not starting with a hyphen",
                ));
            }
        };
        let Some(given) = req.content_item else { return Err(ApiError::invalid("content_item", "is required")) };
        let mut item = writable(&given);
        rules::prepare(&mut item)?;
        check_content_writer(caller, &names::content_name(&id))?;
        let now = to_timestamp(now_micros());
        item.name = names::content_name(&id);
        item.version = 1;
        item.etag = names::etag(1);
        item.author.clone_from(&caller.principal.subject);
        item.create_time = Some(now);
        item.update_time = Some(now);
        self.store.create_content(caller.write().keyed(key.as_ref()), &id, item).await
    }

    /// A content item: its latest version, or the version asked for.
    pub async fn get_content_item(&self, _caller: &Caller, req: GetContentItemRequest) -> ApiResult<ContentItem> {
        let id = names::content_item_id("name", &req.name)?;
        let version = version_of(req.version)?;
        self.store.get_content(id, version).await?.ok_or_else(|| match version {
            None => ApiError::not_found(&req.name),
            Some(v) => ApiError::not_found(format!("{} version {v}", req.name)),
        })
    }

    /// Writes the next version of a content item from the masked fields; etag-checked.
    pub async fn update_content_item(&self, caller: &Caller, req: UpdateContentItemRequest) -> ApiResult<ContentItem> {
        let Some(patch) = req.content_item else { return Err(ApiError::invalid("content_item", "is required")) };
        let id = names::content_item_id("content_item.name", &patch.name)?.to_owned();
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = rules::mask_fields(&paths)?;
        check_content_writer(caller, &patch.name)?;
        let author = caller.principal.subject.clone();
        self.store
            .update_content(caller.write(), &id, move |current| {
                if !patch.etag.is_empty() && patch.etag != current.etag {
                    return Err(ApiError::etag_mismatch(&current.name));
                }
                let mut next = current.clone();
                rules::apply_mask(&mut next, &patch, &fields);
                rules::prepare(&mut next)?;
                next.author = author;
                Ok(next)
            })
            .await
    }

    /// A content item laid out for `channel`, with the same facts and digest on every channel.
    pub async fn render_content(&self, caller: &Caller, req: RenderContentRequest) -> ApiResult<RenderedContent> {
        let channel = Channel::try_from(req.channel).unwrap_or(Channel::Unspecified);
        if channel == Channel::Unspecified {
            return Err(ApiError::invalid("channel", "is required"));
        }
        let item = self
            .get_content_item(caller, GetContentItemRequest { name: req.name.clone(), version: req.version })
            .await?;
        Ok(rules::render(&item, channel))
    }
}
