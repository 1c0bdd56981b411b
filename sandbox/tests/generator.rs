//! Generator determinism, variety, speed and the export files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

use std::collections::BTreeSet;

use helpdesk_sandbox::exports::{
    AUTOMATION_FILE, AutomationInventory, KB_FILE, KnowledgeBaseExport, write_exports,
};
use helpdesk_sandbox::{GeneratorSizes, GlassixSnapshot, IntercomSeed, generate};
use serde_json::Value;

fn transactions(s: &GlassixSnapshot) -> impl Iterator<Item = &Value> {
    s.tickets
        .iter()
        .flat_map(|t| t["transactions"].as_array().unwrap().iter())
}

#[test]
fn same_seed_same_bytes() {
    let sizes = GeneratorSizes::with_tickets(200);
    let a = generate(42, &sizes).to_json().unwrap();
    let b = generate(42, &sizes).to_json().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, generate(43, &sizes).to_json().unwrap());
    let parsed = GlassixSnapshot::from_json(&a).unwrap();
    assert_eq!(parsed.to_json().unwrap(), a, "round trip");
}

#[test]
fn two_hundred_tickets_generate_fast() {
    let started = std::time::Instant::now();
    let s = generate(1, &GeneratorSizes::with_tickets(200));
    let elapsed = started.elapsed();
    eprintln!("generated {} tickets in {elapsed:?}", s.tickets.len());
    assert_eq!(s.tickets.len(), 200);
    assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
}

