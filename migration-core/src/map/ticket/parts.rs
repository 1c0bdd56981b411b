//! Transactions → parts: order, authors, bodies, attachments.

use std::collections::BTreeMap;

use glassix_client::models::{
    Attachment, AttachmentType, Participant, ParticipantType, SanitizationState, Ticket,
    Transaction, TransactionType,
};

use super::plan::{ATTACHMENTS_PER_PART, AttachmentRef, PartAuthor, PartKind, PartPlan};
use crate::map::body::part_body;
use crate::map::contact::ContactKey;
use crate::map::context::{MapContext, guid_key};
use crate::map::outcome::{FieldNote, MapReason, ReasonCode};
use crate::spec::{AgentPolicy, AttachmentsPolicy, TicketTarget};

/// Parts built from a ticket's transactions, before the conversation's opening message is
/// taken out.
pub(super) struct BuiltParts {
    pub(super) parts: Vec<PartPlan>,
    pub(super) notes: Vec<FieldNote>,
}

/// The transactions in write order: by time, then by id (stable for equal times). A missing
/// time sorts as the ticket's open time.
pub(super) fn ordered(ticket: &Ticket) -> Vec<(usize, &Transaction)> {
    let mut txs: Vec<(usize, &Transaction)> = ticket.transactions().iter().enumerate().collect();
    txs.sort_by_key(|(_, t)| (t.date_time.or(ticket.open), t.id));
    txs
}

pub(super) fn build(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    acting: Option<&str>,
) -> Result<BuiltParts, MapReason> {
    let mut parts = Vec::new();
    let mut notes = Vec::new();
    let mut events: BTreeMap<String, usize> = BTreeMap::new();
    let mut last_time = ticket.open.map(|t| t.timestamp()).unwrap_or(0);
    for (i, tx) in ordered(ticket) {
        let field = format!("transactions[{i}]");
        let kind = match &tx.kind {
            TransactionType::Message => PartKind::Comment,
            TransactionType::Note => PartKind::Note,
            other => {
                *events.entry(other.as_str().to_owned()).or_default() += 1;
                continue;
            }
        };
        let (author, author_note) =
            resolve_author(tx.from_participant.as_ref(), &field, ctx, acting)?;
        notes.extend(author_note);
        // Customers cannot write notes; a note by a customer becomes a comment.
        let kind = match (&author, kind) {
            (PartAuthor::Contact(_), PartKind::Note) => {
                notes.push(FieldNote::warning(
                    format!("{field}.type"),
                    "a note attributed to a customer is written as a customer comment",
                ));
                PartKind::Comment
            }
            (_, k) => k,
        };
        let created_at = match tx.date_time {
            Some(t) => t.timestamp(),
            None => {
                notes.push(FieldNote::warning(
                    format!("{field}.dateTime"),
                    "no timestamp; the previous message's time is used",
                ));
                last_time
            }
        };
        last_time = created_at;
        let pb = part_body(&tx.html, &tx.text);
        let mut body = pb.html;
        if pb.reduced {
            notes.push(FieldNote::info(
                format!("{field}.html"),
                "HTML reduced to what Intercom accepts (styles, scripts and unsupported tags \
                 removed)",
            ));
        }
        if pb.images_removed > 0 {
            notes.push(FieldNote::info(
                format!("{field}.html"),
                format!(
                    "{} image(s) without an http(s) source or tracking pixels removed from the \
                     body (inline images travel as attachments)",
                    pb.images_removed
                ),
            ));
        }
        let refs = attachment_refs(tx, &field, ctx, &mut body, &mut notes);
        if body.trim().is_empty() {
            if refs.is_empty() {
                notes.push(FieldNote::info(
                    field.clone(),
                    "empty message (no text, HTML or attachment) not written",
                ));
                continue;
            }
            let names: Vec<&str> = refs.iter().map(|r| r.file_name.as_str()).collect();
            body = format!("<p>Attachment: {}</p>", escape_text(&names.join(", ")));
        }
        let guid = guid_key(tx.guid_transaction_id);
        let on_ticket = ctx.spec.objects.tickets == TicketTarget::Tickets;
        let customer_files_on_ticket = on_ticket && matches!(author, PartAuthor::Contact(_));
        let (first, rest): (Vec<AttachmentRef>, Vec<AttachmentRef>) = if customer_files_on_ticket {
            (Vec::new(), refs)
        } else {
            let split = refs.len().min(ATTACHMENTS_PER_PART);
            let mut first = refs;
            let rest = first.split_off(split);
            (first, rest)
        };
        let total = first.len() + rest.len();
        parts.push(PartPlan {
            source_transaction_guid: guid.clone(),
            continuation: 0,
            position: 0,
            author: author.clone(),
            kind,
            body,
            created_at,
            attachments: first.clone(),
        });
        if rest.is_empty() {
            continue;
        }
        // Continuation parts: the same author (or, for a customer's files on a ticket, where
        // contact replies take no files, the acting admin as a note).
        let (cont_author, cont_kind) = if customer_files_on_ticket {
            let Some(admin) = acting else {
                return Err(no_acting_admin(&field));
            };
            notes.push(FieldNote::warning(
                format!("{field}.attachments"),
                "Intercom takes no files on a contact's ticket reply: the customer's files \
                 are attached to an internal note right after the message",
            ));
            (PartAuthor::Admin(admin.to_owned()), PartKind::Note)
        } else {
            (author, kind)
        };
        let mut offset = first.len();
        for (n, chunk) in rest.chunks(ATTACHMENTS_PER_PART).enumerate() {
            let from = offset + 1;
            let to = offset + chunk.len();
            offset = to;
            let body = if customer_files_on_ticket {
                format!(
                    "<p>Files sent by the customer with the previous message ({from}–{to} of \
                     {total})</p>"
                )
            } else {
                format!("<p>(continued: attachments {from}–{to} of {total})</p>")
            };
            parts.push(PartPlan {
                source_transaction_guid: guid.clone(),
                continuation: u32::try_from(n + 1).unwrap_or(u32::MAX),
                position: 0,
                author: cont_author.clone(),
                kind: cont_kind,
                body,
                created_at,
                attachments: chunk.to_vec(),
            });
        }
        if !customer_files_on_ticket {
            notes.push(FieldNote::info(
                format!("{field}.attachments"),
                format!(
                    "{total} attachments exceed Intercom's {ATTACHMENTS_PER_PART} per part: split \
                     over {} consecutive parts",
                    total.div_ceil(ATTACHMENTS_PER_PART)
                ),
            ));
        }
    }
    if !events.is_empty() {
        let list: Vec<String> = events.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        notes.push(FieldNote::info(
            "transactions.type",
            format!(
                "event transactions are not parts ({}); the final state, assignee and tags \
                 reflect them",
                list.join(", ")
            ),
        ));
    }
    Ok(BuiltParts { parts, notes })
}

