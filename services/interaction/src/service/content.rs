//! Content calls: create, read and version content items, and render them for a channel.

use crm_kit::{
    ApiError, ApiResult,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    Channel, ContentItem, CreateContentItemRequest, GetContentItemRequest, RenderContentRequest, RenderedContent,
    UpdateContentItemRequest,
};

use super::{Caller, InteractionApp};
use crate::{
    domain::{content as rules, names, policy},
    store::{InteractionStore, content_name},
};
use crm_kit::call::Idempotency;

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

impl<S: InteractionStore> InteractionApp<S> {
    async fn check_content_writer(&self, caller: &Caller, action: &'static str, resource: &str) -> ApiResult<()> {
        if let Err(err) = policy::can_write_content(&caller.principal) {
            return Err(self.audit.denied(caller, action, resource, err).await);
        }
        Ok(())
    }

    /// CreateContentItem.
    pub async fn create_content_item(&self, caller: &Caller, req: CreateContentItemRequest) -> ApiResult<ContentItem> {
        let idempotency = Idempotency::of(&req.request_id, &req)?;
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
        self.check_content_writer(caller, "CreateContentItem", &content_name(&id)).await?;
        let now = to_timestamp(now_micros());
        item.name = content_name(&id);
        item.version = 1;
        item.etag = names::etag(1);
        item.author.clone_from(&caller.principal.subject);
        item.create_time = Some(now);
        item.update_time = Some(now);
        self.store.create_content(caller.ctx("CreateContentItem"), &id, item, idempotency).await
    }

    /// GetContentItem: the latest version or the one asked for.
    pub async fn get_content_item(&self, _caller: &Caller, req: GetContentItemRequest) -> ApiResult<ContentItem> {
        let id = names::content_item_id("name", &req.name)?;
        let version = version_of(req.version)?;
        self.store.get_content(id, version).await?.ok_or_else(|| match version {
            None => ApiError::not_found(&req.name),
            Some(v) => ApiError::not_found(format!("{} version {v}", req.name)),
        })
    }

    /// UpdateContentItem: a new version from the masked fields; etag-checked.
    pub async fn update_content_item(&self, caller: &Caller, req: UpdateContentItemRequest) -> ApiResult<ContentItem> {
        let Some(patch) = req.content_item else { return Err(ApiError::invalid("content_item", "is required")) };
        let id = names::content_item_id("content_item.name", &patch.name)?.to_owned();
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let fields = rules::mask_fields(&paths)?;
        self.check_content_writer(caller, "UpdateContentItem", &patch.name).await?;
        let author = caller.principal.subject.clone();
        self.store
            .update_content(caller.ctx("UpdateContentItem"), &id, move |current| {
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

    /// RenderContent: the same facts on every channel, laid out for `channel`.
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
