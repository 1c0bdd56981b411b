//! What every task of a run shares: the clients, the writer, the spec, the ledger, the mappers,
//! and what earlier steps resolved (the directory of admins, teams, tags, the ticket type …).
//! The bottom of `execute/`: it imports no other step module.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::intercom_schema::Attributes;
use crate::ledger::{Ledger, RunId};
use crate::map::{
    AttributeModel, Directory, KnowledgeBaseExport, Mappers, ResolvedContact, StateCategory,
};
use crate::outcome::Failure;
use crate::spec::MappingSpec;

use super::target::Target;
use super::writer::Writer;

/// The shared state of one run.
pub(crate) struct RunState {
    pub(crate) glassix: glassix_client::Client,
    /// For reads (listings, look-ups); writes go through [`RunState::writer`].
    pub(crate) intercom: intercom_client::Client,
    pub(crate) writer: Writer,
    pub(crate) spec: Arc<MappingSpec>,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) mappers: Arc<Mappers>,
    pub(crate) run: RunId,
    pub(crate) target: Target,
    /// The ledger knew nothing while Intercom holds objects this migration made: every create is
    /// preceded by a look-up, and what is found is adopted (see `adopt`).
    pub(crate) adopt: bool,
    /// `recover`: nothing is created; a record not found in Intercom is skipped as
    /// `not_in_intercom` (a later `migrate` creates it).
    pub(crate) recovering: bool,
    /// Admins, teams, tags, ticket type: everything but contacts (small; cloned per ticket).
    directory: RwLock<Directory>,
    /// Contacts handled in this run (source id → how), so each is mapped once.
    contacts: Mutex<HashMap<String, ContactState>>,
    /// Customers merged by e-mail (case / white space): the survivor of each group, by merge
    /// key (see `map::email_key`), as handled in this run.
    survivors: Mutex<HashMap<String, Survivor>>,
    /// One lock per contact or tag being created, so two tickets create it once.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// What Intercom had of the schema when the run started (read in preflight).
    schema: Mutex<ExistingSchema>,
    /// The knowledge-base sources, read by the collections step for the articles step.
    knowledge: Mutex<Option<Arc<KnowledgeSources>>>,
    /// Attribute definitions that are not settled in Intercom (their create failed), by model,
    /// lower-case names: values are not sent to them in this run.
    unsettled: Mutex<BTreeSet<(AttributeModel, String)>>,
    /// Listing watermarks, changes by section, tickets changed during the run.
    pub(crate) delta: super::delta::DeltaState,
}

/// How a contact was handled in this run.
#[derive(Debug, Clone)]
pub(crate) enum ContactState {
    /// It has an Intercom contact.
    Resolved(ResolvedContact),
    /// Queued or skipped (its tickets are queued by the mapper, naming it).
    Held,
    /// It failed; its tickets fail with it, and the next run retries them all.
    Failed(Failure),
}

/// The member of a group of customers with the same e-mail (after trimming white space and
/// lower-casing) whose Intercom contact the group shares: the first member created in the run.
#[derive(Debug, Clone)]
pub(crate) struct Survivor {
    /// Its contact source id.
    pub(crate) source_id: String,
    /// Its Intercom contact.
    pub(crate) contact: ResolvedContact,
    /// The group's earliest `signed_up_at` so far (what the contact carries).
    pub(crate) signed_up_at: Option<i64>,
    /// Whether the contact has an e-mail address.
    pub(crate) has_email: bool,
}

/// The Intercom schema found at the start of the run.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExistingSchema {
    pub(crate) contact: Attributes,
    pub(crate) conversation: Attributes,
    /// The migration ticket type, if it exists: its id and its attributes.
    pub(crate) ticket_type: Option<(String, Attributes)>,
    /// Whether that ticket type is archived (e.g. by a rollback): tickets cannot be created
    /// with it until it is restored.
    pub(crate) ticket_type_archived: bool,
    /// Archived contact data attributes (e.g. by a rollback), by lower-cased name: their
    /// Intercom ids. Intercom keeps the name taken, so such an attribute is restored, not
    /// created again.
    pub(crate) archived_contact: BTreeMap<String, String>,
}

