//! Owner → admin assignee, department → team assignee.

use glassix_client::models::Ticket;

use crate::map::context::{MapContext, guid_key};
use crate::map::outcome::{FieldNote, MapReason, ReasonCode};
use crate::spec::DepartmentPolicy;

/// The admin the ticket is assigned to: its owner's admin; a bot owner leaves it unassigned;
/// an unmatched owner goes to the fallback admin or queues the ticket.
pub(super) fn admin_assignee(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    fallback: Option<&str>,
    notes: &mut Vec<FieldNote>,
) -> Result<Option<String>, MapReason> {
    let Some(owner) = ticket.owner.as_ref().filter(|o| o.id.is_some()) else {
        return Ok(None);
    };
    let id = owner.id.map(guid_key);
    if id.as_deref().is_some_and(|u| ctx.directory.is_bot(u)) {
        notes.push(FieldNote::info(
            "owner",
            format!("owned by bot `{}`: left unassigned", owner.user_name),
        ));
        return Ok(None);
    }
    if let Some(a) = ctx.directory.admin_for(id.as_deref(), &owner.user_name) {
        return Ok(Some(a.to_owned()));
    }
    match fallback {
        Some(f) => {
            notes.push(FieldNote::warning(
                "owner",
                format!(
                    "owner <{}> has no Intercom admin: assigned to the fallback admin",
                    owner.user_name
                ),
            ));
            Ok(Some(f.to_owned()))
        }
        None => Err(MapReason::new(
            ReasonCode::UnmatchedAgent,
            format!(
                "owner <{}> has no Intercom admin with that e-mail; invite them (see the \
                 provisioning list) or set a fallback_admin, then run again",
                owner.user_name
            ),
        )
        .with_field("owner.UserName")),
    }
}

/// The team of the ticket's department; unmatched → the fallback team or a queue reason.
pub(super) fn team_assignee(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> Result<Option<String>, MapReason> {
    let department = guid_key(ticket.department_id);
    if let Some(t) = ctx.directory.team_for(&department) {
        return Ok(Some(t.to_owned()));
    }
    match &ctx.spec.policies.unmatched_department {
        DepartmentPolicy::FallbackTeam(t) => {
            notes.push(FieldNote::warning(
                "departmentId",
                "the department has no Intercom team: assigned to the fallback team",
            ));
            Ok(Some(t.clone()))
        }
        DepartmentPolicy::Queue => Err(MapReason::new(
            ReasonCode::UnmatchedDepartment,
            format!(
                "department `{}` has no Intercom team of the same name; create it (see the \
                 provisioning list) or set a fallback_team, then run again",
                ctx.directory
                    .department_path(&department)
                    .unwrap_or(department.clone())
            ),
        )
        .with_field("departmentId")),
    }
}
