//! Tickets and everything nested in them except transactions and participants.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use wire_extra::impl_serde_with_extra;

use super::enums::{DynamicParameterType, ProtocolType, TicketState, TicketType};
use super::lenient::{guid, guid_list, null_default as nd, opt_guid};
use super::participant::Participant;
use super::time::{duration, timestamp};
use super::transaction::{Attachment, Transaction};
use super::user::Owner;

/// A Glassix ticket (conversation). `tickets/list` returns it without `transactions`;
/// `tickets/get/{id}` with them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Ticket {
    /// Ticket id.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// Department (equals its API key).
    #[serde(with = "guid")]
    pub department_id: Uuid,
    /// Subject line.
    #[serde(deserialize_with = "nd")]
    pub field1: String,
    /// Department-defined field 2.
    #[serde(deserialize_with = "nd")]
    pub field2: String,
    /// Department-defined field 3.
    #[serde(deserialize_with = "nd")]
    pub field3: String,
    /// Department-defined field 4.
    #[serde(deserialize_with = "nd")]
    pub field4: String,
    /// Department-defined field 5.
    #[serde(deserialize_with = "nd")]
    pub field5: String,
    /// Department-defined field 6.
    #[serde(deserialize_with = "nd")]
    pub field6: String,
    /// Department-defined field 7.
    #[serde(deserialize_with = "nd")]
    pub field7: String,
    /// Department-defined field 8.
    #[serde(deserialize_with = "nd")]
    pub field8: String,
    /// Department-defined field 9.
    #[serde(deserialize_with = "nd")]
    pub field9: String,
    /// Department-defined field 10.
    #[serde(deserialize_with = "nd")]
    pub field10: String,
    /// Language (`en-US`…).
    #[serde(deserialize_with = "nd")]
    pub culture: String,
    /// Regular or bot ticket.
    pub ticket_type: TicketType,
    /// Tag names.
    #[serde(deserialize_with = "nd")]
    pub tags: Vec<String>,
    /// Owner (its `id` is `None` when unassigned).
    pub owner: Option<Owner>,
    /// State.
    pub state: TicketState,
    /// Opened.
    #[serde(with = "timestamp")]
    pub open: Option<DateTime<Utc>>,
    /// Closed; `None` if never closed (`0001-01-01T00:00:00` on the wire).
    #[serde(with = "timestamp")]
    pub close: Option<DateTime<Utc>>,
    /// Last message, state or field change.
    #[serde(with = "timestamp")]
    pub last_activity: Option<DateTime<Utc>>,
    /// External reference.
    #[serde(deserialize_with = "nd")]
    pub unique_argument: String,
    /// Visitor and referral details.
    pub details: Option<Details>,
    /// Main channel.
    pub primary_protocol_type: ProtocolType,
    /// Ticket this one was moved to (0 = not moved).
    #[serde(deserialize_with = "nd")]
    pub moved_to_ticket_id: i64,
    /// Department this ticket was moved to.
    #[serde(with = "opt_guid")]
    pub moved_to_department_id: Option<Uuid>,
    /// Ticket this one was moved from (0 = not moved).
    #[serde(deserialize_with = "nd")]
    pub moved_from_ticket_id: i64,
    /// Department this ticket was moved from.
    #[serde(with = "opt_guid")]
    pub moved_from_department_id: Option<Uuid>,
    /// First customer message.
    #[serde(with = "timestamp")]
    pub first_customer_message_date_time: Option<DateTime<Utc>>,
    /// First agent message.
    #[serde(with = "timestamp")]
    pub first_agent_message_date_time: Option<DateTime<Utc>>,
    /// Author of the first agent message.
    #[serde(with = "opt_guid")]
    pub first_agent_message_user_id: Option<Uuid>,
    /// Last customer message.
    #[serde(with = "timestamp")]
    pub last_customer_message_date_time: Option<DateTime<Utc>>,
    /// Last agent message.
    #[serde(with = "timestamp")]
    pub last_agent_message_date_time: Option<DateTime<Utc>>,
    /// Queue time (gross).
    #[serde(with = "duration")]
    pub queue_time_gross: Option<TimeDelta>,
    /// Queue time within business hours.
    #[serde(with = "duration")]
    pub queue_time_net: Option<TimeDelta>,
    /// First response time (gross).
    #[serde(with = "duration")]
    pub first_agent_response_time_gross: Option<TimeDelta>,
    /// First response time within business hours.
    #[serde(with = "duration")]
    pub first_agent_response_time_net: Option<TimeDelta>,
    /// Assignment-to-response time (gross).
    #[serde(with = "duration")]
    pub agent_assign_to_response_time_gross: Option<TimeDelta>,
    /// Assignment-to-response time within business hours.
    #[serde(with = "duration")]
    pub agent_assign_to_response_time_net: Option<TimeDelta>,
    /// First assignment to an agent.
    #[serde(with = "timestamp")]
    pub first_agent_allocation_timestamp: Option<DateTime<Utc>>,
    /// Last assignment to an agent.
    #[serde(with = "timestamp")]
    pub last_agent_allocation_timestamp: Option<DateTime<Utc>>,
    /// Media sent by agents.
    #[serde(deserialize_with = "nd")]
    pub agent_media_count: i64,
    /// Media sent by the customer.
    #[serde(deserialize_with = "nd")]
    pub customer_media_count: i64,
    /// Messages sent by agents.
    #[serde(deserialize_with = "nd")]
    pub agent_messages_count: i64,
    /// Messages sent by the customer.
    #[serde(deserialize_with = "nd")]
    pub customer_messages_count: i64,
    /// Duration within business hours.
    #[serde(with = "duration")]
    pub duration_net: Option<TimeDelta>,
    /// Duration (gross).
    #[serde(with = "duration")]
    pub duration_gross: Option<TimeDelta>,
    /// Average agent response time within business hours.
    #[serde(with = "duration")]
    pub agent_response_average_time_net: Option<TimeDelta>,
    /// Total conversation time within business hours.
    #[serde(with = "duration")]
    pub total_conversation_time_net: Option<TimeDelta>,
    /// Canned replies used.
    #[serde(deserialize_with = "nd")]
    pub agent_canned_replies_count: i64,
    /// Bot conversation.
    #[serde(with = "opt_guid")]
    pub bot_conversation_id: Option<Uuid>,
    /// Bot conversations (zero GUIDs dropped).
    #[serde(with = "guid_list")]
    pub bot_conversations: Vec<Uuid>,
    /// Customer-initiated.
    #[serde(deserialize_with = "nd")]
    pub is_incoming: bool,
    /// Personal data erased; skip or flag such tickets.
    #[serde(deserialize_with = "nd")]
    pub is_scrambled: bool,
    /// Parties of the ticket.
    #[serde(deserialize_with = "nd")]
    pub participants: Vec<Participant>,
    /// Values collected by chatbot flows.
    #[serde(deserialize_with = "nd")]
    pub dynamic_parameters: Vec<DynamicParameter>,
    /// Chatbot path.
    #[serde(deserialize_with = "nd")]
    pub bot_conversation_steps: Vec<BotConversationStep>,
    /// Agent or AI summary.
    pub ticket_summary: Option<TicketSummary>,
    /// Nested tickets.
    #[serde(deserialize_with = "nd")]
    pub nested_tickets_ids: Vec<i64>,
    /// Parent of a nested ticket (0 = none).
    #[serde(deserialize_with = "nd")]
    pub parent_nested_ticket_id: i64,
    /// Closed by an automation.
    #[serde(deserialize_with = "nd")]
    pub was_closed_automatically: bool,
    /// Number of transactions.
    #[serde(deserialize_with = "nd")]
    pub transactions_count: i64,
    /// Activity log (seen only in one create response; absent from the SDKs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_logs: Option<Vec<ActivityLog>>,
    /// The history; present only from `tickets/get/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<Transaction>>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Ticket);

