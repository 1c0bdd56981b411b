//! Changes to the Glassix workspace between runs, as agents make them in real Glassix: a message
//! or note added, the state changed, the ticket reassigned or retagged, a custom field edited, a
//! ticket added, a contact edited, a message body edited, a knowledge-base article edited in
//! the export. Each moves the times real Glassix moves (see `reference/glassix-api.md`): a
//! ticket's `lastActivity` (the list filter reads `open`, `close` and `lastActivity`), `close` when
//! it closes, the last customer/agent message times; a contact's `updateDateTime`; an article's
//! `updatedAt`. Served under `POST /__sandbox/glassix/...` and callable in-process with
//! [`super::FakeGlassixHandle::mutate`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{GlassixState, Shared, StoredTicket};
use crate::snapshot::parse_glassix_time;

/// Glassix's "not set" timestamp.
const NOT_SET: &str = "0001-01-01T00:00:00";
/// The zero GUID (an unassigned owner).
const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// One change to the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Mutation {
    /// Appends a message or note (`kind` `Message` or `Note`) from the customer
    /// (`from_customer`) or the ticket's owner (else the department's first agent).
    AddTransaction {
        /// The ticket.
        ticket_id: i64,
        /// `Message` or `Note`.
        kind: String,
        /// Plain text; the HTML body is `<p>text</p>`.
        text: String,
        /// From the ticket's customer (else from an agent).
        #[serde(default)]
        from_customer: bool,
    },
    /// Sets the state (`Open`, `Closed`, `Pending`, `Snoozed`); closing sets `close`.
    SetState {
        /// The ticket.
        ticket_id: i64,
        /// The new state.
        state: String,
    },
    /// Reassigns the ticket to a user of its department (by user id), or unassigns it (`null`).
    SetOwner {
        /// The ticket.
        ticket_id: i64,
        /// The user's id (`users/allusers`), or `null` to unassign.
        user_id: Option<String>,
    },
    /// Replaces the ticket's tags.
    SetTags {
        /// The ticket.
        ticket_id: i64,
        /// Tag names.
        tags: Vec<String>,
    },
    /// Sets a ticket field (`field1` … `field10`).
    SetField {
        /// The ticket.
        ticket_id: i64,
        /// `field1` … `field10`.
        field: String,
        /// The new value.
        value: String,
    },
    /// Edits the body of an existing message (Glassix allows it for some channels; Intercom parts
    /// are immutable).
    EditTransaction {
        /// The ticket.
        ticket_id: i64,
        /// The transaction's `guidTransactionId`.
        guid: String,
        /// The new text.
        text: String,
    },
    /// Lists an existing message twice: a copy of the transaction `guid`, same GUID and id,
    /// appended to the ticket's transactions (an adversarial payload: a client must not write
    /// it twice).
    RepeatTransaction {
        /// The ticket.
        ticket_id: i64,
        /// The transaction's `guidTransactionId`.
        guid: String,
    },
    /// Adds a ticket: a copy of `template_id` (same department, customer and owner) under a new
    /// id, opened now, open, with fresh transaction GUIDs.
    AddTicket {
        /// The ticket copied.
        template_id: i64,
    },
    /// Renames a contact (its `updateDateTime` moves).
    EditContact {
        /// The contact's GUID.
        contact_id: String,
        /// The new name.
        name: String,
    },
    /// Edits a knowledge-base article of the export (title and/or body); its `updatedAt` moves
    /// and the export file is written again when the sandbox writes exports.
    EditArticle {
        /// The article's id.
        article_id: String,
        /// New title.
        #[serde(default)]
        title: Option<String>,
        /// New HTML body.
        #[serde(default)]
        body_html: Option<String>,
    },
}

