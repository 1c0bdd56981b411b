//! Mappers: pure functions from Glassix records (plus a [`MapContext`]) to Intercom requests.
//!
//! Nothing here does I/O. Each mapper returns a [`Mapped`]: `Write` (the request or plan, with
//! field-level [`FieldNote`]s for anything lossy), `Queue` (a typed [`MapReason`] saying what
//! to fix) or `Skip` (a rule with its reason). The executor extracts, calls the mappers, writes
//! through `intercom-client` in the order the plans give, and records everything in the ledger.
//!
//! | Glassix | Intercom | Where |
//! |---|---|---|
//! | customers (through ticket participants) | contacts | [`ContactCollector`], [`ContactMapper`] |
//! | agents | admins, by e-mail (or the [`ProvisioningList`]) | [`resolve_agents`] |
//! | departments | teams, by name path (or the [`ProvisioningList`]) | [`resolve_departments`] |
//! | tickets and transactions | tickets or conversations with parts | [`TicketMapper`], [`TicketPlan`] |
//! | custom fields, metrics, CSAT | typed attributes | [`attribute_definitions`] |
//! | knowledge base, canned replies | collections and articles | [`plan_collections`], [`ArticleMapper`] |
//! | chatbots, workflows | an inventory to rebuild by hand | [`InventoryBuilder`] |
//!
//! Every default mapper can be replaced or wrapped:
//!
//! ```
//! use migration_core::map::{
//!     DefaultTicketMapper, FieldNote, MapContext, Mapped, Mappers, TicketMapper, TicketPlan,
//! };
//!
//! /// Wraps the default and prefixes every title.
//! struct Prefixed(DefaultTicketMapper);
//!
//! impl TicketMapper for Prefixed {
//!     fn map_ticket(
//!         &self,
//!         ticket: &glassix_client::Ticket,
//!         ctx: &MapContext<'_>,
//!     ) -> Mapped<TicketPlan> {
//!         match self.0.map_ticket(ticket, ctx) {
//!             Mapped::Write { mut value, mut notes } => {
//!                 if let Some(update) = value.finish.conversation_update.as_mut() {
//!                     update.title = update.title.take().map(|t| format!("[Glassix] {t}"));
//!                 }
//!                 notes.push(FieldNote::info("field1", "title prefixed"));
//!                 Mapped::Write { value, notes }
//!             }
//!             other => other,
//!         }
//!     }
//! }
//!
//! let mappers = Mappers::default().with_tickets(Prefixed(DefaultTicketMapper));
//! # let _ = mappers;
//! ```

mod attributes;
mod body;
mod contact;
mod context;
mod inventory;
mod knowledge;
mod outcome;
mod people;
mod ticket;

#[cfg(test)]
mod tests;

pub use attributes::{
    ATTR_AGENT_MESSAGES, ATTR_AVG_RESPONSE_NET, ATTR_CHANNEL, ATTR_CHANNEL_PREFERENCE, ATTR_CSAT,
    ATTR_CSAT_COMMENT, ATTR_CUSTOMER_MESSAGES, ATTR_DEPARTMENT, ATTR_DURATION, ATTR_DURATION_NET,
    ATTR_FIRST_RESPONSE, ATTR_FIRST_RESPONSE_NET, ATTR_ORIGINAL_ID, ATTR_QUEUE_TIME,
    ATTR_RESOLUTION, ATTR_TICKET_ID, AttributeDefinition, AttributeModel, TagRef,
    attribute_definitions, ticket_attribute_model,
};
pub use body::html_to_text;
pub use contact::{
    CollectedContact, ContactCollector, ContactKey, ContactLookup, ContactMapper, ContactPlan,
    ContactSource, DefaultContactMapper, IdentifierUse, email_key, identifier_use, normalize_phone,
};
pub use context::{
    Department, Directory, MapContext, ResolvedContact, StateCategory, TicketTypeInfo, guid_key,
};
pub use inventory::{
    AutomationExport, CannedEntry, ExportBotCard, ExportChatbot, ExportWorkflow, FlowEntry,
    IntercomEquivalent, Inventory, InventoryBuilder, Recommendation, WorkflowEntry, recommend_flow,
    recommend_workflow,
};
pub use knowledge::{
    AUTOMATION_FORMAT, ArticleMapper, ArticlePlan, CANNED_REPLIES_COLLECTION, CollectionPlan,
    DefaultArticleMapper, KB_FORMAT, KbArticle, KbCategory, KnowledgeBaseExport, plan_collections,
};
pub use outcome::{FieldNote, MapReason, Mapped, ReasonCode, Severity};
pub use people::{
    AgentMatcher, AgentResolution, AgentToProvision, DepartmentMatcher, DepartmentToProvision,
    EmailAgentMatcher, NameDepartmentMatcher, ProvisioningList, resolve_agents,
    resolve_departments,
};
pub use ticket::{
    ATTACHMENTS_PER_PART, AttachmentRef, CreateRequest, DefaultTicketMapper, Finish, PartAuthor,
    PartKind, PartPlan, PlanFlag, READABLE_PART_LIMIT, TargetState, TicketMapper, TicketPlan,
};

/// The mappers a migration uses, one per object kind. `Mappers::default()` holds the default
/// implementations; replace any with the `with_*` methods (a replacement may wrap the default).
pub struct Mappers {
    /// Customers → contacts.
    pub contacts: Box<dyn ContactMapper>,
    /// Tickets → tickets or conversations.
    pub tickets: Box<dyn TicketMapper>,
    /// Knowledge-base articles and canned replies → articles.
    pub articles: Box<dyn ArticleMapper>,
    /// Agents → admins.
    pub agents: Box<dyn AgentMatcher>,
    /// Departments → teams.
    pub departments: Box<dyn DepartmentMatcher>,
}

impl Default for Mappers {
    fn default() -> Self {
        Mappers {
            contacts: Box::new(DefaultContactMapper),
            tickets: Box::new(DefaultTicketMapper),
            articles: Box::new(DefaultArticleMapper),
            agents: Box::new(EmailAgentMatcher),
            departments: Box::new(NameDepartmentMatcher),
        }
    }
}

impl std::fmt::Debug for Mappers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mappers").finish_non_exhaustive()
    }
}

impl Mappers {
    /// Replaces the contact mapper.
    pub fn with_contacts(mut self, m: impl ContactMapper + 'static) -> Self {
        self.contacts = Box::new(m);
        self
    }

    /// Replaces the ticket mapper.
    pub fn with_tickets(mut self, m: impl TicketMapper + 'static) -> Self {
        self.tickets = Box::new(m);
        self
    }

    /// Replaces the article mapper.
    pub fn with_articles(mut self, m: impl ArticleMapper + 'static) -> Self {
        self.articles = Box::new(m);
        self
    }

    /// Replaces the agent matcher.
    pub fn with_agents(mut self, m: impl AgentMatcher + 'static) -> Self {
        self.agents = Box::new(m);
        self
    }

    /// Replaces the department matcher.
    pub fn with_departments(mut self, m: impl DepartmentMatcher + 'static) -> Self {
        self.departments = Box::new(m);
        self
    }
}
