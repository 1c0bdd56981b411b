//! `lookup admins|teams`: the Intercom ids to paste into the spec's `fallback_admin` and
//! `fallback_team`, with the Glassix agents and departments discovery matched to each. Reads
//! Intercom (nothing is written) and the saved `discovery.json`.

use intercom_client::models::{Admin, Team};
use migration_core::discover::Discovery;

use super::app::{App, read_discovery};
use super::args::LookupTarget;
use super::exit::{CliError, from_intercom};
use super::outputs::names;

/// One Intercom admin or team, with what matches it in Glassix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRow {
    /// Intercom id.
    pub id: String,
    /// Name.
    pub name: String,
    /// E-mail (admins), or the members' e-mails (teams).
    pub emails: String,
    /// The Glassix agents or departments discovery matched to it.
    pub glassix: Vec<String>,
}

/// Rows for the admins, matched to discovery's agents by admin id.
pub fn admin_rows(admins: &[Admin], discovery: Option<&Discovery>) -> Vec<LookupRow> {
    admins
        .iter()
        .map(|a| LookupRow {
            id: a.id.clone(),
            name: a.name.clone().unwrap_or_default(),
            emails: a.email.clone().unwrap_or_default(),
            glassix: discovery
                .map(|d| {
                    d.agents
                        .iter()
                        .filter(|g| g.admin_id.as_deref() == Some(a.id.as_str()))
                        .map(|g| format!("agent {} ({})", g.user_name, g.user_id))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Rows for the teams (members' e-mails from `admins`), matched to discovery's departments by
/// team id.
pub fn team_rows(
    teams: &[Team],
    admins: &[Admin],
    discovery: Option<&Discovery>,
) -> Vec<LookupRow> {
    teams
        .iter()
        .map(|t| {
            let members: Vec<String> = t
                .admin_ids
                .iter()
                .map(|id| {
                    admins
                        .iter()
                        .find(|a| &a.id == id)
                        .and_then(|a| a.email.clone())
                        .unwrap_or_else(|| format!("admin {id}"))
                })
                .collect();
            LookupRow {
                id: t.id.clone(),
                name: t.name.clone().unwrap_or_default(),
                emails: members.join(", "),
                glassix: discovery
                    .map(|d| {
                        d.departments
                            .iter()
                            .filter(|g| g.team_id.as_deref() == Some(t.id.as_str()))
                            .map(|g| {
                                format!(
                                    "department {} ({})",
                                    g.name.as_deref().unwrap_or("unnamed"),
                                    g.department_id
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The rows as a plain-text table.
pub fn table(rows: &[LookupRow], email_header: &str) -> String {
    let w = |f: fn(&LookupRow) -> usize, min: usize| rows.iter().map(f).max().unwrap_or(0).max(min);
    let wid = w(|r| r.id.chars().count(), 2);
    let wname = w(|r| r.name.chars().count(), 4);
    let wmail = w(|r| r.emails.chars().count(), email_header.len());
    let mut out = format!(
        "  {:<wid$}  {:<wname$}  {:<wmail$}  {}\n",
        "id", "name", email_header, "Glassix (from discovery)"
    );
    for r in rows {
        let glassix = if r.glassix.is_empty() {
            "-".to_owned()
        } else {
            r.glassix.join("; ")
        };
        out.push_str(&format!(
            "  {:<wid$}  {:<wname$}  {:<wmail$}  {}\n",
            r.id, r.name, r.emails, glassix
        ));
    }
    out
}

/// `lookup admins|teams`.
pub async fn lookup(app: &App, target: LookupTarget) -> Result<(), CliError> {
    let ic = app.config.intercom_client()?;
    let discovery_path = app.config.paths.out.join(names::DISCOVERY_JSON);
    let discovery = read_discovery(&discovery_path);
    let c = &app.console;
    let admins = ic.admins().list().await.map_err(from_intercom)?;
    match target {
        LookupTarget::Admins => {
            let rows = admin_rows(&admins, discovery.as_ref());
            c.line(format!("Intercom admins ({}):", rows.len()));
            c.line(table(&rows, "e-mail").trim_end());
            if let Some(d) = &discovery {
                let unmatched: Vec<&str> = d
                    .agents
                    .iter()
                    .filter(|a| a.admin_id.is_none() && !a.bot)
                    .map(|a| a.user_name.as_str())
                    .collect();
                if !unmatched.is_empty() {
                    c.line(format!(
                        "Glassix agents without an Intercom admin: {}.",
                        unmatched.join(", ")
                    ));
                }
            }
            c.line("In the mapping spec, [policies]:");
            c.line(format!(
                "  unmatched_agent = {{ fallback_admin = \"{}\" }}",
                rows.first().map_or("<admin id>", |r| r.id.as_str())
            ));
        }
        LookupTarget::Teams => {
            let teams = ic.admins().list_teams().await.map_err(from_intercom)?;
            let rows = team_rows(&teams, &admins, discovery.as_ref());
            c.line(format!("Intercom teams ({}):", rows.len()));
            c.line(table(&rows, "members").trim_end());
            if let Some(d) = &discovery {
                let unmatched: Vec<String> = d
                    .departments
                    .iter()
                    .filter(|x| x.team_id.is_none())
                    .map(|x| x.name.clone().unwrap_or_else(|| x.department_id.clone()))
                    .collect();
                if !unmatched.is_empty() {
                    c.line(format!(
                        "Glassix departments without an Intercom team: {}.",
                        unmatched.join(", ")
                    ));
                }
            }
            c.line("In the mapping spec, [policies]:");
            c.line(format!(
                "  unmatched_department = {{ fallback_team = \"{}\" }}",
                rows.first().map_or("<team id>", |r| r.id.as_str())
            ));
        }
    }
    if discovery.is_none() {
        c.line(format!(
            "({} is not there or unreadable: run `glassix-to-intercom discover` to see which \
             Glassix agents and departments match.)",
            discovery_path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use migration_core::discover::{AgentMatch, DepartmentMatch};

    use super::*;

    fn admin(id: &str, name: &str, email: &str) -> Admin {
        serde_json::from_value(serde_json::json!({
            "type": "admin", "id": id, "name": name, "email": email
        }))
        .unwrap()
    }

    #[test]
    fn rows_carry_ids_names_emails_and_the_glassix_matches() {
        let admins = [
            admin("1", "Ann", "ann@x.test"),
            admin("2", "Bob", "bob@x.test"),
        ];
        let team: Team = serde_json::from_value(serde_json::json!({
            "type": "team", "id": "7", "name": "Sales", "admin_ids": ["2", "9"]
        }))
        .unwrap();
        let d = Discovery {
            agents: vec![AgentMatch {
                user_id: "u1".into(),
                user_name: "ann@x.test".into(),
                admin_id: Some("1".into()),
                bot: false,
            }],
            departments: vec![DepartmentMatch {
                department_id: "d1".into(),
                name: Some("Sales".into()),
                team_id: Some("7".into()),
            }],
            ..Discovery::default()
        };
        let rows = admin_rows(&admins, Some(&d));
        assert_eq!(rows[0].glassix, ["agent ann@x.test (u1)"]);
        assert!(rows[1].glassix.is_empty());
        let teams = team_rows(std::slice::from_ref(&team), &admins, Some(&d));
        assert_eq!(teams[0].emails, "bob@x.test, admin 9");
        assert_eq!(teams[0].glassix, ["department Sales (d1)"]);
        let text = table(&rows, "e-mail");
        assert!(
            text.contains("ann@x.test") && text.contains("Bob"),
            "{text}"
        );
    }
}
