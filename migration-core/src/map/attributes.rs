//! Custom attributes: the definitions the executor creates before any value is written, the
//! built-in attributes every migration writes, and the application of the spec's field rules.

use std::collections::BTreeSet;

use intercom_client::models::{
    AttributeOption, ConversationAttributeOption, ConversationAttributeType, CreateAttributeModel,
    CreateConversationAttribute, CreateDataAttribute, CreateTicketTypeAttribute, CustomAttributes,
    DataType, TicketAttributeType,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::Directory;
use super::outcome::{FieldNote, MapReason, ReasonCode};
use crate::spec::{
    FieldRule, FieldType, FieldValue, InvalidValuePolicy, MappingSpec, TargetModel, TicketTarget,
};

/// Contact attribute: the Glassix contact id (or `identifier:<address>` for a customer Glassix
/// gave no contact id).
pub const ATTR_ORIGINAL_ID: &str = "glassix_original_id";
/// Contact attribute: the channel the customer used most.
pub const ATTR_CHANNEL_PREFERENCE: &str = "glassix_channel_preference";
/// Ticket/conversation attribute: the Glassix ticket id.
pub const ATTR_TICKET_ID: &str = "glassix_ticket_id";
/// Ticket/conversation attribute: the department's name path (or id when unnamed).
pub const ATTR_DEPARTMENT: &str = "glassix_department";
/// Ticket/conversation attribute: the original channel (Intercom's source type cannot be set).
pub const ATTR_CHANNEL: &str = "glassix_channel";
/// Ticket/conversation attribute: seconds from the first customer message to the first agent
/// reply (`firstAgentResponseTimeGross`).
pub const ATTR_FIRST_RESPONSE: &str = "glassix_first_response_seconds";
/// Same, within business hours (`firstAgentResponseTimeNet`).
pub const ATTR_FIRST_RESPONSE_NET: &str = "glassix_first_response_net_seconds";
/// Seconds waiting in the queue before an agent was assigned (`queueTimeGross`).
pub const ATTR_QUEUE_TIME: &str = "glassix_queue_seconds";
/// Seconds from open to close (`close - open`), closed tickets only.
pub const ATTR_RESOLUTION: &str = "glassix_resolution_seconds";
/// Ticket duration in seconds (`durationGross`).
pub const ATTR_DURATION: &str = "glassix_duration_seconds";
/// Ticket duration within business hours in seconds (`durationNet`).
pub const ATTR_DURATION_NET: &str = "glassix_duration_net_seconds";
/// Average agent response time within business hours (`agentResponseAverageTimeNet`).
pub const ATTR_AVG_RESPONSE_NET: &str = "glassix_avg_response_net_seconds";
/// Messages sent by agents.
pub const ATTR_AGENT_MESSAGES: &str = "glassix_agent_messages";
/// Messages sent by the customer.
pub const ATTR_CUSTOMER_MESSAGES: &str = "glassix_customer_messages";
/// CSAT rating (1–5) when the ticket record carries survey answers.
pub const ATTR_CSAT: &str = "glassix_csat_rating";
/// Free-text CSAT comment when the ticket record carries one.
pub const ATTR_CSAT_COMMENT: &str = "glassix_csat_comment";

/// Where an attribute definition lives in Intercom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeModel {
    /// A contact data attribute (`POST /data_attributes`, model `contact`).
    Contact,
    /// A conversation attribute (`POST /conversations/attributes`).
    Conversation,
    /// An attribute of the migration ticket type (`POST /ticket_types/{id}/attributes`).
    TicketType,
}

/// An attribute the executor creates (or finds) before any value is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    /// Where it lives.
    pub model: AttributeModel,
    /// Name (ASCII, no `.` or `$`).
    pub name: String,
    /// Type.
    pub data_type: FieldType,
    /// List options (lists only).
    pub options: Vec<String>,
    /// Description shown in Intercom.
    pub description: String,
}

