//! The read-only side of the Intercom workspace: admins, teams, help centers (they cannot be
//! created through the API), plus the built-in ticket states and contact data attributes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{Admin, DataAttribute, HelpCenter, IntercomState, Team, TicketState};
use crate::snapshot::GlassixSnapshot;

/// Admins, teams and help centers the fake Intercom starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntercomSeed {
    /// Teammates.
    pub admins: Vec<Admin>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Help centers.
    pub help_centers: Vec<HelpCenter>,
}

impl Default for IntercomSeed {
    /// One admin, no team, one help center.
    fn default() -> Self {
        Self {
            admins: vec![admin(
                0,
                "Workspace Owner",
                "owner@intercom-sandbox.example",
                &[],
            )],
            teams: vec![],
            help_centers: vec![help_center()],
        }
    }
}

fn admin(n: usize, name: &str, email: &str, teams: &[i64]) -> Admin {
    Admin {
        id: (991_267_400 + n).to_string(),
        name: name.to_string(),
        email: email.to_string(),
        job_title: None,
        team_ids: teams.to_vec(),
    }
}

fn help_center() -> HelpCenter {
    HelpCenter {
        id: "81".into(),
        identifier: "sandbox-help".into(),
        display_name: "Sandbox Help Center".into(),
        created_at: 1_672_928_359,
    }
}

impl IntercomSeed {
    /// Derives the Intercom teammates and teams from a Glassix snapshot, deterministically:
    /// every fourth distinct Glassix agent (by e-mail) has **no** Intercom admin (so the
    /// migrator meets unmapped agents), two extra admins exist only in Intercom, every department
    /// but the last has a team of the same name, and one extra team exists only in Intercom.
    pub fn from_snapshot(snapshot: &GlassixSnapshot) -> Self {
        let mut admins = vec![admin(
            0,
            "Workspace Owner",
            "owner@intercom-sandbox.example",
            &[],
        )];
        let mut teams = Vec::new();
        let dept_count = snapshot.departments.len();
        let mut agent_index = 0usize;
        for (d, dept) in snapshot.departments.iter().enumerate() {
            let team_id = 5_017_690 + d as i64;
            let has_team = d + 1 < dept_count || dept_count == 1;
            let mut members = Vec::new();
            for user in &dept.users {
                if user.get("type").and_then(Value::as_str) != Some("AGENT") {
                    continue;
                }
                let Some(email) = user.get("UserName").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(existing) = admins
                    .iter_mut()
                    .find(|a| a.email.eq_ignore_ascii_case(email))
                {
                    if has_team && !existing.team_ids.contains(&team_id) {
                        existing.team_ids.push(team_id);
                        members.push(existing.id.parse().unwrap_or_default());
                    }
                    continue;
                }
                agent_index += 1;
                if agent_index % 4 == 0 {
                    continue; // this agent has no Intercom seat
                }
                let name = user
                    .get("fullName")
                    .and_then(Value::as_str)
                    .unwrap_or(email);
                let teams_of: Vec<i64> = if has_team { vec![team_id] } else { vec![] };
                let a = admin(admins.len(), name, &email.to_ascii_lowercase(), &teams_of);
                members.push(a.id.parse().unwrap_or_default());
                admins.push(a);
            }
            if has_team {
                teams.push(Team {
                    id: team_id.to_string(),
                    name: dept.name.clone(),
                    admin_ids: members,
                });
            }
        }
        let n = admins.len();
        admins.push(admin(
            n,
            "Night Shift Lead",
            "night.lead@intercom-sandbox.example",
            &[],
        ));
        teams.push(Team {
            id: "5017999".into(),
            name: "Tier 2 Escalations".into(),
            admin_ids: vec![],
        });
        Self {
            admins,
            teams,
            help_centers: vec![help_center()],
        }
    }

    pub(crate) fn into_state(self, now: i64) -> IntercomState {
        let states = [
            ("submitted", "Submitted"),
            ("in_progress", "In progress"),
            ("waiting_on_customer", "Waiting on customer"),
            ("resolved", "Resolved"),
        ];
        let builtin = [
            ("name", "string"),
            ("email", "string"),
            ("phone", "string"),
            ("external_id", "string"),
            ("role", "string"),
            ("signed_up_at", "date"),
            ("last_seen_at", "date"),
            ("owner_id", "integer"),
            ("unsubscribed_from_emails", "boolean"),
        ];
        IntercomState {
            admins: self.admins,
            teams: self.teams,
            help_centers: self.help_centers,
            ticket_states: states
                .iter()
                .enumerate()
                .map(|(i, (cat, label))| TicketState {
                    id: (8_269 + i).to_string(),
                    category: cat.to_string(),
                    internal_label: label.to_string(),
                    external_label: label.to_string(),
                })
                .collect(),
            data_attributes: builtin
                .iter()
                .enumerate()
                .map(|(i, (name, t))| DataAttribute {
                    id: i as i64 + 1,
                    model: "contact".into(),
                    name: name.to_string(),
                    data_type: t.to_string(),
                    options: vec![],
                    description: None,
                    messenger_writable: false,
                    custom: false,
                    archived: false,
                    created_at: now,
                    updated_at: now,
                })
                .collect(),
            ..IntercomState::default()
        }
    }
}