/// Why a mutation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MutationError {
    /// The record does not exist.
    #[error("{0} not found in the sandbox's Glassix workspace")]
    NotFound(String),
    /// The request is malformed; the message names the field.
    #[error("invalid mutation: {0}")]
    Invalid(String),
    /// The export file could not be written again.
    #[error("writing the export again: {0}")]
    Export(String),
}

impl Mutation {
    /// Applies the change at `now_ms`; returns the changed record's JSON.
    pub(crate) fn apply(
        self,
        s: &mut GlassixState,
        now_ms: i64,
        exports: Option<&std::path::Path>,
    ) -> Result<Value, MutationError> {
        let now = stamp(now_ms);
        match self {
            Mutation::AddTransaction {
                ticket_id,
                kind,
                text,
                from_customer,
            } => {
                if kind != "Message" && kind != "Note" {
                    return Err(MutationError::Invalid(format!(
                        "`kind` is `{kind}`: use `Message` or `Note`"
                    )));
                }
                if kind == "Note" && from_customer {
                    return Err(MutationError::Invalid(
                        "a note is written by an agent: `from_customer` must be false".into(),
                    ));
                }
                let agent = agent_participant(s, ticket_id)?;
                let seq = next_seq(s);
                edit_ticket(s, ticket_id, now_ms, |t| {
                    let from = if from_customer {
                        t["participants"]
                            .as_array()
                            .and_then(|p| p.iter().find(|x| x["type"] == "Client").cloned())
                            .ok_or_else(|| {
                                MutationError::Invalid(format!(
                                    "ticket {ticket_id} has no customer participant"
                                ))
                            })?
                    } else {
                        agent
                    };
                    let customer = from["type"] == "Client";
                    let tx = json!({
                        "guidTransactionId": uuid_for(seq),
                        "id": 790_000_000_000_000i64 + i64::try_from(seq).unwrap_or(0),
                        "dateTime": now, "fromProtocolType": if customer { t["primaryProtocolType"].clone() } else { json!("Web") },
                        "type": kind, "text": text, "html": if kind == "Message" { format!("<p>{text}</p>") } else { String::new() },
                        "status": if kind == "Message" { "Delivered" } else { "" },
                        "fromParticipant": from, "attachments": [], "payload": null,
                    });
                    let list = t["transactions"].as_array_mut().ok_or_else(|| {
                        MutationError::Invalid(format!("ticket {ticket_id} has no transactions"))
                    })?;
                    list.push(tx);
                    let n = list.len();
                    t["transactionsCount"] = json!(n);
                    if kind == "Message" {
                        let key = if customer {
                            "lastCustomerMessageDateTime"
                        } else {
                            "lastAgentMessageDateTime"
                        };
                        t[key] = json!(now);
                    }
                    Ok(())
                })
            }
            Mutation::SetState { ticket_id, state } => {
                if !["Open", "Closed", "Pending", "Snoozed"].contains(&state.as_str()) {
                    return Err(MutationError::Invalid(format!(
                        "`state` is `{state}`: use Open, Closed, Pending or Snoozed"
                    )));
                }
                edit_ticket(s, ticket_id, now_ms, |t| {
                    t["close"] = if state == "Closed" {
                        json!(now)
                    } else {
                        json!(NOT_SET)
                    };
                    t["state"] = json!(state);
                    Ok(())
                })
            }
            Mutation::SetOwner { ticket_id, user_id } => {
                let dept = department_of(s, ticket_id)?;
                let owner = match &user_id {
                    None => {
                        json!({ "id": ZERO_GUID, "gender": "Undefined", "UserName": "", "culture": "en-US", "isAnonymous": false, "uniqueArgument": "", "type": "AGENT" })
                    }
                    Some(uid) => {
                        let u = department_users(s, &dept)
                            .into_iter()
                            .find(|u| {
                                u["id"]
                                    .as_str()
                                    .is_some_and(|i| i.eq_ignore_ascii_case(uid))
                            })
                            .ok_or_else(|| {
                                MutationError::NotFound(format!(
                                    "user {uid} (in the department of ticket {ticket_id})"
                                ))
                            })?;
                        json!({ "id": u["id"], "gender": u["gender"], "UserName": u["UserName"], "culture": u["culture"], "isAnonymous": false, "uniqueArgument": u["uniqueArgument"], "type": "AGENT" })
                    }
                };
                edit_ticket(s, ticket_id, now_ms, |t| {
                    t["owner"] = owner;
                    Ok(())
                })
            }
            Mutation::SetTags { ticket_id, tags } => edit_ticket(s, ticket_id, now_ms, |t| {
                t["tags"] = json!(tags);
                Ok(())
            }),
            Mutation::SetField {
                ticket_id,
                field,
                value,
            } => {
                let n = field
                    .strip_prefix("field")
                    .and_then(|n| n.parse::<u8>().ok());
                if !n.is_some_and(|n| (1..=10).contains(&n)) {
                    return Err(MutationError::Invalid(format!(
                        "`field` is `{field}`: use field1 … field10"
                    )));
                }
                edit_ticket(s, ticket_id, now_ms, |t| {
                    t[field.as_str()] = json!(value);
                    Ok(())
                })
            }
            Mutation::EditTransaction {
                ticket_id,
                guid,
                text,
            } => edit_ticket(s, ticket_id, now_ms, |t| {
                let tx = t["transactions"]
                    .as_array_mut()
                    .and_then(|l| {
                        l.iter_mut()
                            .find(|x| x["guidTransactionId"].as_str() == Some(guid.as_str()))
                    })
                    .ok_or_else(|| {
                        MutationError::NotFound(format!("transaction {guid} of ticket {ticket_id}"))
                    })?;
                tx["text"] = json!(text);
                if tx["html"].as_str().is_some_and(|h| !h.is_empty()) {
                    tx["html"] = json!(format!("<p>{text}</p>"));
                }
                Ok(())
            }),
            Mutation::RepeatTransaction { ticket_id, guid } => {
                edit_ticket(s, ticket_id, now_ms, |t| {
                    let list = t["transactions"].as_array_mut().ok_or_else(|| {
                        MutationError::Invalid(format!("ticket {ticket_id} has no transactions"))
                    })?;
                    let copy = list
                        .iter()
                        .find(|x| x["guidTransactionId"].as_str() == Some(guid.as_str()))
                        .cloned()
                        .ok_or_else(|| {
                            MutationError::NotFound(format!(
                                "transaction {guid} of ticket {ticket_id}"
                            ))
                        })?;
                    list.push(copy);
                    let n = list.len();
                    t["transactionsCount"] = json!(n);
                    Ok(())
                })
            }
            Mutation::AddTicket { template_id } => {
                let template = s
                    .tickets
                    .get(&template_id)
                    .ok_or_else(|| MutationError::NotFound(format!("ticket {template_id}")))?;
                let department = template.department.clone();
                let mut json = template.json.clone();
                let id = s.tickets.keys().next_back().copied().unwrap_or(0) + 1;
                json["id"] = json!(id);
                json["open"] = json!(now);
                json["close"] = json!(NOT_SET);
                json["state"] = json!("Open");
                json["movedToTicketId"] = json!(0);
                json["movedFromTicketId"] = json!(0);
                for tx in json["transactions"].as_array_mut().into_iter().flatten() {
                    let seq = next_seq(s);
                    tx["guidTransactionId"] = json!(uuid_for(seq));
                    tx["dateTime"] = json!(now);
                }
                json["lastActivity"] = json!(now);
                s.snapshot.tickets.push(json.clone());
                s.tickets.insert(id, stored(department, &json));
                Ok(json)
            }
            Mutation::EditContact { contact_id, name } => {
                let key = contact_id.to_ascii_lowercase();
                let c = s
                    .contacts
                    .get_mut(&key)
                    .ok_or_else(|| MutationError::NotFound(format!("contact {contact_id}")))?;
                c["name"] = json!(name);
                c["updateDateTime"] = json!(now);
                let c = c.clone();
                if let Some(snap) = s.snapshot.contacts.iter_mut().find(|x| {
                    x["id"]
                        .as_str()
                        .is_some_and(|i| i.eq_ignore_ascii_case(&key))
                }) {
                    *snap = c.clone();
                }
                Ok(c)
            }
            Mutation::EditArticle {
                article_id,
                title,
                body_html,
            } => {
                if title.is_none() && body_html.is_none() {
                    return Err(MutationError::Invalid(
                        "give `title` or `body_html` (or both)".into(),
                    ));
                }
                let kb = s.snapshot.knowledge_base.as_mut().ok_or_else(|| {
                    MutationError::NotFound("the knowledge base (this workspace has none)".into())
                })?;
                let a = kb
                    .articles
                    .iter_mut()
                    .find(|a| a.id == article_id)
                    .ok_or_else(|| MutationError::NotFound(format!("article {article_id}")))?;
                if let Some(t) = title {
                    a.title = t;
                }
                if let Some(b) = body_html {
                    a.body_html = b;
                }
                a.updated_at = now;
                let out = serde_json::to_value(&*a)
                    .map_err(|e| MutationError::Invalid(format!("article {article_id}: {e}")))?;
                if let Some(dir) = exports {
                    crate::exports::write_exports(&s.snapshot, dir)
                        .map_err(|e| MutationError::Export(e.to_string()))?;
                }
                Ok(out)
            }
        }
    }
}