impl AttributeDefinition {
    fn new(model: AttributeModel, name: &str, data_type: FieldType, description: &str) -> Self {
        AttributeDefinition {
            model,
            name: name.to_owned(),
            data_type,
            options: Vec::new(),
            description: description.to_owned(),
        }
    }

    /// `POST /data_attributes` body (contact attributes only).
    pub fn to_data_attribute(&self) -> Option<CreateDataAttribute> {
        if self.model != AttributeModel::Contact {
            return None;
        }
        let data_type = match self.data_type {
            FieldType::String => DataType::String,
            FieldType::Integer => DataType::Integer,
            FieldType::Float => DataType::Float,
            FieldType::Boolean => DataType::Boolean,
            FieldType::Date => DataType::Date,
            FieldType::List => DataType::Options,
        };
        Some(CreateDataAttribute {
            name: self.name.clone(),
            model: CreateAttributeModel::Contact,
            data_type,
            description: Some(self.description.clone()),
            options: (self.data_type == FieldType::List).then(|| {
                self.options
                    .iter()
                    .map(|o| AttributeOption { value: o.clone() })
                    .collect()
            }),
            messenger_writable: None,
        })
    }

    /// `POST /conversations/attributes` body (conversation attributes only).
    pub fn to_conversation_attribute(&self) -> Option<CreateConversationAttribute> {
        if self.model != AttributeModel::Conversation {
            return None;
        }
        let mut req = CreateConversationAttribute::new(
            self.name.clone(),
            match self.data_type {
                FieldType::String => ConversationAttributeType::String,
                FieldType::Integer => ConversationAttributeType::Integer,
                FieldType::Float => ConversationAttributeType::Decimal,
                FieldType::Boolean => ConversationAttributeType::Boolean,
                FieldType::Date => ConversationAttributeType::Datetime,
                FieldType::List => ConversationAttributeType::List,
            },
        );
        req.description = Some(self.description.clone());
        if self.data_type == FieldType::List {
            req.options = Some(
                self.options
                    .iter()
                    .map(|o| ConversationAttributeOption { label: o.clone() })
                    .collect(),
            );
        }
        Some(req)
    }

    /// `POST /ticket_types/{id}/attributes` body (ticket type attributes only).
    pub fn to_ticket_type_attribute(&self) -> Option<CreateTicketTypeAttribute> {
        if self.model != AttributeModel::TicketType {
            return None;
        }
        let mut req = CreateTicketTypeAttribute::new(
            self.name.clone(),
            self.description.clone(),
            match self.data_type {
                FieldType::String => TicketAttributeType::String,
                FieldType::Integer => TicketAttributeType::Integer,
                FieldType::Float => TicketAttributeType::Decimal,
                FieldType::Boolean => TicketAttributeType::Boolean,
                FieldType::Date => TicketAttributeType::Datetime,
                FieldType::List => TicketAttributeType::List,
            },
        );
        // Imported history, not a form: never required, not shown on create.
        req.required_to_create = Some(false);
        req.visible_on_create = Some(false);
        if self.data_type == FieldType::List {
            req.list_items = Some(self.options.join(","));
        }
        Some(req)
    }
}

/// The model that ticket-level attributes use under `spec`.
pub fn ticket_attribute_model(spec: &MappingSpec) -> AttributeModel {
    match spec.objects.tickets {
        TicketTarget::Tickets => AttributeModel::TicketType,
        TicketTarget::Conversations => AttributeModel::Conversation,
    }
}

