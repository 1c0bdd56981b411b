//! Schema steps: attribute definitions (contact data attributes, conversation attributes or the
//! ticket type and its attributes) and tags. Existing objects of the same name are reused.

use std::collections::BTreeMap;
use std::sync::Arc;

use intercom_client::models::{
    AttributeModel as IcModel, CreateTag, CreateTicketType, TicketCategory,
};
use serde_json::Value;

use crate::ObjectKind;
use crate::accounting::{Accounting, Outcome};
use crate::hashing::source_hash;
use crate::ledger::{Origin, Settlement};
use crate::map::{
    AttributeDefinition, AttributeModel, StateCategory, TicketTypeInfo, attribute_definitions,
};
use crate::progress::{ProgressSender, RecordOutcome, StepProgress};
use crate::spec::{FieldType, TicketTarget};

use super::result::tally;
use super::settle::{Done, RecordFailure, create_once};
use super::{Exec, ExecResult};

fn kind_of(model: AttributeModel) -> ObjectKind {
    match model {
        AttributeModel::Contact => ObjectKind::DataAttribute,
        AttributeModel::Conversation => ObjectKind::ConversationAttribute,
        AttributeModel::TicketType => ObjectKind::TicketTypeAttribute,
    }
}

/// Creates the attribute definitions the spec needs (and the ticket type), then resolves the
/// ticket type's states and list items into the shared directory.
pub(crate) async fn run(
    ex: &Arc<Exec>,
    progress: &ProgressSender,
    acc: &mut Accounting,
) -> ExecResult<()> {
    let defs = attribute_definitions(&ex.spec);
    let mut step = StepProgress::start(progress.clone(), "attributes", Some(defs.len() as u64));
    let api = ex.intercom.attributes();
    // Existing attributes: lower-case name → Intercom type.
    let contact_names: BTreeMap<String, String> = api
        .list_data_attributes(Some(IcModel::Contact), false)
        .await?
        .into_iter()
        .filter_map(|a| {
            let t = a
                .data_type
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            a.name.map(|n| (n.to_lowercase(), t))
        })
        .collect();
    let conversation_names: BTreeMap<String, String> =
        if ex.spec.objects.tickets == TicketTarget::Conversations {
            api.list_conversation_attributes(false)
                .await?
                .into_iter()
                .filter_map(|a| {
                    let t = a
                        .data_type
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default();
                    a.name.map(|n| (n.to_lowercase(), t))
                })
                .collect()
        } else {
            BTreeMap::new()
        };
    let ticket_type = if ex.spec.objects.tickets == TicketTarget::Tickets {
        Some(ensure_ticket_type(ex, acc).await?)
    } else {
        None
    };
    let mut ticket_attrs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(Some(tt)) = &ticket_type {
        let t = ex.intercom.ticket_types().get(tt).await?;
        ticket_attrs = t
            .ticket_type_attributes
            .map(|l| l.ticket_type_attributes)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| {
                a.name
                    .map(|n| (n.to_lowercase(), a.data_type.unwrap_or_default()))
            })
            .collect();
    }
    for def in &defs {
        let kind = kind_of(def.model);
        let exists = match def.model {
            AttributeModel::Contact => contact_names.get(&def.name.to_lowercase()),
            AttributeModel::Conversation => conversation_names.get(&def.name.to_lowercase()),
            AttributeModel::TicketType => ticket_attrs.get(&def.name.to_lowercase()),
        }
        .map(String::as_str);
        let outcome = define(
            ex,
            def,
            exists,
            ticket_type.as_ref().and_then(Option::as_deref),
        )
        .await;
        report(&mut step, acc, &kind, &def.name, outcome);
    }
    // States and list items of the ticket type.
    if let Some(tt) = ticket_type {
        let mut info = TicketTypeInfo::default();
        let mut list_items: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        match tt {
            Some(id) => {
                let t = ex.intercom.ticket_types().get(&id).await?;
                for a in t
                    .ticket_type_attributes
                    .map(|l| l.ticket_type_attributes)
                    .unwrap_or_default()
                {
                    let Some(name) = a.name else { continue };
                    info.attributes.insert(name.clone());
                    for (label, item) in list_options(&a.extra) {
                        list_items
                            .entry(name.clone())
                            .or_default()
                            .insert(label, item);
                    }
                }
                // Items recorded when the attributes were created (some servers do not
                // return a ticket type's attributes on read).
                for def in defs
                    .iter()
                    .filter(|d| d.model == AttributeModel::TicketType)
                {
                    info.attributes.insert(def.name.clone());
                    for o in &def.options {
                        let key = list_item_key(&def.name, o);
                        if let Some(item) = ex
                            .ledger
                            .lookup(&list_item_kind(), &key)?
                            .and_then(|r| r.target_id)
                        {
                            list_items
                                .entry(def.name.clone())
                                .or_default()
                                .entry(o.clone())
                                .or_insert(item);
                        }
                    }
                }
                info.id = id;
            }
            None => {
                // Dry run and no ticket type yet: placeholders so that mapping can proceed.
                info.id = "dry-run-ticket-type".to_owned();
                for def in defs
                    .iter()
                    .filter(|d| d.model == AttributeModel::TicketType)
                {
                    info.attributes.insert(def.name.clone());
                    if def.data_type == FieldType::List {
                        for o in &def.options {
                            list_items
                                .entry(def.name.clone())
                                .or_default()
                                .insert(o.clone(), format!("dry-run:{o}"));
                        }
                    }
                }
            }
        }
        for s in ex.intercom.ticket_types().list_states().await? {
            if let Some(c) = s.category.as_ref().and_then(StateCategory::from_intercom) {
                info.states.entry(c).or_insert(s.id);
            }
        }
        ex.update_directory(|d| {
            d.ticket_type = Some(info);
            d.list_items.extend(list_items);
        });
    }
    step.finish();
    Ok(())
}