#[test]
fn generated_workspace_has_the_variety_a_migration_meets() {
    let s = generate(7, &GeneratorSizes::with_tickets(200));
    assert!(s.departments.len() >= 3);
    let channels: BTreeSet<&str> = s
        .tickets
        .iter()
        .map(|t| t["primaryProtocolType"].as_str().unwrap())
        .collect();
    for c in [
        "Mail",
        "WhatsApp",
        "Web",
        "SMS",
        "FBmessenger",
        "InstagramDM",
    ] {
        assert!(channels.contains(c), "channel {c} missing: {channels:?}");
    }
    let notes = transactions(&s).filter(|t| t["type"] == "Note").count();
    let kinds: BTreeSet<&str> = transactions(&s)
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "Message",
            "Note",
            "OwnerChange",
            "StateChange",
            "TagsChange"
        ])
    );
    let attachments: Vec<&Value> = transactions(&s)
        .flat_map(|t| t["attachments"].as_array().unwrap().iter())
        .collect();
    let embedded = attachments
        .iter()
        .filter(|a| a["isEmbedded"] == true)
        .count();
    let html_mail = transactions(&s)
        .filter(|t| t["fromProtocolType"] == "Mail" && t["html"].as_str().unwrap().contains("<div"))
        .count();
    assert!(notes > 20, "notes {notes}");
    assert!(
        attachments.len() > 20 && embedded > 3,
        "attachments {} embedded {embedded}",
        attachments.len()
    );
    assert!(html_mail > 10, "html e-mails {html_mail}");
    let has_email = |c: &Value| {
        c["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["identifierType"] == "MailAddress")
    };
    let without = s.contacts.iter().filter(|c| !has_email(c)).count();
    assert!(
        without > 10 && without < s.contacts.len(),
        "contacts without e-mail {without} of {}",
        s.contacts.len()
    );
    let all_text: String = transactions(&s)
        .map(|t| t["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    for (script, range) in [
        ("Hebrew", '\u{0590}'..='\u{05FF}'),
        ("Arabic", '\u{0600}'..='\u{06FF}'),
        ("CJK", '\u{4E00}'..='\u{9FFF}'),
        ("emoji", '\u{1F300}'..='\u{1FAFF}'),
    ] {
        assert!(
            all_text.chars().any(|c| range.contains(&c)),
            "{script} text missing"
        );
    }
    for f in [
        "field2", "field3", "field4", "field5", "field6", "field7", "field9",
    ] {
        assert!(
            s.tickets.iter().all(|t| !t[f].as_str().unwrap().is_empty()),
            "{f} empty"
        );
    }
    assert!(
        s.tickets
            .iter()
            .all(|t| t["field5"] == "true" || t["field5"] == "false")
    );
    assert!(
        s.tickets
            .iter()
            .all(|t| t["field7"].as_str().unwrap().parse::<i64>().is_ok())
    );
    assert!(
        s.tickets
            .iter()
            .all(|t| t["field3"].as_str().unwrap().parse::<f64>().is_ok())
    );
    let scrambled = s
        .tickets
        .iter()
        .filter(|t| t["isScrambled"] == true)
        .count();
    assert!(scrambled >= 3, "scrambled {scrambled}");
    let moved_to: Vec<&Value> = s
        .tickets
        .iter()
        .filter(|t| t["movedToTicketId"].as_i64().unwrap() != 0)
        .collect();
    assert!(moved_to.len() >= 5, "moved {}", moved_to.len());
    for t in &moved_to {
        let clone = s
            .tickets
            .iter()
            .find(|x| x["id"] == t["movedToTicketId"])
            .expect("moved-to ticket exists");
        assert_eq!(clone["movedFromTicketId"], t["id"]);
        assert_eq!(clone["departmentId"], t["movedToDepartmentId"]);
        assert_ne!(clone["departmentId"], t["departmentId"]);
    }
    let longest = s
        .tickets
        .iter()
        .map(|t| t["transactions"].as_array().unwrap().len())
        .max()
        .unwrap();
    assert!(longest > 500, "longest conversation {longest}");
    let bots: Vec<&Value> = s
        .tickets
        .iter()
        .filter(|t| !t["botConversationSteps"].as_array().unwrap().is_empty())
        .collect();
    assert!(bots.len() >= 5);
    let types: BTreeSet<&str> = bots
        .iter()
        .flat_map(|t| {
            t["dynamicParameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["type"].as_str().unwrap())
        })
        .collect();
    assert_eq!(types, BTreeSet::from(["Boolean", "Number", "String"]));
    let unassigned = s
        .tickets
        .iter()
        .filter(|t| t["owner"]["UserName"] == "")
        .count();
    assert!(unassigned > 0);
    let transaction_ids: BTreeSet<&str> = transactions(&s)
        .map(|t| t["guidTransactionId"].as_str().unwrap())
        .collect();
    assert_eq!(
        transaction_ids.len(),
        transactions(&s).count(),
        "transaction guids are unique"
    );
    assert!(s.knowledge_base.as_ref().unwrap().articles.len() >= 10);
    assert!(!s.automations.as_ref().unwrap().chatbots.is_empty());
}

#[test]
fn intercom_seed_matches_some_agents_and_departments_but_not_all() {
    let s = generate(7, &GeneratorSizes::with_tickets(200));
    let seed = IntercomSeed::from_snapshot(&s);
    let agents: BTreeSet<String> = s
        .departments
        .iter()
        .flat_map(|d| d.users.iter())
        .filter(|u| u["type"] == "AGENT")
        .map(|u| u["UserName"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let admins: BTreeSet<String> = seed.admins.iter().map(|a| a.email.clone()).collect();
    let matched = agents.iter().filter(|a| admins.contains(*a)).count();
    assert!(
        matched > 0 && matched < agents.len(),
        "{matched} of {}",
        agents.len()
    );
    assert!(
        admins.iter().any(|a| !agents.contains(a)),
        "some admins exist only in Intercom"
    );
    let teams: BTreeSet<&str> = seed.teams.iter().map(|t| t.name.as_str()).collect();
    let depts: Vec<&str> = s.departments.iter().map(|d| d.name.as_str()).collect();
    assert!(depts.iter().any(|d| teams.contains(d)) && depts.iter().any(|d| !teams.contains(d)));
    assert_eq!(seed.help_centers.len(), 1);
}

#[test]
fn exports_are_written_as_versioned_json() {
    let s = generate(3, &GeneratorSizes::with_tickets(30));
    let dir = std::env::temp_dir().join(format!("helpdesk-sandbox-exports-{}", std::process::id()));
    let written = write_exports(&s, &dir).unwrap();
    assert_eq!(written.len(), 2);
    let kb: KnowledgeBaseExport =
        serde_json::from_str(&std::fs::read_to_string(dir.join(KB_FILE)).unwrap()).unwrap();
    assert_eq!(
        (kb.format.as_str(), kb.version),
        ("glassix-knowledge-base", 1)
    );
    assert!(
        kb.articles.iter().any(|a| a.state == "draft")
            && kb.articles.iter().any(|a| a.state == "published")
    );
    assert!(
        kb.categories.iter().any(|c| c.parent_id.is_some()),
        "nested categories"
    );
    let ids: BTreeSet<&str> = kb.categories.iter().map(|c| c.id.as_str()).collect();
    assert!(
        kb.articles
            .iter()
            .filter_map(|a| a.category_id.as_deref())
            .all(|c| ids.contains(c))
    );
    let auto: AutomationInventory =
        serde_json::from_str(&std::fs::read_to_string(dir.join(AUTOMATION_FILE)).unwrap()).unwrap();
    assert_eq!(
        (auto.format.as_str(), auto.version),
        ("glassix-automation-inventory", 1)
    );
    assert!(!auto.workflows.is_empty());
    // Flow ids referenced by tickets are in the inventory.
    let flows: BTreeSet<&str> = auto.chatbots.iter().map(|c| c.flow_id.as_str()).collect();
    for t in &s.tickets {
        for step in t["botConversationSteps"].as_array().unwrap() {
            assert!(flows.contains(step["flowId"].as_str().unwrap()));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