/// Every attribute the migration writes under `spec`: the built-ins (original ids, channel,
/// department, metrics, CSAT) and one per field rule (tags rules excluded), without duplicates
/// (a rule that targets a built-in name replaces it). Pure; create them before any value.
pub fn attribute_definitions(spec: &MappingSpec) -> Vec<AttributeDefinition> {
    use AttributeModel::Contact;
    use FieldType::{Integer, String as Str};
    let t = ticket_attribute_model(spec);
    let mut out = vec![
        AttributeDefinition::new(Contact, ATTR_ORIGINAL_ID, Str, "Glassix contact id"),
        AttributeDefinition::new(
            Contact,
            ATTR_CHANNEL_PREFERENCE,
            Str,
            "Channel the customer used most in Glassix",
        ),
        AttributeDefinition::new(t, ATTR_TICKET_ID, Integer, "Glassix ticket id"),
        AttributeDefinition::new(t, ATTR_DEPARTMENT, Str, "Glassix department"),
        AttributeDefinition::new(t, ATTR_CHANNEL, Str, "Original Glassix channel"),
    ];
    for (name, what) in [
        (ATTR_FIRST_RESPONSE, "First agent response time (s)"),
        (
            ATTR_FIRST_RESPONSE_NET,
            "First agent response time within business hours (s)",
        ),
        (ATTR_QUEUE_TIME, "Time in queue (s)"),
        (ATTR_RESOLUTION, "Time from open to close (s)"),
        (ATTR_DURATION, "Duration (s)"),
        (ATTR_DURATION_NET, "Duration within business hours (s)"),
        (
            ATTR_AVG_RESPONSE_NET,
            "Average agent response time within business hours (s)",
        ),
        (ATTR_AGENT_MESSAGES, "Messages sent by agents"),
        (ATTR_CUSTOMER_MESSAGES, "Messages sent by the customer"),
        (ATTR_CSAT, "CSAT rating (1-5)"),
    ] {
        out.push(AttributeDefinition::new(
            t,
            name,
            Integer,
            &format!("Glassix: {what}"),
        ));
    }
    out.push(AttributeDefinition::new(
        t,
        ATTR_CSAT_COMMENT,
        Str,
        "Glassix: CSAT comment",
    ));
    for rule in spec.all_rules() {
        let model = match rule.model {
            TargetModel::Tags => continue,
            TargetModel::Contact => AttributeModel::Contact,
            TargetModel::Ticket => AttributeModel::TicketType,
            TargetModel::Conversation => AttributeModel::Conversation,
        };
        if spec.policies.invalid_value == InvalidValuePolicy::AsText
            && rule.field_type != FieldType::String
        {
            let name = InvalidValuePolicy::text_target(&rule.target);
            out.retain(|d| !(d.model == model && d.name.eq_ignore_ascii_case(&name)));
            out.push(AttributeDefinition {
                model,
                name,
                data_type: FieldType::String,
                options: Vec::new(),
                description: format!("Glassix {} (values that did not convert)", rule.source),
            });
        }
        out.retain(|d| !(d.model == model && d.name.eq_ignore_ascii_case(&rule.target)));
        out.push(AttributeDefinition {
            model,
            name: rule.target.clone(),
            data_type: rule.field_type,
            options: rule.options.clone(),
            description: rule
                .description
                .clone()
                .unwrap_or_else(|| format!("Glassix {}", rule.source)),
        });
    }
    out
}

/// A tag to attach: its name, and its Intercom id when it exists already (otherwise the
/// executor gets-or-creates it by name, which Intercom does idempotently).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagRef {
    /// Tag name as it will appear in Intercom.
    pub name: String,
    /// Intercom tag id, if known.
    pub id: Option<String>,
}

/// Distinct tag references (case-insensitive), in first-seen order, blank names dropped.
pub(crate) fn tag_refs<'a>(
    names: impl IntoIterator<Item = &'a str>,
    directory: &Directory,
) -> Vec<TagRef> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in names {
        let name = n.trim();
        if name.is_empty() || !seen.insert(name.to_lowercase()) {
            continue;
        }
        out.push(TagRef {
            name: name.to_owned(),
            id: directory.tag_id(name).map(str::to_owned),
        });
    }
    out
}

/// Reads a dotted source path (`field2`, `details.location`, `customFields.plan`…) from a
/// record's JSON form. Strings are returned as they are, numbers and booleans as text, arrays of
/// scalars joined with `,`; `null`, objects and absent paths are missing.
pub(crate) fn read_path(record: &Value, path: &str) -> Option<String> {
    let mut v = record;
    for key in path.split('.') {
        v = match v {
            Value::Object(m) => m.get(key).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            })?,
            _ => return None,
        };
    }
    scalar_text(v)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        _ => None,
    }
}

