//! `crm up --demo` as a user runs it: the binary starts, prints its address, answers health
//! and reflection, serves the demo portfolio to a token minted by `crm token`, and drains
//! cleanly on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use crm_proto::crm::profile::v1::{ListClientsRequest, client_profile_service_client::ClientProfileServiceClient};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

const CRM: &str = env!("CARGO_BIN_EXE_crm");

struct Suite {
    child: Child,
    data_dir: std::path::PathBuf,
    addr: String,
    gateway: String,
}

impl Drop for Suite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Starts `crm up --demo` on a free port and reads the address it prints.
fn start() -> Suite {
    let data_dir = std::env::temp_dir().join(format!("crm-up-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(CRM)
        .args(["up", "--demo", "--demo-clients", "300", "--data-dir"])
        .arg(&data_dir)
        .env("CRM__PROFILE__LISTEN", "127.0.0.1:0")
        .env("CRM__GATEWAY__LISTEN", "127.0.0.1:0")
        .env("CRM__SEGMENTATION__LISTEN", "127.0.0.1:0")
        .env("CRM__SCORING__LISTEN", "127.0.0.1:0")
        .env("CRM__INTERACTION__LISTEN", "127.0.0.1:0")
        .env("CRM__LIMITS__DRAIN_TIMEOUT_MS", "2000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("crm up starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut addr = None;
    let mut gateway = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("banner line");
        if let Some(rest) = line.trim().strip_prefix("gateway  http://") {
            gateway = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(rest) = line.trim().strip_prefix("profile  grpc://") {
            addr = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    // Keep reading, as a terminal would: the suite goes on writing to its stdout.
    std::thread::spawn(move || lines.for_each(drop));
    Suite {
        child,
        data_dir,
        addr: addr.expect("crm up printed the profile address"),
        gateway: gateway.expect("crm up printed the gateway address"),
    }
}

fn token(data_dir: &std::path::Path, role: &str) -> String {
    let out = Command::new(CRM)
        .args(["token", "--role", role, "--subject", "e2e", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("crm token runs");
    assert!(out.status.success(), "crm token failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_owned()
}

#[tokio::test]
async fn up_demo_serves_health_reflection_and_data_then_drains_on_sigterm() {
    let mut suite = start();
    let channel =
        Channel::from_shared(format!("http://{}", suite.addr)).expect("uri").connect().await.expect("connect");

    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    let mut health = HealthClient::new(channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest { service: "crm.profile.v1.ClientProfileService".into() })
        .await
        .expect("health watch")
        .into_inner();
    let serving = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(update)) = watch.next().await {
            if update.status == ServingStatus::Serving as i32 {
                return true;
            }
        }
        false
    });
    assert!(serving.await.expect("SERVING within 30 s"), "health reports SERVING");

    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let mut replies =
        reflection.server_reflection_info(tokio_stream::iter([request])).await.expect("reflection").into_inner();
    let reply = replies.next().await.expect("a reply").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("not a service list")
    };
    let services: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(services.contains(&"crm.profile.v1.ClientProfileService".to_owned()), "{services:?}");
    // Older reflection clients speak v1alpha.
    {
        use tonic_reflection::pb::v1alpha::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut old = ServerReflectionClient::new(channel.clone());
        let mut replies =
            old.server_reflection_info(tokio_stream::iter([request])).await.expect("v1alpha").into_inner();
        let reply = replies.next().await.expect("a reply").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
            panic!("not a service list")
        };
        assert!(list.service.iter().any(|s| s.name == "crm.profile.v1.ClientProfileService"));
    }

    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", token(&suite.data_dir, "ADMIN")).parse().expect("header");
    let mut profiles =
        ClientProfileServiceClient::with_interceptor(channel.clone(), move |mut req: tonic::Request<()>| {
            req.metadata_mut().insert("authorization", bearer.clone());
            Ok(req)
        });
    let page = profiles
        .list_clients(ListClientsRequest { page_size: 1000, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.clients.len(), 300, "the demo portfolio is served");
    // The same data through the gateway of the same process.
    let gateway = Channel::from_shared(format!("http://{}", suite.gateway)).expect("uri").connect().await.expect("gw");
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", token(&suite.data_dir, "ADMIN")).parse().expect("header");
    let mut via_gateway = ClientProfileServiceClient::with_interceptor(gateway, move |mut req: tonic::Request<()>| {
        req.metadata_mut().insert("authorization", bearer.clone());
        Ok(req)
    });
    let page = via_gateway
        .list_clients(ListClientsRequest { page_size: 5, ..Default::default() })
        .await
        .expect("list via gateway")
        .into_inner();
    assert_eq!(page.clients.len(), 5, "the gateway routes to the profile service");
    let unauthenticated = ClientProfileServiceClient::new(channel).list_clients(ListClientsRequest::default()).await;
    assert_eq!(unauthenticated.expect_err("no token").code(), tonic::Code::Unauthenticated);

    let pid = suite.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = suite.child.wait();
        (suite, status)
    });
    let (_suite, status) =
        tokio::time::timeout(Duration::from_secs(30), status).await.expect("exits within 30 s").expect("join");
    assert!(status.expect("wait").success(), "crm up exits cleanly after SIGTERM");
}