/// `2026-01-02T03:04:05.678Z`, the shape the generator writes.
fn stamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn next_seq(s: &mut GlassixState) -> u64 {
    s.sequence += 1;
    s.sequence
}

fn uuid_for(seq: u64) -> String {
    uuid::Uuid::from_u64_pair(0x6d75_7461_0000_4000, 0x8000_0000_0000_0000 | seq).to_string()
}

/// The stored form of a ticket's JSON (the times the list filters on).
fn stored(department: String, json: &Value) -> StoredTicket {
    let time = |k: &str| {
        json.get(k)
            .and_then(Value::as_str)
            .and_then(parse_glassix_time)
            .map(|d| d.timestamp_millis())
    };
    StoredTicket {
        department,
        open_ms: time("open").unwrap_or_default(),
        times_ms: ["open", "close", "lastActivity"]
            .iter()
            .filter_map(|k| time(k))
            .collect(),
        state: json
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        json: json.clone(),
    }
}

fn department_of(s: &GlassixState, ticket_id: i64) -> Result<String, MutationError> {
    s.tickets
        .get(&ticket_id)
        .map(|t| t.department.clone())
        .ok_or_else(|| MutationError::NotFound(format!("ticket {ticket_id}")))
}

fn department_users(s: &GlassixState, dept: &str) -> Vec<Value> {
    s.snapshot
        .departments
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(dept))
        .map(|d| d.users.clone())
        .unwrap_or_default()
}

