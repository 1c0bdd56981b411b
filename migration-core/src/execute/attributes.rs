//! The schema steps: contact data attributes, conversation attributes, the migration ticket type
//! and its attributes (with their states and list items). What exists in Intercom (read once in
//! preflight, see [`crate::intercom_schema`]) is reused; the rest is created once.

use std::collections::BTreeMap;

use intercom_client::models::{CreateTicketType, TicketCategory};

use crate::ObjectKind;
use crate::hashing::source_hash;
use crate::intercom_schema::{self, Attributes};
use crate::ledger::ObjectStatus;
use crate::map::{
    AttributeDefinition, AttributeModel, StateCategory, TicketTypeInfo, attribute_definitions,
};
use crate::outcome::{Failure, Outcome, Retry, Write};
use crate::plan::StepId;

use super::error::{ExecError, ExecResult, Fault};
use super::recorder::{RecordEnd, Recorder};
use super::settle::{Created, Once, keep, kept, upsert_once};
use super::state::RunState;

fn kind_of(model: AttributeModel) -> ObjectKind {
    match model {
        AttributeModel::Contact => ObjectKind::DataAttribute,
        AttributeModel::Conversation => ObjectKind::ConversationAttribute,
        AttributeModel::TicketType => ObjectKind::TicketTypeAttribute,
    }
}

/// Ledger kind of the list items of list attributes (recorded when created).
pub(crate) fn list_item_kind() -> ObjectKind {
    ObjectKind::Other("list_item".to_owned())
}

fn list_item_key(attribute: &str, label: &str) -> String {
    format!("{attribute}/{label}")
}

/// The attribute definitions step of `model` (data attributes, conversation attributes, or
/// the ticket type's attributes).
pub(crate) async fn definitions(
    st: &RunState,
    rec: &mut Recorder,
    step: StepId,
    model: AttributeModel,
) -> ExecResult<()> {
    let defs: Vec<AttributeDefinition> = attribute_definitions(&st.spec)
        .into_iter()
        .filter(|d| d.model == model)
        .collect();
    let schema = st.schema();
    let schema_archived = schema.archived_contact.clone();
    let (existing, ticket_type) = match model {
        AttributeModel::Contact => (schema.contact, None),
        AttributeModel::Conversation => (schema.conversation, None),
        AttributeModel::TicketType => match schema.ticket_type {
            Some((id, attrs)) => (attrs, Some(id)),
            None => (Attributes::new(), None),
        },
    };
    rec.start(step, Some(kind_of(model)), Some(defs.len() as u64));
    for def in &defs {
        let exists = existing
            .get(&def.name.to_lowercase())
            .map(|a| a.data_type.as_str());
        let archived = match model {
            AttributeModel::Contact => schema_archived.get(&def.name.to_lowercase()),
            _ => None,
        };
        let ends = match define(st, def, exists, archived, ticket_type.as_deref()).await {
            Ok(ends) => ends,
            Err(Fault::Record(f)) => vec![RecordEnd::new(
                kind_of(def.model),
                &def.name,
                Outcome::Failed(f),
            )],
            Err(Fault::Run(e)) => return Err(*e),
        };
        if ends
            .first()
            .is_some_and(|e| matches!(e.outcome, Outcome::Failed(_)))
        {
            st.mark_unsettled(model, &def.name);
        }
        for end in ends {
            rec.record(step, end)?;
        }
    }
    if model == AttributeModel::TicketType {
        resolve_ticket_type(st, &defs, &existing, ticket_type).await?;
    }
    rec.finish(step);
    Ok(())
}

