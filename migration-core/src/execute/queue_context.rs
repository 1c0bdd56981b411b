//! What the run knows about a record it queues, for its queue row (see
//! [`crate::ledger::QueueContext`]): gathered from the data the step already holds, no extra
//! Glassix read.

use glassix_client::models::{Contact, Ticket};

use crate::ledger::QueueContext;
use crate::map::{CollectedContact, ContactKey};

/// A customer: its Glassix record's name and identifiers when the run read it, else what the
/// tickets showed (names, addresses), and its most used channel.
pub(crate) fn contact(seen: &CollectedContact, record: Option<&Contact>) -> QueueContext {
    let name = record
        .map(|c| c.name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .or_else(|| seen.names.first().cloned());
    let mut identifiers: Vec<String> = seen
        .identifiers
        .iter()
        .map(|(channel, address)| format!("{channel}: {address}"))
        .collect();
    if let Some(c) = record {
        for i in c.identifiers.iter().filter(|i| !i.is_deleted) {
            let text = format!("{}: {}", i.identifier_type.as_str(), i.identifier);
            if !identifiers.contains(&text) {
                identifiers.push(text);
            }
        }
    }
    let glassix_id = match &seen.key {
        ContactKey::Id(id) => Some(id.clone()),
        ContactKey::Identifier(_) => None,
    };
    QueueContext {
        name,
        identifiers,
        glassix_id,
        channel: seen.preferred_channel().map(str::to_owned),
        subject: None,
    }
}

/// A ticket: its subject, number, main channel and first customer's name and address.
pub(crate) fn ticket(t: &Ticket) -> QueueContext {
    let customer = t.participants.iter().find(|p| p.is_client());
    let name = customer
        .map(|p| p.name.trim().to_owned())
        .filter(|n| !n.is_empty());
    let identifiers = customer
        .filter(|p| !p.identifier.trim().is_empty())
        .map(|p| {
            vec![format!(
                "{}: {}",
                p.protocol_type.as_str(),
                p.identifier.trim()
            )]
        })
        .unwrap_or_default();
    let subject = Some(t.field1.trim().to_owned()).filter(|s| !s.is_empty());
    QueueContext {
        name,
        identifiers,
        glassix_id: Some(t.id.to_string()),
        channel: Some(t.primary_protocol_type.as_str().to_owned()),
        subject,
    }
}