/// The participant an agent's message comes from: the owner's participant, else the first user
/// participant of the ticket.
fn agent_participant(s: &GlassixState, ticket_id: i64) -> Result<Value, MutationError> {
    let t = s
        .tickets
        .get(&ticket_id)
        .ok_or_else(|| MutationError::NotFound(format!("ticket {ticket_id}")))?;
    let users: Vec<&Value> = t.json["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["type"] == "User" && p["identifier"] != ZERO_GUID)
        .collect();
    let owner = t.json["owner"]["id"].as_str().unwrap_or(ZERO_GUID);
    users
        .iter()
        .find(|p| p["identifier"].as_str() == Some(owner))
        .or_else(|| users.first())
        .map(|p| (*p).clone())
        .ok_or_else(|| {
            MutationError::Invalid(format!(
                "ticket {ticket_id} has no agent participant to write as; use from_customer"
            ))
        })
}

/// Edits ticket `id` with `f`, then moves its `lastActivity` to now and re-indexes it.
fn edit_ticket(
    s: &mut GlassixState,
    id: i64,
    now_ms: i64,
    f: impl FnOnce(&mut Value) -> Result<(), MutationError>,
) -> Result<Value, MutationError> {
    let t = s
        .tickets
        .get_mut(&id)
        .ok_or_else(|| MutationError::NotFound(format!("ticket {id}")))?;
    let mut json = t.json.clone();
    f(&mut json)?;
    json["lastActivity"] = json!(stamp(now_ms));
    *t = stored(t.department.clone(), &json);
    if let Some(snap) = s
        .snapshot
        .tickets
        .iter_mut()
        .find(|x| x["id"].as_i64() == Some(id))
    {
        *snap = json.clone();
    }
    Ok(json)
}

/// Runs `m` against the shared state at the sandbox clock's now.
pub(crate) fn run(shared: &Shared, m: Mutation) -> Result<Value, MutationError> {
    let now = shared.clock.now_ms();
    let exports = shared
        .exports_dir
        .lock()
        .map_err(|_| MutationError::Export("the exports setting is poisoned".into()))?
        .clone();
    let mut s = shared
        .state
        .lock()
        .map_err(|_| MutationError::Invalid("the sandbox state is poisoned".into()))?;
    m.apply(&mut s, now, exports.as_deref())
}

fn answer(r: Result<Value, MutationError>) -> Response {
    match r {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => {
            let status = match e {
                MutationError::NotFound(_) => StatusCode::NOT_FOUND,
                MutationError::Invalid(_) => StatusCode::BAD_REQUEST,
                MutationError::Export(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, axum::Json(json!({ "error": e.to_string() }))).into_response()
        }
    }
}

/// Adds `key: value` to a JSON object body, then decodes the mutation.
fn with(body: Value, op: &str, key: &str, value: Value) -> Result<Mutation, MutationError> {
    let mut body = match body {
        Value::Object(o) => o,
        Value::Null => serde_json::Map::new(),
        _ => {
            return Err(MutationError::Invalid(
                "the body must be a JSON object".into(),
            ));
        }
    };
    body.insert("op".into(), json!(op));
    body.insert(key.into(), value);
    serde_json::from_value(Value::Object(body))
        .map_err(|e| MutationError::Invalid(format!("{op}: {e}")))
}

/// `POST /__sandbox/glassix/tickets/{id}/{op}` with `op` one of `add_transaction`,
/// `set_state`, `set_owner`, `set_tags`, `set_field`, `edit_transaction`,
/// `repeat_transaction`.
pub(crate) async fn ticket(
    State(shared): State<Arc<Shared>>,
    Path((id, op)): Path<(i64, String)>,
    body: Option<axum::Json<Value>>,
) -> Response {
    let body = body.map(|b| b.0).unwrap_or(Value::Null);
    const OPS: [&str; 7] = [
        "add_transaction",
        "set_state",
        "set_owner",
        "set_tags",
        "set_field",
        "edit_transaction",
        "repeat_transaction",
    ];
    if !OPS.contains(&op.as_str()) {
        return answer(Err(MutationError::Invalid(format!(
            "unknown ticket change `{op}`: use one of {}",
            OPS.join(", ")
        ))));
    }
    answer(with(body, &op, "ticket_id", json!(id)).and_then(|m| run(&shared, m)))
}

/// `POST /__sandbox/glassix/tickets` `{"template_id": N}`: adds a ticket.
pub(crate) async fn add_ticket(
    State(shared): State<Arc<Shared>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    answer(
        serde_json::from_value::<Mutation>(
            json!({ "op": "add_ticket", "template_id": body["template_id"] }),
        )
        .map_err(|e| MutationError::Invalid(format!("add_ticket: {e}")))
        .and_then(|m| run(&shared, m)),
    )
}

/// `POST /__sandbox/glassix/contacts/{id}` `{"name": ...}`.
pub(crate) async fn contact(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    answer(with(body, "edit_contact", "contact_id", json!(id)).and_then(|m| run(&shared, m)))
}

/// `POST /__sandbox/glassix/kb/articles/{id}` `{"title"?, "body_html"?}`.
pub(crate) async fn article(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    answer(with(body, "edit_article", "article_id", json!(id)).and_then(|m| run(&shared, m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GeneratorSizes, generate};

    fn state() -> GlassixState {
        GlassixState::load(generate(3, &GeneratorSizes::with_tickets(6)), None)
    }

    #[test]
    fn each_change_moves_last_activity_and_is_listed_by_time() {
        let mut s = state();
        let id = *s.tickets.keys().next().unwrap();
        let now = chrono::Utc::now().timestamp_millis() + 86_400_000;
        let user = department_users(&s, &s.tickets[&id].department)
            .iter()
            .find(|u| u["type"] == "AGENT")
            .and_then(|u| u["id"].as_str().map(str::to_string));
        for (i, m) in [
            Mutation::AddTransaction {
                ticket_id: id,
                kind: "Note".into(),
                text: "checked".into(),
                from_customer: false,
            },
            Mutation::SetState {
                ticket_id: id,
                state: "Closed".into(),
            },
            Mutation::SetOwner {
                ticket_id: id,
                user_id: user,
            },
            Mutation::SetTags {
                ticket_id: id,
                tags: vec!["vip".into()],
            },
            Mutation::SetField {
                ticket_id: id,
                field: "field2".into(),
                value: "ORD-1".into(),
            },
        ]
        .into_iter()
        .enumerate()
        {
            let at = now + i64::try_from(i).unwrap() * 1000;
            let j = m.apply(&mut s, at, None).unwrap();
            assert_eq!(j["lastActivity"], json!(stamp(at)));
            assert!(s.tickets[&id].times_ms.contains(&at));
        }
        let t = &s.tickets[&id].json;
        assert_eq!(t["state"], "Closed");
        assert_eq!(t["tags"], json!(["vip"]));
        assert_eq!(t["field2"], "ORD-1");
        assert_eq!(
            t["transactions"].as_array().unwrap().last().unwrap()["text"],
            "checked"
        );
        assert_eq!(s.tickets[&id].state, "Closed");
    }

    #[test]
    fn add_ticket_and_edit_contact() {
        let mut s = state();
        let id = *s.tickets.keys().next().unwrap();
        let before = s.tickets.len();
        let j = Mutation::AddTicket { template_id: id }
            .apply(&mut s, 1_000, None)
            .unwrap();
        assert_eq!(s.tickets.len(), before + 1);
        assert_eq!(j["state"], "Open");
        assert_ne!(j["id"], json!(id));
        let cid = s.contacts.keys().next().unwrap().clone();
        let c = Mutation::EditContact {
            contact_id: cid,
            name: "Renamed".into(),
        }
        .apply(&mut s, 2_000, None)
        .unwrap();
        assert_eq!(c["name"], "Renamed");
        assert_eq!(c["updateDateTime"], json!(stamp(2_000)));
    }

    #[test]
    fn refuses_what_glassix_would_not_do() {
        let mut s = state();
        let id = *s.tickets.keys().next().unwrap();
        let bad = Mutation::SetState {
            ticket_id: id,
            state: "Gone".into(),
        };
        assert!(matches!(
            bad.apply(&mut s, 1, None),
            Err(MutationError::Invalid(_))
        ));
        let missing = Mutation::SetTags {
            ticket_id: -1,
            tags: vec![],
        };
        assert!(matches!(
            missing.apply(&mut s, 1, None),
            Err(MutationError::NotFound(_))
        ));
    }
}
