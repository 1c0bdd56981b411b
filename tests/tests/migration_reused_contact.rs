//! A customer who already has an Intercom contact (same e-mail) is reused, and recorded as
//! reused: a rollback must never delete a contact the migration did not create.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

/// Until the executor pipeline was rebuilt, the 409 answer ("a contact with this e-mail
/// exists") completed the create's intent as `created`, and the later attempt to mark it
/// `reused` was ignored by the ledger (it keeps the origin of a row already migrated), so the
/// pre-existing contact was listed for deletion by `rollback_order()`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_existing_contact_is_reused_and_never_listed_for_rollback() {
    let sb = common::sandbox(40, 11).await;
    let (emails, existing): (Vec<String>, Vec<String>) =
        common::pre_existing_contacts(&sb).await.into_iter().unzip();
    assert!(
        !emails.is_empty(),
        "the generated workspace has such customers"
    );

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let result = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);

    let state = sb.intercom.state();
    for (e, id) in emails.iter().zip(&existing) {
        let same: Vec<_> = state
            .contacts
            .values()
            .filter(|c| c.email.as_deref().map(str::to_lowercase).as_deref() == Some(e))
            .collect();
        assert_eq!(same.len(), 1, "{e}: no duplicate contact");
        assert_eq!(&same[0].id, id, "{e}: the existing contact is the one used");
    }
    let listed: Vec<String> = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == ObjectKind::Contact)
        .map(|i| i.target_id)
        .collect();
    assert!(
        !listed.is_empty(),
        "the contacts the migration created are listed"
    );
    for id in &existing {
        assert!(
            !listed.contains(id),
            "pre-existing contact {id} must never be listed for rollback"
        );
    }
}