/// Ledger kind of the list items of list attributes (recorded when created).
pub(crate) fn list_item_kind() -> ObjectKind {
    ObjectKind::Other("list_item".to_owned())
}

fn list_item_key(attribute: &str, label: &str) -> String {
    format!("{attribute}/{label}")
}

/// `(label, id)` of a list attribute's `input_options.list_options`.
fn list_options(extra: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
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

/// Finds or creates the ticket type named in the spec. `Ok(None)` in a dry run when it does
/// not exist yet.
async fn ensure_ticket_type(ex: &Arc<Exec>, acc: &mut Accounting) -> ExecResult<Option<String>> {
    let name = ex.spec.objects.ticket_type.clone();
    let kind = ObjectKind::TicketType;
    let existing = ex
        .intercom
        .ticket_types()
        .list()
        .await?
        .into_iter()
        .find(|t| {
            t.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        })
        .map(|t| t.id);
    let hash = source_hash(&name)?;
    if let Some(id) = existing {
        let recorded = if ex.dry_run {
            None
        } else {
            ex.ledger.lookup(&kind, &name)?.and_then(|r| r.target_id)
        };
        if !ex.dry_run && recorded.as_deref() != Some(&id) {
            ex.ledger
                .mark_migrated(&kind, &name, &id, &hash, Origin::Reused, ex.run)?;
        }
        tally(acc, &kind, &Outcome::Migrated);
        return Ok(Some(id));
    }
    if ex.dry_run {
        ex.would_write(&kind, None);
        tally(acc, &kind, &Outcome::Migrated);
        return Ok(None);
    }
    let req = CreateTicketType {
        name: name.clone(),
        description: Some("Tickets imported from Glassix".to_owned()),
        category: Some(TicketCategory::Customer),
        ..Default::default()
    };
    let api = ex.intercom.ticket_types();
    let done = create_once(
        ex,
        &kind,
        &name,
        &hash,
        &hash,
        || async { api.create(&req).await.map(|t| t.id) },
        || async {
            Ok(ex
                .intercom
                .ticket_types()
                .list()
                .await?
                .into_iter()
                .find(|t| {
                    t.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                })
                .map(|t| t.id))
        },
    )
    .await
    .map_err(|e| super::ExecError::Config(format!("the ticket type `{name}`: {}", e.0)))?;
    tally(acc, &kind, &Outcome::Migrated);
    Ok(Some(done.id().to_owned()))
}

/// Creates one attribute definition unless it exists (`exists` holds the existing attribute's
/// Intercom type). An existing attribute of an incompatible type fails the definition: Intercom
/// cannot change an attribute's type, so the spec's target must be renamed.
async fn define(
    ex: &Arc<Exec>,
    def: &AttributeDefinition,
    exists: Option<&str>,
    ticket_type: Option<&str>,
) -> Result<RecordOutcome, RecordFailure> {
    let kind = kind_of(def.model);
    let hash = source_hash(def)?;
    if let Some(t) = exists {
        if !t.is_empty() && !def.data_type.compatible_with(t) {
            return Err(RecordFailure(format!(
                "attribute `{}` exists in Intercom as `{t}`, the spec wants {:?}; Intercom cannot \
                 change an attribute's type: rename the target in the spec",
                def.name, def.data_type
            )));
        }
        if !ex.dry_run && ex.ledger.lookup(&kind, &def.name)?.is_none() {
            ex.ledger
                .mark_migrated(&kind, &def.name, &def.name, &hash, Origin::Reused, ex.run)?;
        }
        return Ok(RecordOutcome::Unchanged);
    }
    if ex.dry_run {
        let req = match def.model {
            AttributeModel::Contact => def
                .to_data_attribute()
                .and_then(|r| serde_json::to_value(r).ok()),
            AttributeModel::Conversation => def
                .to_conversation_attribute()
                .and_then(|r| serde_json::to_value(r).ok()),
            AttributeModel::TicketType => def
                .to_ticket_type_attribute()
                .and_then(|r| serde_json::to_value(r).ok()),
        };
        ex.would_write(&kind, req);
        return Ok(RecordOutcome::Created);
    }
    let api = ex.intercom.attributes();
    let tt_api = ex.intercom.ticket_types();
    let name = def.name.clone();
    let created_items = std::sync::Mutex::new(Vec::new());
    let done = create_once(
        ex,
        &kind,
        &def.name,
        &hash,
        &hash,
        || async {
            match def.model {
                AttributeModel::Contact => match def.to_data_attribute() {
                    Some(r) => api.create_data_attribute(&r).await.map(|_| name.clone()),
                    None => Ok(name.clone()),
                },
                AttributeModel::Conversation => match def.to_conversation_attribute() {
                    Some(r) => api
                        .create_conversation_attribute(&r)
                        .await
                        .map(|_| name.clone()),
                    None => Ok(name.clone()),
                },
                AttributeModel::TicketType => match (def.to_ticket_type_attribute(), ticket_type) {
                    (Some(r), Some(tt)) => {
                        let a = tt_api.create_attribute(tt, &r).await?;
                        *created_items.lock().unwrap_or_else(|p| p.into_inner()) =
                            list_options(&a.extra);
                        Ok(name.clone())
                    }
                    _ => Ok(name.clone()),
                },
            }
        },
        || async {
            Ok(exists_now(ex, def, ticket_type)
                .await?
                .then(|| def.name.clone()))
        },
    )
    .await?;
    let items = std::mem::take(&mut *created_items.lock().unwrap_or_else(|p| p.into_inner()));
    for (label, item) in items {
        let key = list_item_key(&def.name, &label);
        ex.ledger.mark_migrated(
            &list_item_kind(),
            &key,
            &item,
            &hash,
            Origin::Created,
            ex.run,
        )?;
    }
    Ok(match done {
        Done::Created(_) => RecordOutcome::Created,
        _ => RecordOutcome::Unchanged,
    })
}

/// Whether the definition exists in Intercom now (after an unknown outcome).
async fn exists_now(
    ex: &Exec,
    def: &AttributeDefinition,
    ticket_type: Option<&str>,
) -> Result<bool, intercom_client::Error> {
    let want = def.name.to_lowercase();
    let api = ex.intercom.attributes();
    let names: Vec<String> = match def.model {
        AttributeModel::Contact => api
            .list_data_attributes(Some(IcModel::Contact), false)
            .await?
            .into_iter()
            .filter_map(|a| a.name)
            .collect(),
        AttributeModel::Conversation => api
            .list_conversation_attributes(false)
            .await?
            .into_iter()
            .filter_map(|a| a.name)
            .collect(),
        AttributeModel::TicketType => match ticket_type {
            Some(tt) => ex
                .intercom
                .ticket_types()
                .get(tt)
                .await?
                .ticket_type_attributes
                .map(|l| l.ticket_type_attributes)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| a.name)
                .collect(),
            None => Vec::new(),
        },
    };
    Ok(names.iter().any(|n| n.to_lowercase() == want))
}

