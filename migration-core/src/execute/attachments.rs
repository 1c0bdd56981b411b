//! Attachments of a part: downloaded through the Glassix client and sent inline
//! (`attachment_files`, base64), at most 10 per part (the mapper splits longer lists).

use glassix_client::models::Ticket;
use intercom_client::models::AttachmentFile;

use crate::ObjectKind;
use crate::map::{FieldNote, PartPlan, TicketPlan};

use super::Exec;

/// The files of part `p`. A file that cannot be downloaded is left out with a note on the
/// ticket (so one broken link never blocks the conversation).
pub(crate) async fn files(
    ex: &Exec,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    p: &PartPlan,
) -> Vec<AttachmentFile> {
    let mut out = Vec::new();
    for r in &p.attachments {
        let Some(att) = ticket
            .attachments()
            .find(|a| a.id == r.glassix_attachment_id)
        else {
            note(
                ex,
                plan,
                &format!("attachment {} not found on the ticket", r.file_name),
            );
            continue;
        };
        match dept.download_attachment(ticket.id, att).await {
            Ok(d) => {
                let name = d.file_name.unwrap_or_else(|| r.file_name.clone());
                let ct = d
                    .content_type
                    .unwrap_or_else(|| r.content_type_hint.clone());
                out.push(AttachmentFile::from_bytes(name, ct, &d.bytes));
            }
            Err(e) => note(
                ex,
                plan,
                &format!("attachment {} could not be downloaded: {e}", r.file_name),
            ),
        }
    }
    out
}

fn note(ex: &Exec, plan: &TicketPlan, text: &str) {
    let kind = match plan.target {
        crate::spec::TicketTarget::Tickets => ObjectKind::Ticket,
        crate::spec::TicketTarget::Conversations => ObjectKind::Conversation,
    };
    let n =
        FieldNote::warning("transactions.attachments", text).to_lossy_note(kind, &plan.source_id);
    let _ = ex.ledger.add_note(&n, ex.run);
}
