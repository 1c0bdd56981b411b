//! What Intercom holds: one object read back and put in the field names of `expect`.

use std::collections::BTreeMap;

use intercom_client::models::{
    Article, Attachment, Collection, Contact, Conversation, CustomAttributes, PartAuthor, Ticket,
    TicketType,
};
use serde_json::{Value, json};

use crate::ObjectKind;
use crate::intercom_schema::{self, Attributes};
use crate::ledger::ExpectedFields;

type IcResult<T> = Result<T, intercom_client::Error>;

/// The fields of one object as Intercom holds them, and its parts when it has some.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) fields: ExpectedFields,
    /// Part id → fields, for the parts Intercom lets us read.
    pub(crate) parts: BTreeMap<String, ExpectedFields>,
    /// Parts Intercom says the object has (it shows at most 500).
    pub(crate) parts_total: Option<u64>,
    /// Parts readable.
    pub(crate) parts_shown: u64,
}

/// Schema listings read once per verification (the readers of [`crate::intercom_schema`]).
#[derive(Debug, Default)]
pub(crate) struct Schema {
    data: Option<Attributes>,
    conversation: Option<Attributes>,
}

fn put(f: &mut ExpectedFields, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        f.insert(key.to_owned(), v.into());
    }
}

fn attributes(f: &mut ExpectedFields, prefix: &str, attrs: &CustomAttributes) {
    for (k, v) in attrs {
        f.insert(format!("{prefix}.{k}"), v.clone());
    }
}

fn sorted(mut ids: Vec<String>) -> Value {
    ids.sort();
    ids.dedup();
    json!(ids)
}

fn tag_ids(v: Option<&Value>) -> Value {
    let ids = v
        .and_then(|t| t.get("tags").or(Some(t)))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| match t.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    sorted(ids)
}

fn part(
    part_type: Option<&str>,
    author: Option<&PartAuthor>,
    created_at: Option<i64>,
    body: Option<&str>,
    attachments: &[Attachment],
) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "part_type", part_type.map(str::to_owned));
    put(
        &mut f,
        "author_type",
        author
            .and_then(|a| a.kind.as_ref())
            .map(|k| k.as_str().to_owned()),
    );
    put(&mut f, "author_id", author.and_then(|a| a.id.clone()));
    put(&mut f, "created_at", created_at);
    put(&mut f, "body", body.map(str::to_owned));
    put(&mut f, "attachments", Some(attachments.len()));
    let names = attachments.iter().filter_map(|a| a.name.clone()).collect();
    f.insert("attachment_names".to_owned(), sorted(names));
    f
}

fn contact(c: Contact) -> Found {
    let mut f = ExpectedFields::new();
    put(&mut f, "role", c.role.map(|r| r.as_str().to_owned()));
    put(&mut f, "external_id", c.external_id);
    put(&mut f, "email", c.email);
    put(&mut f, "phone", c.phone);
    put(&mut f, "name", c.name);
    attributes(&mut f, "custom_attributes", &c.custom_attributes);
    let tags = c
        .tags
        .map(|t| t.data.into_iter().filter_map(|r| r.id).collect())
        .unwrap_or_default();
    f.insert("tags".to_owned(), sorted(tags));
    Found {
        fields: f,
        ..Found::default()
    }
}

/// A ticket read back, in `expect`'s field names (tags as the sorted ids in `tags`).
pub(crate) fn ticket(t: Ticket) -> Found {
    let mut f = ExpectedFields::new();
    put(&mut f, "ticket_type_id", t.ticket_type.map(|x| x.id));
    let contacts = t
        .contacts
        .map(|c| c.contacts.into_iter().filter_map(|r| r.id).collect())
        .unwrap_or_default();
    f.insert("contacts".to_owned(), sorted(contacts));
    put(&mut f, "created_at", t.created_at);
    put(&mut f, "admin_assignee_id", t.admin_assignee_id);
    put(&mut f, "team_assignee_id", t.team_assignee_id);
    put(&mut f, "ticket_state_id", t.ticket_state.map(|s| s.id));
    put(&mut f, "open", t.open);
    put(&mut f, "snoozed_until", t.snoozed_until);
    attributes(&mut f, "ticket_attributes", &t.ticket_attributes);
    f.insert("tags".to_owned(), tag_ids(t.extra.get("tags")));
    let list = t.ticket_parts.unwrap_or_default();
    let parts: BTreeMap<String, ExpectedFields> = list
        .ticket_parts
        .iter()
        .map(|p| {
            let fields = part(
                p.part_type.as_deref(),
                p.author.as_ref(),
                p.created_at,
                p.body.as_deref(),
                &p.attachments,
            );
            (p.id.clone(), fields)
        })
        .collect();
    Found {
        fields: f,
        parts_shown: parts.len() as u64,
        parts,
        parts_total: list.total_count,
    }
}