/// The ticket types step: finds the ticket type named in the spec, or creates it. A ticket type
/// that cannot be created stops the run (no ticket could be written without it).
pub(crate) async fn ticket_type(st: &RunState, rec: &mut Recorder) -> ExecResult<()> {
    let name = st.spec.objects.ticket_type.clone();
    let kind = ObjectKind::TicketType;
    rec.start(StepId::TicketTypes, Some(kind.clone()), Some(1));
    let hash = source_hash(&name)?;
    let schema = st.schema();
    let (existing, archived) = (
        schema.ticket_type.map(|(id, _)| id),
        schema.ticket_type_archived,
    );
    let end = match existing {
        Some(id) => {
            let row = st.ledger.lookup(&kind, &name)?;
            let ours = row.as_ref().and_then(|r| r.target_id.as_deref()) == Some(id.as_str());
            let settled = ours && row.is_some_and(|r| r.status == ObjectStatus::Migrated);
            let write = if archived {
                // Archived by a rollback of this migration (or by an admin): tickets cannot be
                // created with an archived type, so it is restored.
                st.writer.restore_ticket_type(&id).await.map_err(|e| {
                    ExecError::Config(format!(
                        "the ticket type `{name}` ({id}) is archived in Intercom and could not \
                         be restored ({e}); unarchive it in Intercom's settings and run again"
                    ))
                })?;
                st.update_schema(|s| s.ticket_type_archived = false);
                Some(if ours { Write::Updated } else { Write::Reused })
            } else if settled {
                None
            } else if ours {
                // Ours, but the ledger has it rolled back (or unsettled): migrated again.
                Some(Write::Found)
            } else {
                Some(Write::Reused)
            };
            match write {
                None => RecordEnd::new(kind, &name, Outcome::Unchanged { target_id: id }),
                Some(write) => {
                    let o = Outcome::Migrated {
                        target_id: id,
                        write,
                    };
                    RecordEnd::new(kind, &name, o).hash(&hash)
                }
            }
        }
        None => {
            let req = CreateTicketType {
                name: name.clone(),
                description: Some("Tickets imported from Glassix".to_owned()),
                category: Some(TicketCategory::Customer),
                ..Default::default()
            };
            let outcome = upsert_once(
                st,
                Once::new(&kind, &name, &hash, &hash),
                || async { st.writer.create_ticket_type(&req).await.map(Created::from) },
                || async {
                    Ok(intercom_schema::find_ticket_type(&st.intercom, &name)
                        .await?
                        .map(|t| t.id))
                },
                keep,
            )
            .await;
            let outcome = outcome.and_then(|o| {
                st.writer.expected_if_found(&kind, &o, |w| {
                    (*w == Write::Found).then(|| crate::verify::expect::ticket_type(&req))
                })?;
                Ok(o)
            });
            match outcome {
                Ok(o) => RecordEnd::new(kind, &name, o),
                Err(Fault::Record(f)) => {
                    return Err(ExecError::Config(format!("the ticket type `{name}`: {f}")));
                }
                Err(Fault::Run(e)) => return Err(*e),
            }
        }
    };
    if let Some(id) = end.outcome.target_id() {
        // A ticket type created now has no attributes yet: nothing to read back.
        let id = id.to_owned();
        st.update_schema(|s| {
            if s.ticket_type.is_none() {
                s.ticket_type = Some((id, Attributes::new()));
            }
        });
    }
    rec.record(StepId::TicketTypes, end)?;
    rec.finish(StepId::TicketTypes);
    Ok(())
}