impl Ticket {
    /// The ticket this one was moved to, if it was.
    pub fn moved_to(&self) -> Option<i64> {
        (self.moved_to_ticket_id != 0).then_some(self.moved_to_ticket_id)
    }

    /// The ticket this one was moved from, if it was.
    pub fn moved_from(&self) -> Option<i64> {
        (self.moved_from_ticket_id != 0).then_some(self.moved_from_ticket_id)
    }

    /// The transactions (empty for a listed ticket).
    pub fn transactions(&self) -> &[Transaction] {
        self.transactions.as_deref().unwrap_or_default()
    }

    /// Every attachment of every transaction.
    pub fn attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.transactions()
            .iter()
            .flat_map(|t| t.attachments.iter())
    }

    /// Contacts of the customer participants (zero GUIDs skipped), in order, without repeats.
    pub fn contact_ids(&self) -> Vec<Uuid> {
        let mut out = Vec::new();
        for id in self
            .participants
            .iter()
            .filter(|p| p.is_client())
            .filter_map(|p| p.contact_id)
        {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

/// Visitor and referral details of a ticket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Details {
    /// Browser user agent.
    #[serde(deserialize_with = "nd")]
    pub user_agent: String,
    /// Visitor IP address (`iPAddress` on the wire).
    #[serde(rename = "iPAddress", alias = "ipAddress", deserialize_with = "nd")]
    pub ip_address: String,
    /// Free-text location.
    #[serde(deserialize_with = "nd")]
    pub location: String,
    /// Chatbot path.
    #[serde(deserialize_with = "nd")]
    pub cards_path: String,
    /// Page the conversation started on.
    pub source: Option<Source>,
    /// External link (URI or null).
    pub external_link: Option<String>,
    /// Chat from a mobile device.
    #[serde(deserialize_with = "nd")]
    pub is_mobile: bool,
    /// Identity-token claims (string map or null), verbatim.
    pub identity_token_claims: Option<Map<String, Value>>,
    /// Advertising and campaign referral.
    pub referral: Option<Referral>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Details);

/// The page a web conversation started on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Source {
    /// Page title.
    #[serde(deserialize_with = "nd")]
    pub title: String,
    /// Page URL (may be `""`).
    #[serde(deserialize_with = "nd")]
    pub uri: String,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Source);

