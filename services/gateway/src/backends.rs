//! The route table of the gRPC proxy: which backend serves which gRPC service, driven by
//! `[gateway.backends]` and checked against the descriptor set, plus a pass-through client
//! (see `upstream`) that sends already-encoded messages over the same channels.

use std::{collections::HashMap, time::Duration};

use anyhow::Context as _;
use bytes::{Buf as _, BufMut as _, Bytes};
use crm_kit::config::GatewayConfig;
use prost_reflect::DescriptorPool;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    transport::{Channel, Endpoint},
};

/// One backend: a lazily connected, reconnecting HTTP/2 channel shared by every caller
/// (tonic multiplexes concurrent calls over it and reconnects after failures).
#[derive(Clone, Debug)]
pub struct Backend {
    name: String,
    channel: Channel,
    max_message_bytes: usize,
}

impl Backend {
    /// Connects lazily to `url` (nothing is dialled until the first call).
    pub fn connect_lazy(name: &str, url: &str, max_message_bytes: usize) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("backend {name}: bad url {url:?}"))?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10));
        Ok(Self { name: name.to_owned(), channel: endpoint.connect_lazy(), max_message_bytes })
    }

    /// The configured short name, e.g. `profile`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A clone of the shared channel.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Largest message accepted from or sent to this backend.
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }
}

/// UNAVAILABLE naming the backend (the cause is logged, not shown).
pub fn unavailable(backend: &str, err: &dyn std::fmt::Display) -> Status {
    crm_kit::throttled!(5, warn!(backend, error = %err, "backend unavailable"));
    crm_kit::ApiError::unavailable("BACKEND_UNAVAILABLE", format!("the {backend} service is unavailable; retry later"))
        .with_metadata("backend", backend)
        .into_status(crate::DOMAIN)
}

/// Which backend serves each routed gRPC service.
#[derive(Clone, Debug, Default)]
pub struct Backends {
    by_service: HashMap<String, Backend>,
}

impl Backends {
    /// Builds the table from configuration; every configured service must exist in `pool`.
    pub fn from_config(
        config: &GatewayConfig,
        pool: &DescriptorPool,
        max_message_bytes: usize,
    ) -> anyhow::Result<Self> {
        let mut by_service = HashMap::new();
        for (name, backend) in &config.backends {
            if backend.url.is_empty() {
                tracing::info!(backend = %name, "backend has no url: its services are not routed");
                continue;
            }
            let conn = Backend::connect_lazy(name, &backend.url, max_message_bytes)?;
            for service in &backend.services {
                anyhow::ensure!(
                    pool.get_service_by_name(service).is_some(),
                    "backend {name}: service {service} is not in the descriptor set"
                );
                anyhow::ensure!(
                    by_service.insert(service.clone(), conn.clone()).is_none(),
                    "service {service} is configured on two backends"
                );
            }
        }
        Ok(Self { by_service })
    }

    /// The backend of a fully qualified service name.
    pub fn for_service(&self, service: &str) -> Option<&Backend> {
        self.by_service.get(service)
    }

    /// The backend configured under `name` (e.g. `profile`).
    pub fn by_name(&self, name: &str) -> Option<&Backend> {
        self.by_service.values().find(|backend| backend.name() == name)
    }

    /// The names of the configured backends, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let names: std::collections::BTreeSet<&str> = self.by_service.values().map(Backend::name).collect();
        names.into_iter()
    }

    /// Names of every routed service.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.by_service.keys().map(String::as_str)
    }
}

/// The service name of a gRPC path `/pkg.Service/Method`.
pub fn service_of(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or_default()
}

/// A codec that moves encoded messages as they are: the gateway never decodes what it forwards.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_of_a_method_path() {
        assert_eq!(service_of("/crm.profile.v1.ClientProfileService/GetClient"), "crm.profile.v1.ClientProfileService");
        assert_eq!(service_of("/"), "");
    }

    #[tokio::test]
    async fn config_must_name_known_services() {
        let pool = crate::descriptors::load().expect("pool");
        let mut config = GatewayConfig::default();
        assert!(Backends::from_config(&config, &pool, 1024).is_ok());
        config.backends.get_mut("profile").expect("profile").services.push("crm.nope.v1.Nothing".into());
        assert!(Backends::from_config(&config, &pool, 1024).is_err());
    }
}
