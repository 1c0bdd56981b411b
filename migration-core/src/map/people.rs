//! Agents → admins (by e-mail) and departments → teams (by name path). Neither can be created
//! through the Intercom API, so what does not match goes to a [`ProvisioningList`] for a person
//! to create by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use glassix_client::models::{User, UserType};
use intercom_client::models::{Admin, Team};
use serde::{Deserialize, Serialize};

use super::context::{Directory, guid_key};

/// Finds the Intercom admin for a Glassix agent. Replace it to match on something else than
/// the e-mail (a mapping table, a domain change…).
pub trait AgentMatcher: Send + Sync {
    /// The matching admin's id, or `None`.
    fn match_agent(&self, user: &User, admins: &[Admin]) -> Option<String>;
}

/// Finds the Intercom team for a Glassix department.
pub trait DepartmentMatcher: Send + Sync {
    /// The matching team's id, or `None`. `path` is the flattened name path
    /// (`"Support / Billing"` for a nested department).
    fn match_department(&self, department_id: &str, path: &str, teams: &[Team]) -> Option<String>;
}

/// Default agent matcher: the admin whose e-mail equals the agent's `UserName`,
/// case-insensitively, ignoring surrounding white space.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailAgentMatcher;

impl AgentMatcher for EmailAgentMatcher {
    fn match_agent(&self, user: &User, admins: &[Admin]) -> Option<String> {
        let email = user.user_name.trim().to_lowercase();
        if email.is_empty() {
            return None;
        }
        admins
            .iter()
            .find(|a| {
                a.email
                    .as_deref()
                    .is_some_and(|e| e.trim().to_lowercase() == email)
            })
            .map(|a| a.id.clone())
    }
}

/// Default department matcher: the team whose name equals the department's flattened name
/// path, case-insensitively, ignoring surrounding white space.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameDepartmentMatcher;

impl DepartmentMatcher for NameDepartmentMatcher {
    fn match_department(&self, _id: &str, path: &str, teams: &[Team]) -> Option<String> {
        let want = path.trim().to_lowercase();
        teams
            .iter()
            .find(|t| {
                t.name
                    .as_deref()
                    .is_some_and(|n| n.trim().to_lowercase() == want)
            })
            .map(|t| t.id.clone())
    }
}

/// An agent to invite in Intercom by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentToProvision {
    /// Glassix user id.
    pub glassix_user_id: String,
    /// E-mail to invite.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Job title, if any.
    pub job_title: String,
}

/// A department to create as an Intercom team by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentToProvision {
    /// Glassix department id.
    pub department_id: String,
    /// The team name to create (the flattened name path).
    pub team_name: String,
}

/// Agents and departments to create by hand in Intercom (admins and teams cannot be created
/// through the API). Records that need them are queued until they exist, unless a fallback admin
/// or team is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningList {
    /// Agents without an admin.
    pub agents: Vec<AgentToProvision>,
    /// Departments without a team.
    pub departments: Vec<DepartmentToProvision>,
}

impl ProvisioningList {
    /// The list from the two resolutions: agents without an admin, departments without a team.
    pub fn from_resolutions(
        agents: &AgentResolution,
        departments: &[DepartmentToProvision],
    ) -> Self {
        ProvisioningList {
            agents: agents.to_provision.clone(),
            departments: departments.to_vec(),
        }
    }