/// Advertising and campaign referral of a ticket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Referral {
    /// UTM parameters (map or null), verbatim.
    pub utm_parameters: Option<Map<String, Value>>,
    /// Ad id.
    #[serde(deserialize_with = "nd")]
    pub ad_id: String,
    /// Ad title.
    #[serde(deserialize_with = "nd")]
    pub ad_title: String,
    /// Referral data.
    #[serde(deserialize_with = "nd")]
    pub ref_data: String,
    /// Product id.
    #[serde(deserialize_with = "nd")]
    pub product_id: String,
    /// Facebook post id.
    #[serde(deserialize_with = "nd")]
    pub fb_post_id: String,
    /// Instagram story id.
    #[serde(deserialize_with = "nd")]
    pub instagram_story_id: String,
    /// Instagram story media URL.
    pub instagram_story_media_url: Option<String>,
    /// Apple intent id.
    #[serde(deserialize_with = "nd")]
    pub apple_intent_id: String,
    /// Apple group id.
    #[serde(deserialize_with = "nd")]
    pub apple_group_id: String,
    /// Twitter root tweet id.
    #[serde(deserialize_with = "nd")]
    pub twitter_root_tweet_id: String,
    /// TikTok video id (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tik_tok_video_id: Option<String>,
    /// TikTok comment id (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tik_tok_comment_id: Option<String>,
    /// WhatsApp ad headline (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_headline: Option<String>,
    /// WhatsApp ad body (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_body: Option<String>,
    /// WhatsApp ad source type (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_source_type: Option<String>,
    /// WhatsApp ad source id (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_source_id: Option<String>,
    /// WhatsApp ad source URL (C# SDK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_source_url: Option<String>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Referral);

