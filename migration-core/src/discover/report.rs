//! The discovery report as Markdown, for the person who reviews it before anything moves.

use std::fmt::Write as _;

use super::Discovery;

impl Discovery {
    /// A Markdown report: counts, custom fields with sampled values, channels, agents and
    /// departments with their Intercom match, attribute conflicts, and what to do about each.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# Discovery\n\n");
        let t = &self.tickets;
        let _ = writeln!(
            out,
            "Glassix tier: **{}** ({}).\n",
            self.tier.tier,
            if self.tier.api_access {
                "the API answered"
            } else {
                "the API could not be read"
            }
        );
        out.push_str("| What | Count |\n|---|---:|\n");
        for (what, n) in [
            ("Tickets", t.total),
            ("Messages and notes", self.transactions),
            ("Internal notes", self.notes),
            ("Attachments", self.attachments),
            (
                "Customers reachable through tickets",
                self.contacts_reachable,
            ),
            ("Agents and API users", self.agents.len() as u64),
            ("Departments", self.departments.len() as u64),
        ] {
            let _ = writeln!(out, "| {what} | {n} |");
        }
        for (title, map) in [
            ("Tickets by state", &t.by_state),
            ("Tickets by channel", &t.by_channel),
        ] {
            let _ = writeln!(out, "\n## {title}\n\n| | Tickets |\n|---|---:|");
            for (k, n) in map {
                let _ = writeln!(out, "| {k} | {n} |");
            }
        }
        out.push_str("\n## Departments → Intercom teams\n\n| Department | Tickets | Team |\n|---|---:|---|\n");
        for d in &self.departments {
            let _ = writeln!(
                out,
                "| {} (`{}`) | {} | {} |",
                d.name.as_deref().unwrap_or("(no name configured)"),
                d.department_id,
                t.by_department.get(&d.department_id).copied().unwrap_or(0),
                d.team_id.as_deref().map_or(
                    "**none: create it or set a fallback team**".to_owned(),
                    |id| format!("`{id}`")
                )
            );
        }
        out.push_str("\n## Agents → Intercom admins\n\n| Agent | Admin |\n|---|---|\n");
        for a in &self.agents {
            let admin = match (&a.admin_id, a.bot) {
                (_, true) => {
                    "bot or API user: its messages are written by the token's admin".to_owned()
                }
                (Some(id), false) => format!("`{id}`"),
                (None, false) => "**none: invite them or set a fallback admin**".to_owned(),
            };
            let _ = writeln!(out, "| {} | {admin} |", a.user_name);
        }
        out.push_str("\n## Custom fields\n\n| Field | Sampled values |\n|---|---|\n");
        for f in &self.custom_fields {
            let samples: Vec<String> = f.samples.iter().take(6).map(|s| format!("`{s}`")).collect();
            let more = if f.samples.len() > 6 { ", …" } else { "" };
            let _ = writeln!(out, "| {} | {}{more} |", f.source, samples.join(", "));
        }
        if !self.conflicts.is_empty() {
            out.push_str("\n## Conflicts with existing Intercom attributes\n\n");
            for c in &self.conflicts {
                let _ = writeln!(out, "- {c}");
            }
        }
        if !self.intercom_attributes.is_empty() {
            let _ = writeln!(
                out,
                "\n{} attributes already exist in Intercom; the proposal reuses those with a \
                 matching name and type.",
                self.intercom_attributes.len()
            );
        }
        out.push_str("\n## Next\n\n");
        if self.provisioning.is_empty() {
            out.push_str("- Every agent and department has a match in Intercom.\n");
        } else {
            let _ = writeln!(
                out,
                "- Create {} teammate(s) and {} team(s) by hand (see `provisioning.md`), or set \
                 fallbacks in the spec's `[policies]`; records that need them are queued until \
                 they exist.",
                self.provisioning.agents.len(),
                self.provisioning.departments.len()
            );
        }
        out.push_str("- Run `propose`, review the spec and confirm it, then `plan`.\n");
        out
    }
}
