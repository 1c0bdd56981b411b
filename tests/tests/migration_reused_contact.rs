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

use intercom_client::models::{CreateContact, Role};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

/// Until the executor pipeline was rebuilt, the 409 answer ("a contact with this e-mail
/// exists") completed the create's intent as `created`, and the later attempt to mark it
/// `reused` was ignored by the ledger (it keeps the origin of a row already migrated), so the
/// pre-existing contact was listed for deletion by `rollback_order()`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_existing_contact_is_reused_and_never_listed_for_rollback() {
    let sb = common::sandbox(40, 11).await;
    // Customers with exactly one usable e-mail, as the mapper would pick it.
    let emails: Vec<String> = sb
        .snapshot
        .contacts
        .iter()
        .filter(|c| c["isDeleted"] != true && c["isScrambled"] != true)
        .filter(|c| c["uniqueArgument"].as_str().unwrap_or("").trim().is_empty())
        .filter_map(|c| {
            let mails: Vec<&str> = c["identifiers"]
                .as_array()?
                .iter()
                .filter(|i| i["identifierType"] == "MailAddress" && i["isDeleted"] != true)
                .filter_map(|i| i["identifier"].as_str())
                .collect();
            (mails.len() == 1).then(|| mails[0].trim().to_lowercase())
        })
        .take(3)
        .collect();
    assert!(
        !emails.is_empty(),
        "the generated workspace has such customers"
    );
    let intercom = common::intercom(&sb);
    let mut existing = Vec::new();
    for e in &emails {
        let c = intercom
            .contacts()
            .create(&CreateContact {
                role: Some(Role::User),
                email: Some(e.clone()),
                name: Some("Existed before the migration".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        existing.push(c.id);
    }

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
