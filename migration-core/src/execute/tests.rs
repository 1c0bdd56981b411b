use std::sync::Arc;

use super::*;
use crate::Migration;
use crate::ledger::Ledger;
use crate::progress::ProgressSender;
use crate::spec::MappingSpec;

fn clients() -> (glassix_client::Client, intercom_client::Client) {
    // Nothing listens there: these tests must fail before any request.
    let creds = glassix_client::Credentials::new(
        "0f8a8f38-1a3e-4a36-9f49-0a1c3e6c2f11",
        "secret".to_owned(),
        "api@example.com",
    )
    .unwrap();
    let g = glassix_client::Client::builder()
        .base_url("http://127.0.0.1:9")
        .department(creds)
        .build()
        .unwrap();
    let i = intercom_client::Client::builder()
        .access_token("token".to_owned())
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    (g, i)
}

#[test]
fn builder_names_what_is_missing() {
    let (g, _) = clients();
    let err = Migration::builder().glassix(g).build().unwrap_err();
    assert!(err.to_string().contains("`intercom` is required"), "{err}");
    let (g, i) = clients();
    let err = Migration::builder()
        .glassix(g)
        .intercom(i)
        .spec(MappingSpec::default())
        .ledger(Arc::new(Ledger::open_in_memory().unwrap()))
        .concurrency(0)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("concurrency"), "{err}");
}

#[tokio::test]
async fn an_unconfirmed_spec_is_refused_before_anything_runs() {
    let (g, i) = clients();
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = Migration::builder()
        .glassix(g)
        .intercom(i)
        .spec(MappingSpec::default())
        .ledger(ledger.clone())
        .build()
        .unwrap();
    let (progress, _rx) = ProgressSender::channel(16);
    let err = m.run(progress).await.unwrap_err();
    assert!(
        matches!(err, ExecError::Core(crate::Error::SpecNotConfirmed { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("confirmed = true"));
    assert!(ledger.runs().unwrap().is_empty(), "no run was begun");
}