/// Counts one record's outcome in the step and the run.
pub(crate) fn report(
    step: &mut StepProgress,
    acc: &mut Accounting,
    kind: &ObjectKind,
    source_id: &str,
    outcome: Result<RecordOutcome, RecordFailure>,
) {
    match outcome {
        Ok(o) => {
            step.record(kind, source_id, o);
            tally(acc, kind, &Outcome::Migrated);
        }
        Err(e) => {
            step.failed(kind, source_id, e.0.clone());
            tally(acc, kind, &Outcome::Failed(e.0));
        }
    }
}

/// Tags: every Glassix tag of every department is created (or found by name) in Intercom.
pub(crate) async fn tags(
    ex: &Arc<Exec>,
    progress: &ProgressSender,
    acc: &mut Accounting,
) -> ExecResult<()> {
    let mut names = BTreeMap::new();
    for dept in ex.glassix.departments() {
        for t in dept.tags().await? {
            let n = t.name.trim();
            if !n.is_empty() {
                names
                    .entry(n.to_lowercase())
                    .or_insert_with(|| n.to_owned());
            }
        }
    }
    let existing: BTreeMap<String, String> = ex
        .intercom
        .tags()
        .list()
        .await?
        .into_iter()
        .filter_map(|t| t.name.map(|n| (n.to_lowercase(), t.id)))
        .collect();
    ex.update_directory(|d| d.tags.extend(existing.clone()));
    let kind = ObjectKind::Tag;
    settle_open_tag_intents(ex, &existing)?;
    let mut step = StepProgress::start(progress.clone(), "tags", Some(names.len() as u64));
    for (key, name) in names {
        let outcome = ensure_tag(ex, &key, &name, existing.get(&key).cloned()).await;
        report(&mut step, acc, &kind, &name, outcome);
    }
    step.finish();
    Ok(())
}