/// What applying the field rules of one model to one record produced.
#[derive(Debug, Default)]
pub(crate) struct RuleOutput {
    pub(crate) attributes: CustomAttributes,
    pub(crate) tags: Vec<String>,
    pub(crate) notes: Vec<FieldNote>,
}

/// Applies every rule whose model is in `models` to a record; `read` gives the raw source
/// value of a rule. A value that does not fit its type follows `policy`: left unwritten with a
/// field item (`skip_field`), an error naming the field that queues the record
/// (`queue_record`), or written unchanged into `<target>_text` (`as_text`).
pub(crate) fn apply_rules<'r>(
    rules: impl IntoIterator<Item = &'r FieldRule>,
    models: &[TargetModel],
    directory: &Directory,
    policy: InvalidValuePolicy,
    mut read: impl FnMut(&FieldRule) -> Option<String>,
) -> Result<RuleOutput, MapReason> {
    let mut out = RuleOutput::default();
    for rule in rules.into_iter().filter(|r| models.contains(&r.model)) {
        let raw = read(rule);
        let value = match rule.apply(raw.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                let why = format!(
                    "{e}. Fix the value in Glassix, or change the rule for `{}` in the mapping \
                     spec (type, transforms, options or default), then run again",
                    rule.source
                );
                let raw = raw.clone().unwrap_or_default();
                match policy {
                    InvalidValuePolicy::QueueRecord => {
                        return Err(MapReason::new(ReasonCode::InvalidFieldValue, why)
                            .with_field(rule.source.clone()));
                    }
                    InvalidValuePolicy::SkipField => {
                        out.notes
                            .push(FieldNote::unwritten_value(rule.source.clone(), raw, &why));
                    }
                    InvalidValuePolicy::AsText if rule.model == TargetModel::Tags => {
                        out.notes
                            .push(FieldNote::unwritten_value(rule.source.clone(), raw, &why));
                    }
                    InvalidValuePolicy::AsText => {
                        let target = InvalidValuePolicy::text_target(&rule.target);
                        out.notes.push(FieldNote::warning(
                            rule.source.clone(),
                            format!(
                                "value `{raw}` does not convert ({e}); written unchanged to \
                                 `{target}` (policy as_text)"
                            ),
                        ));
                        out.attributes.insert(target, Value::from(raw));
                    }
                }
                continue;
            }
        };
        let json = match value {
            FieldValue::Missing => continue,
            FieldValue::Tags(t) => {
                out.tags.extend(t);
                continue;
            }
            FieldValue::String(s) => Value::from(s),
            FieldValue::Integer(i) => Value::from(i),
            FieldValue::Float(f) => Value::from(f),
            FieldValue::Boolean(b) => Value::from(b),
            FieldValue::Date(d) => Value::from(d.timestamp()),
            FieldValue::List(label) => {
                match directory
                    .list_items
                    .get(&rule.target)
                    .and_then(|items| items.get(&label))
                {
                    Some(id) => Value::from(id.clone()),
                    None if rule.model == TargetModel::Ticket => {
                        return Err(MapReason::new(
                            ReasonCode::UnresolvedListItem,
                            format!(
                                "`{label}` of list attribute `{}` has no Intercom list item id \
                                 yet; create the ticket type attributes first, then run again",
                                rule.target
                            ),
                        )
                        .with_field(rule.source.clone()));
                    }
                    None => Value::from(label),
                }
            }
        };
        if rule.field_type == FieldType::String {
            if let Value::String(s) = &json {
                if s.chars().count() > 255 {
                    out.notes.push(FieldNote::warning(
                        rule.source.clone(),
                        format!(
                            "{} characters; Intercom may limit string attributes to 255 \
                             (unverified), the value is sent whole",
                            s.chars().count()
                        ),
                    ));
                }
            }
        }
        out.attributes.insert(rule.target.clone(), json);
    }
    Ok(out)
}