    /// Whether nothing needs provisioning.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty() && self.departments.is_empty()
    }

    /// A Markdown checklist for the person who creates them.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# To create by hand in Intercom\n\n");
        if self.is_empty() {
            out.push_str("Nothing: every agent and department has a match.\n");
            return out;
        }
        if !self.agents.is_empty() {
            out.push_str("## Teammates (Settings → Teammates → Invite)\n\n");
            for a in &self.agents {
                let _ = write!(out, "- [ ] {} <{}>", a.name, a.email);
                if !a.job_title.is_empty() {
                    let _ = write!(out, " ({})", a.job_title);
                }
                let _ = writeln!(out, " — Glassix user `{}`", a.glassix_user_id);
            }
            out.push('\n');
        }
        if !self.departments.is_empty() {
            out.push_str("## Teams (Settings → Teams)\n\n");
            for d in &self.departments {
                let _ = writeln!(
                    out,
                    "- [ ] {} — Glassix department `{}`",
                    d.team_name, d.department_id
                );
            }
            out.push('\n');
        }
        out.push_str(
            "Then run the migration again: the queued records that needed them are retried.\n",
        );
        out
    }
}

/// The outcome of matching agents to admins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentResolution {
    /// Admin id by Glassix user id (agents only).
    pub admins_by_user: BTreeMap<String, String>,
    /// Admin id by lower-case e-mail, for every Intercom admin (owners and KB authors are
    /// sometimes known by e-mail only).
    pub admins_by_email: BTreeMap<String, String>,
    /// Bot and API users (never provisioned; their messages are authored by the acting admin).
    pub bot_users: Vec<String>,
    /// Agents to invite.
    pub to_provision: Vec<AgentToProvision>,
}

/// Matches every Glassix user to an Intercom admin with `matcher`. Bots and API users are not
/// matched and never provisioned; agents without a match are listed for provisioning.
pub fn resolve_agents(
    matcher: &dyn AgentMatcher,
    users: &[User],
    admins: &[Admin],
) -> AgentResolution {
    let mut out = AgentResolution::default();
    for a in admins {
        if let Some(e) = a.email.as_deref().map(|e| e.trim().to_lowercase()) {
            if !e.is_empty() {
                out.admins_by_email.entry(e).or_insert_with(|| a.id.clone());
            }
        }
    }
    for u in users {
        let id = guid_key(u.id);
        if matches!(u.kind, UserType::Bot | UserType::Api) {
            out.bot_users.push(id);
            continue;
        }
        match matcher.match_agent(u, admins) {
            Some(admin) => {
                out.admins_by_user.insert(id, admin);
            }
            None => out.to_provision.push(AgentToProvision {
                glassix_user_id: id,
                email: u.user_name.trim().to_owned(),
                name: if u.full_name.trim().is_empty() {
                    u.short_name.clone()
                } else {
                    u.full_name.clone()
                },
                job_title: u.job_title.clone(),
            }),
        }
    }
    out
}

/// Matches every configured department (in `directory.departments`) to a team with `matcher`,
/// by flattened name path. Returns team ids by department id and the departments to create.
pub fn resolve_departments(
    matcher: &dyn DepartmentMatcher,
    directory: &Directory,
    teams: &[Team],
) -> (BTreeMap<String, String>, Vec<DepartmentToProvision>) {
    let mut matched = BTreeMap::new();
    let mut missing = Vec::new();
    for id in directory.departments.keys() {
        let Some(path) = directory.department_path(id) else {
            continue;
        };
        match matcher.match_department(id, &path, teams) {
            Some(team) => {
                matched.insert(id.clone(), team);
            }
            None => missing.push(DepartmentToProvision {
                department_id: id.clone(),
                team_name: path,
            }),
        }
    }
    (matched, missing)
}

impl Directory {
    /// Stores the team ids returned by [`resolve_departments`].
    pub fn apply_teams(&mut self, teams_by_department: &BTreeMap<String, String>) {
        self.teams_by_department.extend(
            teams_by_department
                .iter()
                .map(|(d, t)| (guid_key(d), t.clone())),
        );
    }

    /// Stores an [`AgentResolution`] (admins by user and e-mail, bot users).
    pub fn apply_agents(&mut self, r: &AgentResolution) {
        self.admins_by_user.extend(r.admins_by_user.clone());
        self.admins_by_email.extend(r.admins_by_email.clone());
        self.bot_users.extend(r.bot_users.iter().cloned());
    }
}
