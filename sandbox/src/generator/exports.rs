//! Generated knowledge base and automation inventory.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::{GeneratorSizes, guid, pick};
use crate::exports::{
    AUTOMATION_FORMAT, AutomationInventory, BotCard, Chatbot, KB_FORMAT, KbArticle, KbCategory,
    KnowledgeBaseExport, Workflow,
};
use crate::snapshot::SnapshotDepartment;

pub(crate) fn automations(
    rng: &mut SmallRng,
    departments: &[SnapshotDepartment],
) -> AutomationInventory {
    let mut chatbots = Vec::new();
    let mut workflows = Vec::new();
    for (d, dept) in departments.iter().enumerate() {
        let flow_names = ["Welcome & triage", "Order status bot"];
        for (f, name) in flow_names.iter().enumerate().take(1 + d % 2) {
            let ids: Vec<String> = (0..4).map(|_| guid(rng)).collect();
            let cards = vec![
                BotCard {
                    unique_card_id: ids[0].clone(),
                    friendly_name: "Greeting".into(),
                    step_type: "Message".into(),
                    text: "Hi! 👋 How can we help?".into(),
                    next: vec![ids[1].clone()],
                },
                BotCard {
                    unique_card_id: ids[1].clone(),
                    friendly_name: "Ask account number".into(),
                    step_type: "Question".into(),
                    text: "What is your account number?".into(),
                    next: vec![ids[2].clone()],
                },
                BotCard {
                    unique_card_id: ids[2].clone(),
                    friendly_name: "Is VIP?".into(),
                    step_type: "Condition".into(),
                    text: String::new(),
                    next: vec![ids[3].clone()],
                },
                BotCard {
                    unique_card_id: ids[3].clone(),
                    friendly_name: "Hand off to agent".into(),
                    step_type: "Handoff".into(),
                    text: "Connecting you to an agent…".into(),
                    next: vec![],
                },
            ];
            chatbots.push(Chatbot {
                flow_id: guid(rng),
                name: format!("{} – {}", dept.name, name),
                department_id: dept.id.clone(),
                flow_version: 1.0 + f as f64 + f64::from(rng.random_range(0..5u8)) / 10.0,
                channels: vec!["Web".into(), "WhatsApp".into()],
                enabled: f == 0,
                cards,
                dynamic_parameters: vec![
                    "accountNumber".into(),
                    "isVip".into(),
                    "orderTotal".into(),
                ],
            });
        }
        workflows.push(Workflow {
            id: guid(rng),
            name: format!("{}: auto-close after 3 days", dept.name),
            department_id: dept.id.clone(),
            trigger: "NoReplyTimeout".into(),
            conditions: vec!["state = Pending".into(), "no customer reply for 72h".into()],
            actions: vec!["set state Closed".into(), "send survey".into()],
            enabled: true,
        });
        workflows.push(Workflow {
            id: guid(rng),
            name: format!("{}: tag VIP", dept.name),
            department_id: dept.id.clone(),
            trigger: "TicketCreated".into(),
            conditions: vec!["contact has tag VIP".into()],
            actions: vec!["add tag VIP".into(), "assign to team lead".into()],
            enabled: d % 2 == 0,
        });
    }
    AutomationInventory {
        format: AUTOMATION_FORMAT.into(),
        version: 1,
        chatbots,
        workflows,
    }
}

pub(crate) fn knowledge_base(
    rng: &mut SmallRng,
    sizes: &GeneratorSizes,
    departments: &[SnapshotDepartment],
) -> KnowledgeBaseExport {
    let categories = vec![
        KbCategory {
            id: "cat-1".into(),
            name: "Getting started".into(),
            description: "First steps".into(),
            parent_id: None,
            order: 1,
        },
        KbCategory {
            id: "cat-2".into(),
            name: "Billing".into(),
            description: "Invoices, refunds and plans".into(),
            parent_id: None,
            order: 2,
        },
        KbCategory {
            id: "cat-3".into(),
            name: "Refunds".into(),
            description: String::new(),
            parent_id: Some("cat-2".into()),
            order: 1,
        },
        KbCategory {
            id: "cat-4".into(),
            name: "שאלות נפוצות".into(),
            description: "FAQ in Hebrew".into(),
            parent_id: None,
            order: 3,
        },
    ];
    let authors: Vec<String> = departments
        .iter()
        .flat_map(|d| d.users.iter())
        .filter(|u| u.get("type").and_then(Value::as_str) == Some("AGENT"))
        .filter_map(|u| {
            u.get("UserName")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let titles = [
        "How to reset your password",
        "Understanding your invoice",
        "Requesting a refund",
        "איך מחזירים מוצר?",
        "Shipping times 🚚",
        "配送について",
    ];
    let articles = (0..sizes.kb_articles)
        .map(|i| {
            let title = titles[i % titles.len()];
            let category = if i % 5 == 4 { None } else { Some(categories[i % categories.len()].id.clone()) };
            KbArticle {
                id: format!("kb-{:04}", i + 1),
                title: if i < titles.len() { title.to_string() } else { format!("{title} ({})", i / titles.len() + 1) },
                category_id: category,
                body_html: format!(
                    "<h2>{title}</h2><p>Step {n}: open <b>Settings</b> and follow the instructions.</p><ul><li>Tip one</li><li>Tip two</li></ul><p><img src=\"https://files.acme-sandbox.example/kb/{i}.png\" alt=\"screenshot\"></p>",
                    n = i + 1
                ),
                state: if i % 4 == 3 { "draft".into() } else { "published".into() },
                author_user_name: if authors.is_empty() { "author@acme-sandbox.example".into() } else { pick(rng, &authors).clone() },
                culture: if title.is_ascii() { "en-US".into() } else { "he-IL".into() },
                tags: if i % 3 == 0 { vec!["Billing".into()] } else { vec![] },
                created_at: format!("2024-{:02}-{:02}T09:00:00Z", 1 + i % 12, 1 + i % 28),
                updated_at: format!("2025-{:02}-{:02}T12:30:00Z", 1 + i % 6, 1 + i % 28),
            }
        })
        .collect();
    KnowledgeBaseExport {
        format: KB_FORMAT.into(),
        version: 1,
        categories,
        articles,
    }
}