/// What the knowledge-base steps migrate: the export's collections and articles, and the
/// canned replies that become articles.
#[derive(Debug, Default)]
pub(crate) struct KnowledgeSources {
    pub(crate) export: Option<KnowledgeBaseExport>,
    pub(crate) canned: Vec<glassix_client::models::CannedReply>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RunState {
    /// A run's state before any step ran.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        glassix: glassix_client::Client,
        intercom: intercom_client::Client,
        writer: Writer,
        spec: Arc<MappingSpec>,
        ledger: Arc<Ledger>,
        mappers: Arc<Mappers>,
        run: RunId,
        adopt: bool,
        recovering: bool,
    ) -> Self {
        let target = Target::of(&spec);
        RunState {
            glassix,
            intercom,
            writer,
            spec,
            ledger,
            mappers,
            run,
            target,
            adopt: adopt || recovering,
            recovering,
            directory: RwLock::new(Directory::default()),
            contacts: Mutex::new(HashMap::new()),
            survivors: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
            schema: Mutex::new(ExistingSchema::default()),
            knowledge: Mutex::new(None),
            unsettled: Mutex::new(BTreeSet::new()),
            delta: Default::default(),
        }
    }

    /// A copy of the directory as it stands.
    pub(crate) fn directory(&self) -> Directory {
        self.directory
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The state a new ticket of the migration's ticket type starts in: the type's state of
    /// category *submitted* (as `map` picks it), if known.
    pub(crate) fn submitted_state(&self) -> Option<String> {
        self.directory
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .ticket_type
            .as_ref()
            .and_then(|t| t.states.get(&StateCategory::Submitted).cloned())
    }

    /// Changes the directory.
    pub(crate) fn update_directory(&self, f: impl FnOnce(&mut Directory)) {
        f(&mut self
            .directory
            .write()
            .unwrap_or_else(PoisonError::into_inner));
    }

    /// Contact `sid` as handled earlier in this run.
    pub(crate) fn cached_contact(&self, sid: &str) -> Option<ContactState> {
        lock(&self.contacts).get(sid).cloned()
    }

    /// Remembers how contact `sid` was handled.
    pub(crate) fn remember_contact(&self, sid: &str, contact: ContactState) {
        lock(&self.contacts).insert(sid.to_owned(), contact);
    }

    /// The survivor of the customers with merge key `key`, if one was created in this run.
    pub(crate) fn survivor(&self, key: &str) -> Option<Survivor> {
        lock(&self.survivors).get(key).cloned()
    }

    /// Records (or updates) the survivor of the customers with merge key `key`.
    pub(crate) fn set_survivor(&self, key: &str, survivor: Survivor) {
        lock(&self.survivors).insert(key.to_owned(), survivor);
    }

    /// Marks attribute `name` of `model` as not settled in Intercom.
    pub(crate) fn mark_unsettled(&self, model: AttributeModel, name: &str) {
        lock(&self.unsettled).insert((model, name.to_lowercase()));
    }

    /// Whether any attribute definition is not settled in Intercom.
    pub(crate) fn has_unsettled(&self) -> bool {
        !lock(&self.unsettled).is_empty()
    }

    /// Whether attribute `name` of `model` is not settled in Intercom.
    pub(crate) fn is_unsettled(&self, model: AttributeModel, name: &str) -> bool {
        let set = lock(&self.unsettled);
        !set.is_empty() && set.contains(&(model, name.to_lowercase()))
    }

    /// Forgets the contacts that failed in this run, so that their next ticket tries them again.
    pub(crate) fn forget_failed_contacts(&self) {
        lock(&self.contacts).retain(|_, c| !matches!(c, ContactState::Failed(_)));
    }

    /// The lock of one object being created (`contact:<sid>`, `tag:<name>`).
    pub(crate) fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.locks).entry(key.to_owned()).or_default().clone()
    }

    /// The schema Intercom had when the run started.
    pub(crate) fn schema(&self) -> ExistingSchema {
        lock(&self.schema).clone()
    }

    /// Changes the recorded schema.
    pub(crate) fn update_schema(&self, f: impl FnOnce(&mut ExistingSchema)) {
        f(&mut lock(&self.schema));
    }

    /// The knowledge-base sources read by the collections step.
    pub(crate) fn knowledge(&self) -> Option<Arc<KnowledgeSources>> {
        lock(&self.knowledge).clone()
    }

    /// Keeps the knowledge-base sources for the articles step.
    pub(crate) fn set_knowledge(&self, k: KnowledgeSources) {
        *lock(&self.knowledge) = Some(Arc::new(k));
    }
}