/// The ticket type's attribute names, list items and one state per category, into the
/// directory for the mappers.
async fn resolve_ticket_type(
    st: &RunState,
    defs: &[AttributeDefinition],
    existing: &Attributes,
    ticket_type: Option<String>,
) -> ExecResult<()> {
    let Some(id) = ticket_type else {
        return Ok(());
    };
    let mut info = TicketTypeInfo {
        id,
        ..Default::default()
    };
    let mut list_items: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for a in existing.values() {
        info.attributes.insert(a.name.clone());
        if !a.list_items.is_empty() {
            list_items
                .entry(a.name.clone())
                .or_default()
                .extend(a.list_items.clone());
        }
    }
    // Items recorded when the attributes were created (some servers do not return a ticket
    // type's attributes on read).
    for def in defs {
        info.attributes.insert(def.name.clone());
        for o in &def.options {
            let key = list_item_key(&def.name, o);
            if let Some(item) = st
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
    for s in st.intercom.ticket_types().list_states().await? {
        if let Some(c) = s.category.as_ref().and_then(StateCategory::from_intercom) {
            info.states.entry(c).or_insert(s.id);
        }
    }
    st.update_directory(|d| {
        d.ticket_type = Some(info);
        d.list_items.extend(list_items);
    });
    Ok(())
}

/// Creates one attribute definition unless it exists (`exists` holds the existing attribute's
/// Intercom type). An existing attribute of an incompatible type fails the definition: Intercom
/// cannot change an attribute's type, so the spec's target must be renamed. Answers the
/// definition's end and, for a list attribute created now, its list items.
async fn define(
    st: &RunState,
    def: &AttributeDefinition,
    exists: Option<&str>,
    archived: Option<&String>,
    ticket_type: Option<&str>,
) -> Result<Vec<RecordEnd>, Fault> {
    let kind = kind_of(def.model);
    let hash = source_hash(def)?;
    let row = st.ledger.lookup(&kind, &def.name)?;
    if let (None, Some(id)) = (exists, archived) {
        // Archived (by a rollback of this migration, or by an admin): the name stays taken in
        // Intercom, so the attribute is restored rather than created.
        st.writer.restore_data_attribute(id).await?;
        let write = if row.is_some() {
            Write::Updated
        } else {
            Write::Reused
        };
        let o = Outcome::Migrated {
            target_id: def.name.clone(),
            write,
        };
        return Ok(vec![RecordEnd::new(kind, &def.name, o).hash(&hash)]);
    }
    if let Some(t) = exists {
        if !t.is_empty() && !def.data_type.compatible_with(t) {
            return Err(Fault::Record(Failure {
                message: format!(
                    "attribute `{}` exists in Intercom as `{t}`, the spec wants {:?}; Intercom \
                     cannot change an attribute's type: rename the target in the spec",
                    def.name, def.data_type
                ),
                retry: Retry::Refused,
            }));
        }
        let target_id = def.name.clone();
        return Ok(vec![match row {
            None => {
                let reused = Outcome::Migrated {
                    target_id,
                    write: Write::Reused,
                };
                RecordEnd::new(kind, &def.name, reused).hash(&hash)
            }
            // Ours, but rolled back (or unsettled) in the ledger: migrated again.
            Some(r) if r.status != ObjectStatus::Migrated => {
                let found = Outcome::Migrated {
                    target_id,
                    write: Write::Found,
                };
                RecordEnd::new(kind, &def.name, found).hash(&hash)
            }
            Some(_) => RecordEnd::new(kind, &def.name, Outcome::Unchanged { target_id }),
        }]);
    }
    let created_items = std::sync::Mutex::new(Vec::new());
    let name = def.name.clone();
    let outcome = upsert_once(
        st,
        Once::new(&kind, &def.name, &hash, &hash),
        || async {
            match def.model {
                AttributeModel::Contact => {
                    if let Some(r) = def.to_data_attribute() {
                        st.writer.create_data_attribute(&r).await?;
                    }
                }
                AttributeModel::Conversation => {
                    if let Some(r) = def.to_conversation_attribute() {
                        st.writer.create_conversation_attribute(&r).await?;
                    }
                }
                AttributeModel::TicketType => {
                    if let (Some(r), Some(tt)) = (def.to_ticket_type_attribute(), ticket_type) {
                        let items = st.writer.create_ticket_type_attribute(tt, &r).await?;
                        *created_items
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = items;
                    }
                }
            }
            Ok(Created::from(name.clone()))
        },
        || async {
            let now = intercom_schema::attributes_of(&st.intercom, def.model, ticket_type).await?;
            Ok(now
                .contains_key(&def.name.to_lowercase())
                .then(|| def.name.clone()))
        },
        keep,
    )
    .await?;
    let outcome = kept(outcome);
    let mut ends = vec![RecordEnd::new(kind, &def.name, outcome)];
    let items = std::mem::take(
        &mut *created_items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for (label, item) in items {
        ends.push(
            RecordEnd::new(list_item_kind(), list_item_key(&def.name, &label), {
                Outcome::created(item)
            })
            .hash(&hash),
        );
    }
    Ok(ends)
}

/// The schema gate: values are never sent to an attribute whose definition is not settled in
/// Intercom (Intercom would refuse the whole record: "Extra attributes"). Removes them from
/// `attributes`, with a note each; answers whether any was removed (the record is then written
/// without them and finished by the next run).
pub(crate) fn gate(
    st: &RunState,
    model: AttributeModel,
    attributes: &mut intercom_client::models::CustomAttributes,
    notes: &mut Vec<crate::map::FieldNote>,
) -> bool {
    let held: Vec<String> = attributes
        .keys()
        .filter(|k| st.is_unsettled(model, k))
        .cloned()
        .collect();
    for name in &held {
        attributes.remove(name);
        notes.push(crate::map::FieldNote::warning(
            name.as_str(),
            format!(
                "not written in this run: the attribute `{name}` is not settled in Intercom (its \
                 definition failed; see the attributes step); the next run writes it"
            ),
        ));
    }
    !held.is_empty()
}
