//! The descriptor pool of every crm contract, decoded with prost-reflect from the encoded
//! set (`crm_proto::FILE_DESCRIPTOR_SET`) so extension options such as `google.api.http`
//! are kept (a `prost_types::FileDescriptorSet` would drop them, docs/architecture.md §9).

use anyhow::Context as _;
use crm_proto::google::api::HttpRule;
use prost_reflect::{DescriptorPool, MethodDescriptor};

/// Decodes the suite's descriptor set.
pub fn load() -> anyhow::Result<DescriptorPool> {
    DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET).context("decoding the crm descriptor set")
}

/// The `google.api.http` rule of a method, if it has one.
pub fn http_rule(pool: &DescriptorPool, method: &MethodDescriptor) -> Option<HttpRule> {
    let extension = pool.get_extension_by_name("google.api.http")?;
    let options = method.options();
    if !options.has_extension(&extension) {
        return None;
    }
    options.get_extension(&extension).as_message()?.transcode_to::<HttpRule>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_rules_survive_decoding() {
        let pool = load().expect("pool");
        let service = pool.get_service_by_name("crm.profile.v1.ClientProfileService").expect("service");
        let get = service.methods().find(|m| m.name() == "GetClient").expect("GetClient");
        let rule = http_rule(&pool, &get).expect("GetClient has google.api.http");
        assert_eq!(rule.pattern, Some(crm_proto::google::api::http_rule::Pattern::Get("/v1/{name=clients/*}".into())));
    }
}
