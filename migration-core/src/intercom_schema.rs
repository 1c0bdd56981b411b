//! What Intercom already has of the schema a migration writes: contact data attributes,
//! conversation attributes, and ticket types with their attributes and list items. One reader,
//! used by discovery (to report conflicts) and by the run (to reuse what exists and create the
//! rest).

use std::collections::BTreeMap;

use intercom_client::models::{AttributeModel as IcModel, TicketType};
use serde_json::Value;

use crate::map::AttributeModel;

/// One attribute that exists in Intercom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExistingAttribute {
    /// Its name as Intercom spells it.
    pub(crate) name: String,
    /// Intercom's data type (`string`, `integer`, `list` …; empty when not returned).
    pub(crate) data_type: String,
    /// List items of a list attribute: label → item id.
    pub(crate) list_items: BTreeMap<String, String>,
}

/// Attributes of one model, by lower-case name (Intercom names are case-insensitive).
pub(crate) type Attributes = BTreeMap<String, ExistingAttribute>;

/// Contact data attributes (custom and standard).
pub(crate) async fn contact_attributes(
    client: &intercom_client::Client,
) -> Result<Attributes, intercom_client::Error> {
    let list = client
        .attributes()
        .list_data_attributes(Some(IcModel::Contact), false)
        .await?;
    Ok(collect(list.into_iter().map(|a| {
        let data_type = a.data_type.map(|t| t.as_str().to_owned());
        (a.name, data_type, a.extra)
    })))
}

/// Archived contact data attributes: lower-cased name → Intercom id.
pub(crate) async fn archived_contact_attributes(
    client: &intercom_client::Client,
) -> Result<BTreeMap<String, String>, intercom_client::Error> {
    let list = client
        .attributes()
        .list_data_attributes(Some(IcModel::Contact), true)
        .await?;
    Ok(list
        .into_iter()
        .filter(|a| a.archived == Some(true))
        .filter_map(|a| a.name.map(|n| (n.to_lowercase(), a.id)))
        .collect())
}

/// Conversation attributes.
pub(crate) async fn conversation_attributes(
    client: &intercom_client::Client,
) -> Result<Attributes, intercom_client::Error> {
    let list = client
        .attributes()
        .list_conversation_attributes(false)
        .await?;
    Ok(collect(list.into_iter().map(|a| {
        let data_type = a.data_type.map(|t| t.as_str().to_owned());
        (a.name, data_type, a.extra)
    })))
}

/// Named attributes (name, Intercom type, extra fields) by lower-case name.
fn collect(
    attributes: impl Iterator<
        Item = (
            Option<String>,
            Option<String>,
            serde_json::Map<String, Value>,
        ),
    >,
) -> Attributes {
    attributes
        .filter_map(|(name, data_type, extra)| {
            name.map(|n| attribute(n, data_type.unwrap_or_default(), &extra))
        })
        .collect()
}

/// The ticket type named `name` (case-insensitive), if it exists.
pub(crate) async fn find_ticket_type(
    client: &intercom_client::Client,
    name: &str,
) -> Result<Option<TicketType>, intercom_client::Error> {
    Ok(client.ticket_types().list().await?.into_iter().find(|t| {
        t.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }))
}

/// The attributes of ticket type `id`, read back with their list items.
pub(crate) async fn ticket_type_attributes(
    client: &intercom_client::Client,
    id: &str,
) -> Result<Attributes, intercom_client::Error> {
    let t = client.ticket_types().get(id).await?;
    let list = t
        .ticket_type_attributes
        .map(|l| l.ticket_type_attributes)
        .unwrap_or_default();
    Ok(collect(
        list.into_iter().map(|a| (a.name, a.data_type, a.extra)),
    ))
}

/// The attributes of `model` that exist now: what a look-up after an unknown create reads.
pub(crate) async fn attributes_of(
    client: &intercom_client::Client,
    model: AttributeModel,
    ticket_type: Option<&str>,
) -> Result<Attributes, intercom_client::Error> {
    match model {
        AttributeModel::Contact => contact_attributes(client).await,
        AttributeModel::Conversation => conversation_attributes(client).await,
        AttributeModel::TicketType => match ticket_type {
            Some(tt) => ticket_type_attributes(client, tt).await,
            None => Ok(Attributes::new()),
        },
    }
}

fn attribute(
    name: String,
    data_type: String,
    extra: &serde_json::Map<String, Value>,
) -> (String, ExistingAttribute) {
    (
        name.to_lowercase(),
        ExistingAttribute {
            name,
            data_type,
            list_items: list_options(extra).into_iter().collect(),
        },
    )
}

/// `(label, id)` of a list attribute's `input_options.list_options`.
pub(crate) fn list_options(extra: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    extra
        .get("input_options")
        .and_then(|o| o.get("list_options"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    let id = match o.get("id")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some((o.get("label")?.as_str()?.to_owned(), id))
                })
                .collect()
        })
        .unwrap_or_default()
}
