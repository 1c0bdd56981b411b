//! `GET /me`, `/admins`, `/teams`.

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{Admin, AdminList, Me, Team, TeamList};

/// Admins and teams (read-only: they are created in the Intercom UI).
#[derive(Debug, Clone)]
pub struct Admins {
    pub(crate) client: Client,
}

impl Admins {
    /// `GET /me`: checks the token, region and workspace.
    pub async fn me(&self) -> Result<Me> {
        self.client.execute(Req::get(&["me"])).await
    }
    /// `GET /admins`.
    pub async fn list(&self) -> Result<Vec<Admin>> {
        let list: AdminList = self.client.execute(Req::get(&["admins"])).await?;
        Ok(list.admins)
    }
    /// `GET /admins/{id}`.
    pub async fn get(&self, admin_id: &str) -> Result<Admin> {
        self.client.execute(Req::get(&["admins", admin_id])).await
    }
    /// `GET /teams`.
    pub async fn list_teams(&self) -> Result<Vec<Team>> {
        let list: TeamList = self.client.execute(Req::get(&["teams"])).await?;
        Ok(list.teams)
    }
    /// `GET /teams/{id}`.
    pub async fn get_team(&self, team_id: &str) -> Result<Team> {
        self.client.execute(Req::get(&["teams", team_id])).await
    }
}