/// A value a chatbot flow collected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct DynamicParameter {
    /// Id.
    #[serde(with = "opt_guid")]
    pub id: Option<Uuid>,
    /// Flow that collected it.
    #[serde(with = "opt_guid")]
    pub flow_id: Option<Uuid>,
    /// Parameter name.
    #[serde(deserialize_with = "nd")]
    pub name: String,
    /// Text value.
    #[serde(deserialize_with = "nd")]
    pub str_value: String,
    /// Boolean value.
    #[serde(deserialize_with = "nd")]
    pub bool_value: bool,
    /// Numeric value.
    #[serde(deserialize_with = "nd")]
    pub num_value: f64,
    /// Integer value.
    #[serde(deserialize_with = "nd")]
    pub int_value: i64,
    /// Which value field applies.
    #[serde(rename = "type")]
    pub kind: DynamicParameterType,
    /// Description.
    #[serde(deserialize_with = "nd")]
    pub description: String,
    /// When collected (`creationDatetime` on the wire).
    #[serde(
        rename = "creationDatetime",
        alias = "creationDateTime",
        with = "timestamp"
    )]
    pub creation_datetime: Option<DateTime<Utc>>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(DynamicParameter);

/// One step of a chatbot conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct BotConversationStep {
    /// Department.
    #[serde(with = "opt_guid")]
    pub department_id: Option<Uuid>,
    /// Bot conversation.
    #[serde(with = "opt_guid")]
    pub bot_conversation_id: Option<Uuid>,
    /// Flow.
    #[serde(with = "opt_guid")]
    pub flow_id: Option<Uuid>,
    /// Flow version.
    #[serde(deserialize_with = "nd")]
    pub flow_version: f64,
    /// Flow name.
    #[serde(deserialize_with = "nd")]
    pub flow_name: String,
    /// Step kind, verbatim.
    #[serde(deserialize_with = "nd")]
    pub step_type: String,
    /// Card id.
    #[serde(with = "opt_guid")]
    pub unique_card_id: Option<Uuid>,
    /// Card name.
    #[serde(deserialize_with = "nd")]
    pub card_friendly_name: String,
    /// When visited (`visitDatetime` on the wire).
    #[serde(rename = "visitDatetime", alias = "visitDateTime", with = "timestamp")]
    pub visit_datetime: Option<DateTime<Utc>>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(BotConversationStep);

/// An agent or AI summary of a ticket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct TicketSummary {
    /// Author.
    #[serde(with = "opt_guid")]
    pub user_id: Option<Uuid>,
    /// Last updated.
    #[serde(with = "timestamp")]
    pub last_update_timestamp: Option<DateTime<Utc>>,
    /// The summary text.
    #[serde(deserialize_with = "nd")]
    pub value: String,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(TicketSummary);

/// An activity-log entry (seen in one 2026 response only; modelled leniently).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct ActivityLog {
    /// State entered.
    pub state: TicketState,
    /// When.
    #[serde(with = "timestamp")]
    pub changed_on: Option<DateTime<Utc>>,
    /// Who made the change.
    #[serde(with = "opt_guid")]
    pub initiator_user_id: Option<Uuid>,
    /// Owner at the time.
    #[serde(with = "opt_guid")]
    pub user_id: Option<Uuid>,
    /// Ticket type at the time.
    pub ticket_type: TicketType,
    /// Activity time in seconds.
    #[serde(deserialize_with = "nd")]
    pub total_activity_time_sec: f64,
    /// Activity time within business hours, in seconds.
    #[serde(deserialize_with = "nd")]
    pub total_activity_time_sec_net: f64,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(ActivityLog);

/// One page of `GET /tickets/list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct TicketPage {
    /// Tickets of the page (without transactions).
    #[serde(deserialize_with = "nd")]
    pub tickets: Vec<Ticket>,
    /// Link to the next page; `{}`, `null` or absent on the last page.
    pub paging: Option<Paging>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(TicketPage);

impl TicketPage {
    /// The next page's absolute URL, if any (an empty string counts as none).
    pub fn next(&self) -> Option<&str> {
        self.paging
            .as_ref()
            .and_then(|p| p.next.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// The `paging` object of a ticket page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Paging {
    /// Absolute URL of the next page, to be requested verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Paging);
