//! Generated tickets with their transactions (Glassix wire format, as `tickets/get` returns them).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::people::{GenContact, ZERO_GUID};
use super::text::*;
use super::{GeneratorSizes, guid, pick};
use crate::exports::AutomationInventory;
use crate::snapshot::SnapshotDepartment;

const NOT_SET: &str = "0001-01-01T00:00:00";

/// Formats a time in one of the shapes Glassix sends (0, 3 or 7 fraction digits).
fn ts(t: DateTime<Utc>, style: u8) -> String {
    match style % 3 {
        0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        1 => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        _ => format!(
            "{}.{:07}Z",
            t.format("%Y-%m-%dT%H:%M:%S"),
            t.timestamp_subsec_millis() * 10_000
        ),
    }
}

struct Gen<'a> {
    rng: &'a mut SmallRng,
    tx_seq: i64,
    att_seq: i64,
}

struct Actors {
    client: Value,
    agent: Option<Value>,
    bot: Option<Value>,
}

fn client_participant(c: &GenContact, scrambled: bool) -> Value {
    let dept_identifier = match c.channel {
        "Mail" => "support@acme-sandbox.example",
        "WhatsApp" | "SMS" => "15555550100",
        "FBmessenger" => "104857600000001",
        "InstagramDM" => "17841400000000001",
        _ => "web-widget-acme",
    };
    json!({
        "id": 1, "name": if scrambled { "********".to_string() } else { c.name.clone() }, "type": "Client",
        "identifier": if scrambled { "********".to_string() } else { c.identifier.clone() },
        "departmentIdentifier": dept_identifier, "displayName": "", "protocolType": c.channel,
        "subProtocolType": if c.channel == "Mail" { "MailTo" } else { "Undefined" },
        "isActive": true, "isDeleted": false, "contactId": c.id, "userName": "",
    })
}

fn user_participant(id: i64, u: &Value) -> Value {
    json!({
        "id": id, "name": u["fullName"], "type": "User", "identifier": u["id"], "departmentIdentifier": "",
        "displayName": u["shortName"], "protocolType": "Web", "subProtocolType": "Undefined",
        "isActive": true, "isDeleted": false, "contactId": ZERO_GUID, "userName": u["UserName"],
    })
}