pub(super) fn no_acting_admin(field: &str) -> MapReason {
    MapReason::new(
        ReasonCode::NoActingAdmin,
        "no Intercom admin can write this (bot, system or state-change writes need one): \
         resolve the token's admin (GET /me) into the directory, or set \
         policies.unmatched_agent = { fallback_admin = \"<id>\" }",
    )
    .with_field(field.to_owned())
}

/// Resolves the author of a transaction. Pseudo-participants (the "Unassigned Tickets" user,
/// bots, the system) are written by the acting admin, with a note.
fn resolve_author(
    p: Option<&Participant>,
    field: &str,
    ctx: &MapContext<'_>,
    acting: Option<&str>,
) -> Result<(PartAuthor, Option<FieldNote>), MapReason> {
    let pfield = format!("{field}.fromParticipant");
    let by_acting = |why: String| -> Result<(PartAuthor, Option<FieldNote>), MapReason> {
        match acting {
            Some(a) => Ok((
                PartAuthor::Admin(a.to_owned()),
                Some(FieldNote::info(pfield.clone(), why)),
            )),
            None => Err(no_acting_admin(&pfield)),
        }
    };
    let Some(p) = p else {
        return by_acting("no author recorded; written by the acting admin".into());
    };
    match &p.kind {
        ParticipantType::Client => {
            let Some(key) = ContactKey::for_participant(p) else {
                return Err(MapReason::new(
                    ReasonCode::MissingContact,
                    "a customer message has an author with neither contact id nor address",
                )
                .with_field(pfield));
            };
            match ctx.directory.contacts.get(&key.source_id()) {
                Some(c) => Ok((PartAuthor::Contact(c.clone()), None)),
                None => Err(MapReason::new(
                    ReasonCode::MissingContact,
                    format!(
                        "customer `{}` ({}) has no Intercom contact yet; migrate or resolve the \
                         contact (see its queue entry), then run again",
                        p.name,
                        key.source_id()
                    ),
                )
                .with_field(pfield)),
            }
        }
        ParticipantType::User => {
            if p.is_placeholder() {
                return by_acting(format!(
                    "pseudo-participant `{}` written by the acting admin",
                    p.name
                ));
            }
            let user_id = p.user_id().map(guid_key);
            if user_id.as_deref().is_some_and(|u| ctx.directory.is_bot(u)) {
                return by_acting(format!(
                    "bot `{}` has no Intercom equivalent; its message is written by the acting \
                     admin",
                    p.name
                ));
            }
            if let Some(admin) = ctx.directory.admin_for(user_id.as_deref(), &p.user_name) {
                return Ok((PartAuthor::Admin(admin.to_owned()), None));
            }
            match &ctx.spec.policies.unmatched_agent {
                AgentPolicy::FallbackAdmin(id) => Ok((
                    PartAuthor::Admin(id.clone()),
                    Some(FieldNote::warning(
                        pfield,
                        format!(
                            "agent `{}` <{}> has no Intercom admin; written by the fallback admin",
                            p.name, p.user_name
                        ),
                    )),
                )),
                AgentPolicy::Queue => Err(MapReason::new(
                    ReasonCode::UnmatchedAgent,
                    format!(
                        "agent `{}` <{}> has no Intercom admin with that e-mail; invite them \
                         (see the provisioning list) or set a fallback_admin, then run again",
                        p.name, p.user_name
                    ),
                )
                .with_field(pfield)),
            }
        }
        other => by_acting(format!(
            "{} participant `{}` written by the acting admin",
            if other.is_unknown() {
                "unknown"
            } else {
                other.as_str()
            },
            p.name
        )),
    }
}

