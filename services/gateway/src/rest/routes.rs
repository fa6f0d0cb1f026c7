//! The REST route table, built once from the `google.api.http` rules of every routed
//! service's methods (including `additional_bindings`).

use crm_proto::google::api::{HttpRule, http_rule::Pattern};
use http::Method;
use prost_reflect::{DescriptorPool, MethodDescriptor};

use super::template::Template;
use crate::descriptors::http_rule;

/// Where the HTTP body goes in the request message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyTarget {
    /// No body.
    None,
    /// `body: "*"`: the whole request message.
    Whole,
    /// `body: "field"`: one top-level field.
    Field(String),
}

/// One HTTP binding of one RPC.
#[derive(Clone, Debug)]
pub struct Binding {
    pub method: Method,
    /// Path template, e.g. `/v1/{name=clients/*}:undelete`.
    pub template: Template,
    pub body: BodyTarget,
    /// The RPC, with the descriptors of its request and response messages.
    pub rpc: MethodDescriptor,
    /// `/pkg.Service/Method`.
    pub grpc_path: String,
}

/// The outcome of looking a request up.
#[derive(Debug)]
pub enum Found<'a> {
    /// A binding and its path variables.
    Route(&'a Binding, Vec<(String, String)>),
    /// The path exists, with other methods.
    MethodNotAllowed,
    /// Nothing at that path.
    NotFound,
}

/// Every binding of the routed services.
#[derive(Clone, Debug, Default)]
pub struct RestRoutes {
    bindings: Vec<Binding>,
}

impl RestRoutes {
    /// Builds the table for `services` (fully qualified names).
    pub fn build<'a>(pool: &DescriptorPool, services: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let mut bindings = Vec::new();
        let mut names: Vec<&str> = services.into_iter().collect();
        names.sort_unstable();
        for name in names {
            let service = pool
                .get_service_by_name(name)
                .ok_or_else(|| anyhow::anyhow!("service {name} is not in the descriptor set"))?;
            for rpc in service.methods() {
                if rpc.is_client_streaming() {
                    continue;
                }
                let Some(rule) = http_rule(pool, &rpc) else { continue };
                let grpc_path = format!("/{}/{}", service.full_name(), rpc.name());
                for rule in std::iter::once(&rule).chain(rule.additional_bindings.iter()) {
                    bindings.push(binding(rule, &rpc, &grpc_path)?);
                }
            }
        }
        // Literal paths before variables never matters for correctness (templates differ
        // in shape or verb), but a stable order makes the OpenAPI document stable.
        Ok(Self { bindings })
    }

    /// Finds the binding of `method` + `path`.
    pub fn find(&self, method: &Method, path: &str) -> Found<'_> {
        let mut other_method = false;
        for binding in &self.bindings {
            if let Some(vars) = binding.template.matches(path) {
                if binding.method == *method {
                    return Found::Route(binding, vars);
                }
                other_method = true;
            }
        }
        if other_method { Found::MethodNotAllowed } else { Found::NotFound }
    }

    /// Every binding, in service and method order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }
}

fn binding(rule: &HttpRule, rpc: &MethodDescriptor, grpc_path: &str) -> anyhow::Result<Binding> {
    let (method, path) = match &rule.pattern {
        Some(Pattern::Get(p)) => (Method::GET, p),
        Some(Pattern::Post(p)) => (Method::POST, p),
        Some(Pattern::Put(p)) => (Method::PUT, p),
        Some(Pattern::Patch(p)) => (Method::PATCH, p),
        Some(Pattern::Delete(p)) => (Method::DELETE, p),
        Some(Pattern::Custom(c)) => (Method::from_bytes(c.kind.as_bytes())?, &c.path),
        None => anyhow::bail!("{grpc_path}: google.api.http rule without a pattern"),
    };
    let template = Template::parse(path).map_err(|e| anyhow::anyhow!("{grpc_path}: {e}"))?;
    let input = rpc.input();
    for field in template.fields() {
        anyhow::ensure!(field_exists(&input, field), "{grpc_path}: path variable {field} is not a request field");
    }
    let body = match rule.body.as_str() {
        "" => BodyTarget::None,
        "*" => BodyTarget::Whole,
        field => {
            anyhow::ensure!(input.get_field_by_name(field).is_some(), "{grpc_path}: body field {field} does not exist");
            BodyTarget::Field(field.to_owned())
        }
    };
    Ok(Binding { method, template, body, rpc: rpc.clone(), grpc_path: grpc_path.to_owned() })
}

fn field_exists(desc: &prost_reflect::MessageDescriptor, path: &str) -> bool {
    let mut desc = desc.clone();
    let mut names = path.split('.').peekable();
    while let Some(name) = names.next() {
        let Some(field) = desc.get_field_by_name(name) else { return false };
        if names.peek().is_some() {
            let prost_reflect::Kind::Message(inner) = field.kind() else { return false };
            desc = inner;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> RestRoutes {
        let pool = crate::descriptors::load().expect("pool");
        RestRoutes::build(&pool, ["crm.profile.v1.ClientProfileService", "crm.gateway.v1.ClientViewService"])
            .expect("routes")
    }

    fn rpc(found: Found<'_>) -> String {
        match found {
            Found::Route(b, _) => b.rpc.name().to_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn every_annotated_rpc_is_routed() {
        let r = routes();
        assert_eq!(rpc(r.find(&Method::GET, "/v1/clients/abc")), "GetClient");
        assert_eq!(rpc(r.find(&Method::GET, "/v1/clients:lookup")), "LookupClient");
        assert_eq!(rpc(r.find(&Method::PATCH, "/v1/clients/abc")), "UpdateClient");
        assert_eq!(rpc(r.find(&Method::POST, "/v1/clients/abc:undelete")), "UndeleteClient");
        assert_eq!(rpc(r.find(&Method::GET, "/v1/clients/abc:view360")), "GetClient360");
        assert_eq!(rpc(r.find(&Method::GET, "/v1/clients:view360")), "GetClient360");
        assert_eq!(rpc(r.find(&Method::GET, "/v1/clients/abc/contacts")), "ListContacts");
        assert!(matches!(r.find(&Method::PUT, "/v1/clients/abc"), Found::MethodNotAllowed));
        assert!(matches!(r.find(&Method::GET, "/v1/nothing"), Found::NotFound));
    }
}
