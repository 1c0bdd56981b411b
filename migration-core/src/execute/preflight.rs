//! Preflight: read admins, teams and agents, match agents to admins and departments to teams,
//! and read what Intercom already has of the schema the run writes.

use crate::intercom_schema;
use crate::map::{Department, guid_key, resolve_agents, resolve_departments};
use crate::plan::StepId;
use crate::spec::KnownDepartment;

use super::error::ExecResult;
use super::recorder::Recorder;
use super::state::{ExistingSchema, RunState};
use super::target::Target;

/// Fills the shared directory with admins, the acting admin, bots and teams, and the run's
/// view of the existing schema.
pub(crate) async fn run(
    st: &RunState,
    rec: &mut Recorder,
    departments: &[Department],
) -> ExecResult<()> {
    rec.start(StepId::Preflight, None, None);
    // Department-scoped field rules must name departments of this migration, before any
    // record is mapped (an unknown name would silently leave a field unwritten).
    let keys: Vec<String> = departments.iter().map(|d| guid_key(&d.id)).collect();
    let known: Vec<KnownDepartment<'_>> = departments
        .iter()
        .zip(&keys)
        .map(|(d, key)| KnownDepartment {
            key,
            name: Some(d.name.as_str()),
        })
        .collect();
    st.spec.check_departments(&known)?;
    let admins_api = st.intercom.admins();
    let admins = admins_api.list().await?;
    let teams = admins_api.list_teams().await?;
    let me = admins_api.me().await?;
    let mut users = Vec::new();
    for dept in st.glassix.departments() {
        users.extend(dept.users().await?);
    }
    let agents = resolve_agents(st.mappers.agents.as_ref(), &users, &admins);
    st.update_directory(|d| {
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
    let directory = st.directory();
    let (teams_by_department, _missing) =
        resolve_departments(st.mappers.departments.as_ref(), &directory, &teams);
    st.update_directory(|d| d.teams_by_department.extend(teams_by_department));

    let mut schema = ExistingSchema {
        contact: intercom_schema::contact_attributes(&st.intercom).await?,
        archived_contact: intercom_schema::archived_contact_attributes(&st.intercom).await?,
        ..Default::default()
    };
    match st.target {
        Target::Conversations => {
            schema.conversation = intercom_schema::conversation_attributes(&st.intercom).await?;
        }
        Target::Tickets => {
            let name = &st.spec.objects.ticket_type;
            if let Some(t) = intercom_schema::find_ticket_type(&st.intercom, name).await? {
                let attrs = intercom_schema::ticket_type_attributes(&st.intercom, &t.id).await?;
                schema.ticket_type_archived = t.archived == Some(true);
                schema.ticket_type = Some((t.id, attrs));
            }
        }
    }
    st.update_schema(|s| *s = schema);
    rec.finish(StepId::Preflight);
    Ok(())
}