/// A conversation read back, in `expect`'s field names (tags as the sorted ids in `tags`).
pub(crate) fn conversation(c: Conversation) -> Found {
    let mut f = ExpectedFields::new();
    let contacts = c
        .contacts
        .as_ref()
        .map(|x| x.contacts.iter().filter_map(|r| r.id.clone()).collect())
        .unwrap_or_default();
    f.insert("contacts".to_owned(), sorted(contacts));
    put(&mut f, "created_at", c.created_at);
    put(&mut f, "title", c.title.clone());
    put(
        &mut f,
        "state",
        c.state.as_ref().map(|s| s.as_str().to_owned()),
    );
    put(&mut f, "snoozed_until", c.snoozed_until);
    put(&mut f, "admin_assignee_id", c.admin_assignee_id.clone());
    put(&mut f, "team_assignee_id", c.team_assignee_id.clone());
    attributes(&mut f, "custom_attributes", &c.custom_attributes);
    let tags = c
        .tags
        .as_ref()
        .map(|t| t.tags.iter().map(|x| x.id.clone()).collect())
        .unwrap_or_default();
    f.insert("tags".to_owned(), sorted(tags));
    let parts: BTreeMap<String, ExpectedFields> = c
        .parts()
        .iter()
        .map(|p| {
            let fields = part(
                p.part_type.as_deref(),
                p.author.as_ref(),
                p.created_at,
                p.body.as_deref(),
                &p.attachments,
            );
            (p.id.clone(), fields)
        })
        .collect();
    Found {
        fields: f,
        parts_shown: parts.len() as u64,
        parts,
        parts_total: c.conversation_parts.as_ref().and_then(|p| p.total_count),
    }
}

fn collection(c: Collection) -> Found {
    let mut f = ExpectedFields::new();
    put(&mut f, "name", c.name);
    put(&mut f, "description", c.description);
    put(&mut f, "parent_id", c.parent_id);
    Found {
        fields: f,
        ..Found::default()
    }
}

fn article(a: Article) -> Found {
    let mut f = ExpectedFields::new();
    put(&mut f, "title", a.title);
    put(&mut f, "state", a.state.map(|s| s.as_str().to_owned()));
    put(&mut f, "parent_id", a.parent_id);
    put(&mut f, "body", a.body);
    Found {
        fields: f,
        ..Found::default()
    }
}

/// A ticket type: its name, whether it is archived, and each attribute that is not archived
/// as `ticket_type_attributes.<name>` → its data type.
fn ticket_type(t: TicketType) -> Found {
    let mut f = ExpectedFields::new();
    put(&mut f, "name", t.name);
    f.insert("archived".to_owned(), json!(t.archived.unwrap_or(false)));
    let attributes = t
        .ticket_type_attributes
        .map(|l| l.ticket_type_attributes)
        .unwrap_or_default();
    for a in attributes.into_iter().filter(|a| a.archived != Some(true)) {
        if let Some(name) = a.name {
            put(
                &mut f,
                &format!("ticket_type_attributes.{name}"),
                a.data_type,
            );
        }
    }
    Found {
        fields: f,
        ..Found::default()
    }
}

/// A contact data attribute (`model` is `contact`: the listing read is the contact model's)
/// or a conversation attribute, by name (case-insensitive), from the listing read once.
async fn attribute(
    client: &intercom_client::Client,
    schema: &tokio::sync::Mutex<Schema>,
    kind: &ObjectKind,
    name: &str,
) -> IcResult<Option<Found>> {
    let mut schema = schema.lock().await;
    let (listing, model) = if *kind == ObjectKind::DataAttribute {
        if schema.data.is_none() {
            schema.data = Some(intercom_schema::contact_attributes(client).await?);
        }
        (schema.data.as_ref(), Some("contact"))
    } else {
        if schema.conversation.is_none() {
            schema.conversation = Some(intercom_schema::conversation_attributes(client).await?);
        }
        (schema.conversation.as_ref(), None)
    };
    Ok(listing.and_then(|l| l.get(&name.to_lowercase())).map(|a| {
        let mut f = ExpectedFields::new();
        put(&mut f, "model", model);
        put(
            &mut f,
            "data_type",
            Some(a.data_type.clone()).filter(|t| !t.is_empty()),
        );
        Found {
            fields: f,
            ..Found::default()
        }
    }))
}

/// Reads `kind` `target_id` back from Intercom. `Ok(None)`: Intercom does not have it (404,
/// or an attribute missing from its listing).
pub(crate) async fn read(
    client: &intercom_client::Client,
    schema: &tokio::sync::Mutex<Schema>,
    kind: &ObjectKind,
    target_id: &str,
) -> IcResult<Option<Found>> {
    let found = match kind {
        ObjectKind::Contact => client.contacts().get(target_id).await.map(contact),
        ObjectKind::Ticket => client.tickets().get(target_id).await.map(ticket),
        ObjectKind::Conversation => client
            .conversations()
            .get(target_id)
            .await
            .map(conversation),
        ObjectKind::Collection => client
            .help_center()
            .get_collection(target_id)
            .await
            .map(collection),
        ObjectKind::Article => client
            .help_center()
            .get_article(target_id)
            .await
            .map(article),
        ObjectKind::Tag => client.tags().get(target_id).await.map(|t| Found {
            fields: ExpectedFields::from([("name".to_owned(), json!(t.name))]),
            ..Found::default()
        }),
        ObjectKind::TicketType => client.ticket_types().get(target_id).await.map(ticket_type),
        ObjectKind::DataAttribute | ObjectKind::ConversationAttribute => {
            return attribute(client, schema, kind, target_id).await;
        }
        _ => return Ok(Some(Found::default())),
    };
    match found {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