fn attachment_refs(
    tx: &Transaction,
    field: &str,
    ctx: &MapContext<'_>,
    body: &mut String,
    notes: &mut Vec<FieldNote>,
) -> Vec<AttachmentRef> {
    if tx.attachments.is_empty() {
        return Vec::new();
    }
    let afield = format!("{field}.attachments");
    let mut usable = Vec::new();
    for a in &tx.attachments {
        if a.sanitization_state == SanitizationState::Blocked {
            notes.push(FieldNote::warning(
                afield.clone(),
                format!(
                    "`{}` was blocked by Glassix's malware scan; not copied",
                    file_name(a)
                ),
            ));
        } else {
            usable.push(a);
        }
    }
    match ctx.spec.policies.attachments {
        AttachmentsPolicy::Upload => {
            if usable.iter().any(|a| a.is_embedded) {
                notes.push(FieldNote::info(
                    afield,
                    "inline images are uploaded as attachments of the part (Intercom does not \
                     keep their position in the text)",
                ));
            }
            usable
                .into_iter()
                .map(|a| AttachmentRef {
                    glassix_attachment_id: a.id,
                    file_name: file_name(a),
                    content_type_hint: content_type_hint(a),
                    inline: a.is_embedded,
                })
                .collect()
        }
        AttachmentsPolicy::Link => {
            for a in usable {
                body.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape_text(&a.uri),
                    escape_text(&file_name(a))
                ));
            }
            notes.push(FieldNote::warning(
                afield,
                "attachments linked to their Glassix URLs, which expire after a few hours",
            ));
            Vec::new()
        }
        AttachmentsPolicy::Skip => {
            let names: Vec<String> = usable.iter().map(|a| file_name(a)).collect();
            if !names.is_empty() {
                notes.push(FieldNote::warning(
                    afield,
                    format!("attachments left out by policy: {}", names.join(", ")),
                ));
            }
            Vec::new()
        }
    }
}

fn file_name(a: &Attachment) -> String {
    [&a.original_file_name, &a.file_identifier]
        .into_iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .map_or_else(|| format!("attachment-{}", a.id), str::to_owned)
}

/// A MIME type from the file extension, else from the Glassix attachment kind.
fn content_type_hint(a: &Attachment) -> String {
    let name = file_name(a).to_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let by_ext = match ext {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        _ => "",
    };
    if !by_ext.is_empty() {
        return by_ext.to_owned();
    }
    match a.kind {
        AttachmentType::Image => "image/jpeg",
        AttachmentType::Audio => "audio/ogg",
        AttachmentType::Video => "video/mp4",
        AttachmentType::Document => "application/pdf",
        _ => "application/octet-stream",
    }
    .to_owned()
}

pub(super) fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
