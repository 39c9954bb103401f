//! TLS on both servers and on fitness's calls to auth, with certificates made in the test: a CA,
//! a server certificate for 127.0.0.1, and a client certificate for mutual TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use shared::pb::auth::v1::auth_service_client::AuthServiceClient;
use shared::pb::auth::v1::{GetJwksRequest, RegisterRequest};
use shared::pb::fitness::v1::ListWorkoutsRequest;
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::server::tls::{self, ClientTls, ServerTls};
use testkit::{Backend, TestAuth, TestFitness};
use tonic::transport::Channel;

/// A certificate authority that signs the certificates of one test.
struct Ca {
    cert: Certificate,
    key: KeyPair,
}

/// A PEM certificate and its PEM key.
struct Issued {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    fn issue(&self, names: &[&str], purpose: ExtendedKeyUsagePurpose) -> Issued {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![purpose];
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    fn server(&self) -> Issued {
        self.issue(
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    fn client(&self) -> Issued {
        self.issue(&["fitness"], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// An auth service over TLS with `ca`'s server certificate, requiring client certificates
/// signed by `client_ca` when given.
async fn tls_auth(ca: &Ca, client_ca: Option<&Ca>) -> TestAuth {
    let issued = ca.server();
    let client_ca = client_ca.map(Ca::pem);
    let server_tls = ServerTls::from_pem(
        issued.cert.as_bytes(),
        issued.key.as_bytes(),
        client_ca.as_deref().map(str::as_bytes),
    )
    .unwrap();
    TestAuth::spawn_with(Backend::Sqlite, |c| c.server.tls = Some(server_tls)).await
}

fn https(auth: &TestAuth) -> String {
    format!("https://{}", auth.addr)
}

fn trusting(ca: &Ca, identity: Option<&Issued>) -> ClientTls {
    ClientTls::from_pem(
        Some(ca.pem().as_bytes()),
        identity.map(|i| (i.cert.as_bytes(), i.key.as_bytes())),
    )
    .unwrap()
}

/// Connects to `url` and calls `GetJwks`; the error text when either fails.
async fn get_jwks(url: &str, tls: Option<&ClientTls>) -> Result<(), String> {
    // Bounded: a server that refuses the client's certificate after the handshake leaves the
    // channel reconnecting, which must fail the call rather than hang the test.
    let channel: Channel = tls::endpoint(url, tls)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| format!("{e:?}"))?;
    AuthServiceClient::new(channel)
        .get_jwks(GetJwksRequest {})
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_answers_a_client_that_trusts_its_ca() {
    let ca = Ca::new("Stride test CA");
    let auth = tls_auth(&ca, None).await;
    get_jwks(&https(&auth), Some(&trusting(&ca, None)))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_refuses_a_plaintext_client() {
    let ca = Ca::new("Stride test CA");
    let auth = tls_auth(&ca, None).await;
    let plaintext = get_jwks(&auth.url(), None).await;
    assert!(plaintext.is_err(), "a plaintext client was served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_trust_the_servers_ca_cannot_connect() {
    let ca = Ca::new("Stride test CA");
    let stranger = Ca::new("Some other CA");
    let auth = tls_auth(&ca, None).await;
    let refused = get_jwks(&https(&auth), Some(&trusting(&stranger, None))).await;
    assert!(refused.is_err(), "a client trusting another CA connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mutual_tls_a_client_without_a_certificate_is_refused() {
    let ca = Ca::new("Stride test CA");
    let auth = tls_auth(&ca, Some(&ca)).await;
    let without = get_jwks(&https(&auth), Some(&trusting(&ca, None))).await;
    assert!(
        without.is_err(),
        "a client without a certificate was served"
    );
    let stranger = Ca::new("Some other CA");
    let foreign = get_jwks(
        &https(&auth),
        Some(&trusting(&ca, Some(&stranger.client()))),
    )
    .await;
    assert!(
        foreign.is_err(),
        "a certificate from another CA was accepted"
    );
    get_jwks(&https(&auth), Some(&trusting(&ca, Some(&ca.client()))))
        .await
        .unwrap();
}

/// Registers a user over TLS, then lists workouts at fitness with its token: fitness accepts
/// the token only once it has fetched auth's signing keys, over TLS.
async fn fitness_reaches(auth: &TestAuth, fitness: &TestFitness, client: &ClientTls) {
    let channel = tls::endpoint(&https(auth), Some(client))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let tokens = AuthServiceClient::new(channel)
        .register(RegisterRequest {
            username: "ada".to_owned(),
            email: "ada@example.com".to_owned(),
            password: "plum-Kettle-93-orbit".to_owned(),
            first_name: String::new(),
            last_name: String::new(),
            device_label: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    let mut request = tonic::Request::new(ListWorkoutsRequest::default());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", tokens.access_token).parse().unwrap(),
    );
    WorkoutServiceClient::new(fitness.channel().await)
        .list_workouts(request)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fitness_calls_auth_over_tls() {
    let ca = Ca::new("Stride test CA");
    let auth = tls_auth(&ca, None).await;
    let client = trusting(&ca, None);
    let to_auth = client.clone();
    let fitness = TestFitness::spawn_with(Backend::Sqlite, https(&auth), |c| {
        c.auth_tls = Some(to_auth);
    })
    .await;
    fitness_reaches(&auth, &fitness, &client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fitness_calls_auth_over_mutual_tls() {
    let ca = Ca::new("Stride test CA");
    let auth = tls_auth(&ca, Some(&ca)).await;
    let fitness = TestFitness::spawn_with(Backend::Sqlite, https(&auth), |c| {
        c.auth_tls = Some(trusting(&ca, Some(&ca.client())));
    })
    .await;
    // The test registers with a certificate of its own; fitness presents its own.
    fitness_reaches(&auth, &fitness, &trusting(&ca, Some(&ca.client()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fitness_can_serve_over_tls_too() {
    let ca = Ca::new("Stride test CA");
    let issued = ca.server();
    let server_tls =
        ServerTls::from_pem(issued.cert.as_bytes(), issued.key.as_bytes(), None).unwrap();
    let auth = TestAuth::spawn(Backend::Sqlite).await;
    let fitness = TestFitness::spawn_with(Backend::Sqlite, auth.url(), |c| {
        c.server.tls = Some(server_tls);
    })
    .await;
    let channel = tls::endpoint(
        &format!("https://{}", fitness.addr),
        Some(&trusting(&ca, None)),
    )
    .unwrap()
    .connect()
    .await
    .unwrap();
    let status = WorkoutServiceClient::new(channel)
        .list_workouts(ListWorkoutsRequest::default())
        .await
        .unwrap_err();
    // Served (and refused for want of a token), over TLS.
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
}
