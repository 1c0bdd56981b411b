//! Preflight: read admins, teams and agents, match agents to admins and departments to teams.

use std::sync::Arc;

use crate::map::{Department, guid_key, resolve_agents, resolve_departments};
use crate::progress::{ProgressEvent, ProgressSender};

use super::{Exec, ExecResult};

/// Fills the shared directory with admins, the acting admin, bots and teams.
pub(crate) async fn run(
    ex: &Arc<Exec>,
    departments: &[Department],
    progress: &ProgressSender,
) -> ExecResult<()> {
    let started = tokio::time::Instant::now();
    progress.send(ProgressEvent::StepStarted {
        step: "preflight".to_owned(),
        total: None,
    });
    let admins_api = ex.intercom.admins();
    let admins = admins_api.list().await?;
    let teams = admins_api.list_teams().await?;
    let me = admins_api.me().await?;
    let mut users = Vec::new();
    for dept in ex.glassix.departments() {
        users.extend(dept.users().await?);
    }
    let agents = resolve_agents(ex.mappers.agents.as_ref(), &users, &admins);
    ex.update_directory(|d| {
        d.apply_agents(&agents);
        d.acting_admin = Some(me.admin.id.clone());
        for dep in departments {
            let key = guid_key(&dep.id);
            d.departments.insert(
                key.clone(),
                Department {
                    id: key,
                    name: dep.name.clone(),
                    parent_id: dep.parent_id.as_deref().map(guid_key),
                },
            );
        }
    });
    let directory = ex.directory();
    let (teams_by_department, _missing) =
        resolve_departments(ex.mappers.departments.as_ref(), &directory, &teams);
    ex.update_directory(|d| d.teams_by_department.extend(teams_by_department));
    progress.send(ProgressEvent::StepFinished {
        step: "preflight".to_owned(),
        counts: crate::accounting::RunCounts::default(),
        elapsed: started.elapsed(),
    });
    Ok(())
}