impl Gen<'_> {
    fn attachment(&mut self, embedded: bool, stamp: &str) -> Value {
        self.att_seq += 1;
        let image = embedded || self.rng.random_bool(0.6);
        let (kind, ext, original) = if image {
            (
                "Image",
                "jpg",
                if embedded {
                    "image001.jpg".to_string()
                } else {
                    format!("photo-{}.jpg", self.att_seq)
                },
            )
        } else {
            ("Document", "pdf", format!("invoice-{}.pdf", self.att_seq))
        };
        let file = format!(
            "{stamp}_att{:06}_{}.{ext}",
            self.att_seq,
            guid(self.rng).split('-').next().unwrap_or("x")
        );
        let thumbs: Vec<String> = if image {
            vec![format!("thumbnail_{file}")]
        } else {
            vec![]
        };
        json!({
            "id": 900_000 + self.att_seq, "type": kind, "fileIdentifier": file, "originalFileName": original,
            "thumbnails": [], "thumbnailsFileIdentifiers": thumbs, "uri": "", "isEmbedded": embedded, "sanitizationState": "Allowed",
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn transaction(
        &mut self,
        at: DateTime<Utc>,
        kind: &str,
        from: &Value,
        channel: &str,
        text: String,
        html: String,
        attachments: Vec<Value>,
    ) -> Value {
        self.tx_seq += 1;
        let protocol = if from["type"] == "Client" {
            channel
        } else {
            "Web"
        };
        let status = if kind == "Message" {
            pick(self.rng, &["Read", "Delivered", "Read"]).to_string()
        } else {
            String::new()
        };
        json!({
            "guidTransactionId": guid(self.rng), "id": 681_700_000_000_000i64 + self.tx_seq * 17, "dateTime": ts(at, self.rng.random_range(0..3)),
            "fromProtocolType": protocol, "type": kind, "text": text, "html": html, "status": status,
            "fromParticipant": from, "attachments": attachments, "payload": null,
        })
    }

    fn message(
        &mut self,
        at: DateTime<Utc>,
        from: &Value,
        channel: &str,
        lines: &[&str],
        scrambled: bool,
    ) -> Value {
        let text = if scrambled {
            "*****".to_string()
        } else {
            pick(self.rng, lines).to_string()
        };
        let stamp = at.format("%y%m%d%H%M%S").to_string();
        let mut attachments = Vec::new();
        let mut html = String::new();
        let customer = from["type"] == "Client";
        if !scrambled && self.rng.random_bool(if customer { 0.12 } else { 0.05 }) {
            attachments.push(self.attachment(false, &stamp));
        }
        if channel == "Mail" && !scrambled {
            let name = from["name"].as_str().unwrap_or_default().to_string();
            let inline = self.rng.random_bool(0.2);
            let img = if inline {
                let a = self.attachment(true, &stamp);
                let f = a["fileIdentifier"].as_str().unwrap_or_default().to_string();
                attachments.push(a);
                format!("<p><img src=\"cid:{f}\" alt=\"inline\"></p>")
            } else {
                String::new()
            };
            html = format!(
                "<div dir=\"auto\"><p>{text}</p>{img}<p>Regards,<br><b>{name}</b></p><blockquote>&gt; previous message</blockquote></div>"
            );
        } else if !customer && !scrambled {
            html = format!("<p>{text}</p>");
        }
        self.transaction(at, "Message", from, channel, text, html, attachments)
    }

    fn conversation(
        &mut self,
        open: DateTime<Utc>,
        count: usize,
        actors: &Actors,
        channel: &str,
        scrambled: bool,
        long: bool,
    ) -> (Vec<Value>, DateTime<Utc>) {
        let mut t = open;
        let mut out = Vec::with_capacity(count);
        if let Some(bot) = &actors.bot {
            out.push(self.message(t, &actors.client, channel, CUSTOMER_LINES, scrambled));
            t += Duration::seconds(5);
            out.push(self.transaction(
                t,
                "Message",
                bot,
                channel,
                "Hi! 👋 What is your account number?".into(),
                String::new(),
                vec![],
            ));
            t += Duration::seconds(30);
            let account = format!("AC-{}", self.rng.random_range(100_000..999_999));
            out.push(self.transaction(
                t,
                "Message",
                &actors.client,
                channel,
                account,
                String::new(),
                vec![],
            ));
        }
        while out.len() < count {
            let step = if long {
                self.rng.random_range(1..20)
            } else {
                self.rng.random_range(1..90)
            };
            t += Duration::minutes(step) + Duration::milliseconds(self.rng.random_range(0..1000));
            if out.is_empty() {
                out.push(self.message(t, &actors.client, channel, CUSTOMER_LINES, scrambled));
                continue;
            }
            if out.len() == 1 && count > 2 {
                if let Some(agent) = &actors.agent {
                    let text = format!(
                        "Owner changed to {}",
                        agent["name"].as_str().unwrap_or_default()
                    );
                    out.push(self.transaction(
                        t,
                        "OwnerChange",
                        agent,
                        channel,
                        text,
                        String::new(),
                        vec![],
                    ));
                    continue;
                }
            }
            let roll: f64 = self.rng.random();
            let tx = match &actors.agent {
                Some(agent) if roll < 0.12 => {
                    let text = if scrambled {
                        "*****".to_string()
                    } else {
                        pick(self.rng, NOTE_LINES).to_string()
                    };
                    self.transaction(t, "Note", agent, channel, text, String::new(), vec![])
                }
                Some(agent) if roll < 0.55 => {
                    self.message(t, agent, channel, AGENT_LINES, scrambled)
                }
                Some(agent) if roll < 0.58 => self.transaction(
                    t,
                    "TagsChange",
                    agent,
                    channel,
                    "Tags changed: +Billing".into(),
                    String::new(),
                    vec![],
                ),
                _ => self.message(t, &actors.client, channel, CUSTOMER_LINES, scrambled),
            };
            out.push(tx);
        }
        (out, t)
    }
}

fn custom_fields(rng: &mut SmallRng, i: usize) -> [String; 9] {
    let date = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::days(rng.random_range(0..500));
    [
        format!("ORD-{:06}", 100_000 + i), // field2: order number (text)
        format!(
            "{}.{:02}",
            rng.random_range(5..900),
            rng.random_range(0..100)
        ), // field3: amount (decimal)
        date.format("%Y-%m-%d").to_string(), // field4: date
        rng.random_bool(0.5).to_string(),  // field5: boolean
        pick(rng, ENUM_TIERS).to_string(), // field6: enum
        rng.random_range(1..20).to_string(), // field7: integer
        if i % 4 == 0 {
            pick(rng, NOTE_LINES).to_string()
        } else {
            String::new()
        }, // field8: free text
        pick(rng, ENUM_REGIONS).to_string(), // field9: enum
        String::new(),                     // field10: unused
    ]
}

fn duration(secs: i64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:07}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        (secs * 7_919) % 10_000_000
    )
}

