//! Attachments of a part: downloaded through the Glassix client and sent inline
//! (`attachment_files`, base64), at most 10 per part (the mapper splits longer lists).

use glassix_client::models::Ticket;
use intercom_client::models::AttachmentFile;

use crate::map::{FieldNote, PartPlan};

/// The files of part `p`, and a note on the ticket for each file left out: a file that cannot
/// be downloaded never blocks the conversation.
pub(crate) async fn files(
    dept: &glassix_client::Department,
    ticket: &Ticket,
    p: &PartPlan,
) -> (Vec<AttachmentFile>, Vec<FieldNote>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let note = |text: String| FieldNote::warning("transactions.attachments", text);
    for r in &p.attachments {
        let Some(att) = ticket
            .attachments()
            .find(|a| a.id == r.glassix_attachment_id)
        else {
            notes.push(note(format!(
                "attachment {} not found on the ticket",
                r.file_name
            )));
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
            Err(e) => notes.push(note(format!(
                "attachment {} could not be downloaded: {e}",
                r.file_name
            ))),
        }
    }
    (out, notes)
}