/// Settles the tag creates a stopped run left open. A tag created on the way by a ticket (a tag
/// rule) is found in the directory by the next run and never created again, so nothing else
/// would ever settle its intent: look it up in Intercom's tag list (`existing`, by lower-case
/// name) now. A tag that is not there was never created; its record returns to pending and is
/// created when a ticket needs it.
fn settle_open_tag_intents(ex: &Exec, existing: &BTreeMap<String, String>) -> ExecResult<()> {
    if ex.dry_run {
        return Ok(());
    }
    for intent in ex.ledger.open_intents()? {
        if intent.kind != ObjectKind::Tag {
            continue;
        }
        let key = intent.source_id.trim().to_lowercase();
        let settlement = match existing.get(&key) {
            Some(id) => Settlement::Found {
                target_id: id.clone(),
                source_hash: source_hash(&key)?,
            },
            None => Settlement::NotCreated,
        };
        ex.ledger.settle_intent(intent.id, settlement)?;
    }
    Ok(())
}

/// Finds or creates one tag, and records its id in the directory.
pub(crate) async fn ensure_tag(
    ex: &Exec,
    key: &str,
    name: &str,
    existing: Option<String>,
) -> Result<RecordOutcome, RecordFailure> {
    let kind = ObjectKind::Tag;
    let hash = source_hash(&key)?;
    if let Some(id) = existing {
        if !ex.dry_run && ex.ledger.lookup(&kind, name)?.is_none() {
            ex.ledger
                .mark_migrated(&kind, name, &id, &hash, Origin::Reused, ex.run)?;
        }
        return Ok(RecordOutcome::Unchanged);
    }
    if ex.dry_run {
        ex.would_write(
            &kind,
            serde_json::to_value(CreateTag {
                name: name.to_owned(),
                id: None,
            })
            .ok(),
        );
        ex.update_directory(|d| {
            d.tags.insert(key.to_owned(), format!("dry-run:{name}"));
        });
        return Ok(RecordOutcome::Created);
    }
    let api = ex.intercom.tags();
    let req = CreateTag {
        name: name.to_owned(),
        id: None,
    };
    let done = create_once(
        ex,
        &kind,
        name,
        &hash,
        &hash,
        || async { api.create_or_find(&req).await.map(|t| t.id) },
        || async {
            Ok(ex
                .intercom
                .tags()
                .list()
                .await?
                .into_iter()
                .find(|t| t.name.as_deref().is_some_and(|n| n.to_lowercase() == key))
                .map(|t| t.id))
        },
    )
    .await?;
    let id = done.id().to_owned();
    ex.update_directory(|d| {
        d.tags.insert(key.to_owned(), id);
    });
    Ok(match done {
        Done::Created(_) => RecordOutcome::Created,
        _ => RecordOutcome::Unchanged,
    })
}