pub(crate) fn tickets(
    rng: &mut SmallRng,
    sizes: &GeneratorSizes,
    departments: &[SnapshotDepartment],
    contacts: &[GenContact],
    automations: &AutomationInventory,
) -> Vec<Value> {
    let n = sizes.tickets;
    let moved_pairs = if departments.len() > 1 { n / 25 } else { 0 };
    let regular = n - moved_pairs;
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let span_secs = (i64::from(sizes.span_days.max(1)) * 86_400 / (regular.max(1) as i64)).max(1);
    let mut g = Gen {
        rng,
        tx_seq: 0,
        att_seq: 0,
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..regular {
        let d = i % departments.len();
        let dept = &departments[d];
        let contact = &contacts[(i * 7 + g.rng.random_range(0..3)) % contacts.len()];
        let channel = contact.channel;
        let scrambled = i % 33 == 5;
        let long = i == 0 && n >= 10 && sizes.long_conversation > 0;
        let agents: Vec<&Value> = dept.users.iter().filter(|u| u["type"] == "AGENT").collect();
        let agent = (i % 10 != 9 && !agents.is_empty()).then(|| *pick(g.rng, &agents));
        let bot_flow = (matches!(channel, "Web" | "WhatsApp") && i % 4 == 1)
            .then(|| {
                automations
                    .chatbots
                    .iter()
                    .find(|c| c.department_id == dept.id)
            })
            .flatten();
        let bot_user = dept.users.iter().find(|u| u["type"] == "BOT");
        let actors = Actors {
            client: client_participant(contact, scrambled),
            agent: agent.map(|a| user_participant(2, a)),
            bot: bot_flow.and(bot_user).map(|b| user_participant(3, b)),
        };
        let open = base
            + Duration::seconds(i as i64 * span_secs + g.rng.random_range(0..span_secs.max(1)));
        let count = if long {
            sizes.long_conversation
        } else {
            g.rng.random_range(2..=12)
        };
        let (mut transactions, last) =
            g.conversation(open, count, &actors, channel, scrambled, long);
        let state = if long {
            "Closed"
        } else {
            *pick(
                g.rng,
                &["Closed", "Closed", "Closed", "Open", "Pending", "Snoozed"],
            )
        };
        let close =
            (state == "Closed").then(|| last + Duration::minutes(g.rng.random_range(1..30)));
        if let (Some(c), Some(agent)) = (close, &actors.agent) {
            transactions.push(g.transaction(
                c,
                "StateChange",
                agent,
                channel,
                "Ticket state was changed to: Closed".into(),
                String::new(),
                vec![],
            ));
        }
        let last_activity = close.unwrap_or(last);
        let fields = custom_fields(g.rng, i);
        let count_of = |who: &str, kind: &str| {
            transactions
                .iter()
                .filter(|t| t["type"] == kind && t["fromParticipant"]["type"] == who)
                .count()
        };
        let (agent_msgs, customer_msgs) =
            (count_of("User", "Message"), count_of("Client", "Message"));
        let tag_pool: Vec<&str> = dept
            .tags
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let tags: Vec<&str> = (0..g.rng.random_range(0..3))
            .map(|_| *pick(g.rng, &tag_pool))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let owner = match agent {
            Some(a) => {
                json!({ "id": a["id"], "gender": a["gender"], "UserName": a["UserName"], "culture": a["culture"], "isAnonymous": false, "uniqueArgument": a["uniqueArgument"], "type": "AGENT" })
            }
            None => {
                json!({ "id": ZERO_GUID, "gender": "Undefined", "UserName": "", "culture": "en-US", "isAnonymous": false, "uniqueArgument": "", "type": "AGENT" })
            }
        };
        let first_agent = transactions
            .iter()
            .find(|t| t["fromParticipant"]["type"] == "User" && t["type"] == "Message");
        let (steps, params, bot_id) = match bot_flow {
            Some(flow) => {
                let visit = open;
                let steps: Vec<Value> = flow.cards.iter().enumerate().map(|(k, c)| json!({
                    "departmentId": dept.id, "botConversationId": flow.flow_id, "flowId": flow.flow_id, "flowVersion": flow.flow_version,
                    "flowName": flow.name, "stepType": c.step_type, "uniqueCardId": c.unique_card_id, "cardFriendlyName": c.friendly_name,
                    "visitDatetime": ts(visit + Duration::seconds(k as i64 * 10), 1),
                })).collect();
                let n1: i64 = g.rng.random_range(100_000..999_999);
                let params = vec![
                    json!({ "id": guid(g.rng), "flowId": flow.flow_id, "name": "accountNumber", "strValue": format!("AC-{n1}"), "boolValue": false, "numValue": 0, "intValue": 0, "type": "String", "description": "Account number captured by the bot", "creationDatetime": ts(open, 0) }),
                    json!({ "id": guid(g.rng), "flowId": flow.flow_id, "name": "isVip", "strValue": "", "boolValue": i % 3 == 0, "numValue": 0, "intValue": 0, "type": "Boolean", "description": "", "creationDatetime": ts(open, 0) }),
                    json!({ "id": guid(g.rng), "flowId": flow.flow_id, "name": "orderTotal", "strValue": "", "boolValue": false, "numValue": 129.5, "intValue": 0, "type": "Number", "description": "", "creationDatetime": ts(open, 0) }),
                ];
                (steps, params, guid(g.rng))
            }
            None => (vec![], vec![], ZERO_GUID.to_string()),
        };
        let mut participants = vec![actors.client.clone()];
        participants.extend(actors.agent.clone());
        participants.extend(actors.bot.clone());
        let ticket = json!({
            "id": 48_300_000 + i as i64 * 13, "departmentId": dept.id,
            "field1": if scrambled { "*****".to_string() } else { pick(g.rng, SUBJECTS).to_string() },
            "field2": fields[0], "field3": fields[1], "field4": fields[2], "field5": fields[3], "field6": fields[4],
            "field7": fields[5], "field8": fields[6], "field9": fields[7], "field10": fields[8],
            "culture": if i % 5 == 4 { "he-IL" } else { "en-US" }, "ticketType": if bot_flow.is_some() { "GlassixBot" } else { "Regular" },
            "tags": tags, "owner": owner, "state": state,
            "open": ts(open, 0), "close": close.map(|c| ts(c, 2)).unwrap_or_else(|| NOT_SET.into()), "lastActivity": ts(last_activity, 2),
            "uniqueArgument": if i % 6 == 0 { format!("CRM-CASE-{}", 70_000 + i) } else { String::new() },
            "details": {
                "userAgent": if channel == "Web" { "Mozilla/5.0" } else { "" }, "iPAddress": "", "location": "", "cardsPath": "",
                "source": { "title": "", "uri": "" }, "externalLink": null, "isMobile": false, "identityTokenClaims": null,
                "referral": { "utmParameters": {}, "adId": "", "adTitle": "", "refData": "", "productId": "", "fbPostId": "", "instagramStoryId": "", "instagramStoryMediaUrl": null, "appleIntentId": "", "appleGroupId": "", "twitterRootTweetId": "" },
            },
            "primaryProtocolType": channel,
            "movedToTicketId": 0, "movedToDepartmentId": ZERO_GUID, "movedFromTicketId": 0, "movedFromDepartmentId": ZERO_GUID,
            "firstCustomerMessageDateTime": ts(open, 0),
            "firstAgentMessageDateTime": first_agent.map(|t| t["dateTime"].clone()).unwrap_or(Value::Null),
            "firstAgentMessageUserId": first_agent.map(|t| t["fromParticipant"]["identifier"].clone()).unwrap_or(Value::Null),
            "lastCustomerMessageDateTime": transactions.iter().rev().find(|t| t["fromParticipant"]["type"] == "Client").map(|t| t["dateTime"].clone()),
            "lastAgentMessageDateTime": transactions.iter().rev().find(|t| t["fromParticipant"]["type"] == "User" && t["type"] == "Message").map(|t| t["dateTime"].clone()),
            "queueTimeGross": duration(131), "queueTimeNet": duration(131),
            "firstAgentResponseTimeGross": if agent_msgs > 0 { Value::String(duration(398)) } else { Value::Null },
            "firstAgentResponseTimeNet": if agent_msgs > 0 { Value::String(duration(398)) } else { Value::Null },
            "agentAssignToResponseTimeGross": null, "agentAssignToResponseTimeNet": null,
            "firstAgentAllocationTimestamp": null, "lastAgentAllocationTimestamp": null,
            "agentMediaCount": 0, "customerMediaCount": transactions.iter().filter(|t| t["fromParticipant"]["type"] == "Client" && t["attachments"].as_array().is_some_and(|a| !a.is_empty())).count(),
            "agentMessagesCount": agent_msgs, "customerMessagesCount": customer_msgs,
            "durationNet": duration((last_activity - open).num_seconds()), "durationGross": duration((last_activity - open).num_seconds()),
            "agentResponseAverageTimeNet": null, "totalConversationTimeNet": null, "agentCannedRepliesCount": 0,
            "botConversationId": bot_id, "botConversations": if bot_flow.is_some() { vec![bot_id.clone()] } else { vec![] },
            "isIncoming": true, "isScrambled": scrambled, "participants": participants,
            "dynamicParameters": params, "botConversationSteps": steps, "ticketSummary": null,
            "nestedTicketsIds": [], "parentNestedTicketId": 0, "wasClosedAutomatically": state == "Closed" && i % 9 == 0,
            "transactionsCount": transactions.len(), "transactions": transactions,
        });
        out.push(ticket);
    }
    // Moved tickets: the original (closed, movedTo*) and its clone in the next department (movedFrom*).
    for p in 0..moved_pairs {
        let idx = 1 + p * 23 % regular.max(1);
        let Some(original) = out.get(idx).cloned() else {
            continue;
        };
        if original["isScrambled"] == true {
            continue;
        }
        let from_dept = original["departmentId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let d = departments
            .iter()
            .position(|x| x.id == from_dept)
            .unwrap_or(0);
        let to_dept = departments[(d + 1) % departments.len()].id.clone();
        let new_id = 49_000_000 + p as i64 * 11;
        let mut clone = original.clone();
        clone["id"] = json!(new_id);
        clone["departmentId"] = json!(to_dept);
        clone["movedFromTicketId"] = original["id"].clone();
        clone["movedFromDepartmentId"] = json!(from_dept);
        if let Some(txs) = clone["transactions"].as_array_mut() {
            for t in txs {
                g.tx_seq += 1;
                t["guidTransactionId"] = json!(guid(g.rng));
                t["id"] = json!(681_700_000_000_000i64 + g.tx_seq * 17);
            }
        }
        if let Some(o) = out.get_mut(idx) {
            o["movedToTicketId"] = json!(new_id);
            o["movedToDepartmentId"] = json!(to_dept);
            o["state"] = json!("Closed");
        }
        out.push(clone);
    }
    out
}
