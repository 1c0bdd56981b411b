//! One handler per resource, reached from [`Client`]: `client.contacts()`, …

pub mod admins;
pub mod attributes;
pub mod contacts;
pub mod conversations;
pub mod help_center;
pub mod tags;
pub mod ticket_types;
pub mod tickets;

use crate::Client;

impl Client {
    /// Admins, teams and `GET /me` (read-only).
    pub fn admins(&self) -> admins::Admins {
        admins::Admins {
            client: self.clone(),
        }
    }
    /// Contacts and contact notes.
    pub fn contacts(&self) -> contacts::Contacts {
        contacts::Contacts {
            client: self.clone(),
        }
    }
    /// Conversations.
    pub fn conversations(&self) -> conversations::Conversations {
        conversations::Conversations {
            client: self.clone(),
        }
    }
    /// Tickets.
    pub fn tickets(&self) -> tickets::Tickets {
        tickets::Tickets {
            client: self.clone(),
        }
    }
    /// Ticket types, their attributes, ticket states.
    pub fn ticket_types(&self) -> ticket_types::TicketTypes {
        ticket_types::TicketTypes {
            client: self.clone(),
        }
    }
    /// Tags, and tagging of contacts, conversations and tickets.
    pub fn tags(&self) -> tags::Tags {
        tags::Tags {
            client: self.clone(),
        }
    }
    /// Data attributes and conversation attributes.
    pub fn attributes(&self) -> attributes::Attributes {
        attributes::Attributes {
            client: self.clone(),
        }
    }
    /// Help centers, collections and articles.
    pub fn help_center(&self) -> help_center::HelpCenterApi {
        help_center::HelpCenterApi {
            client: self.clone(),
        }
    }
}
