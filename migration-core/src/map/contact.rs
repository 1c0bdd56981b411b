//! Customers → Intercom contacts, and the collector that finds customers through tickets
//! (Glassix has no contact listing).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use glassix_client::models::{Contact, IdentifierType, Participant, ProtocolType, Ticket};
use intercom_client::models::{CreateContact, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attributes::{
    ATTR_CHANNEL_PREFERENCE, ATTR_ORIGINAL_ID, TagRef, apply_rules, read_path, tag_refs,
};
use super::context::{MapContext, guid_key};
use super::outcome::{FieldNote, MapReason, Mapped, ReasonCode};
use crate::spec::{MissingEmailPolicy, TargetModel};

/// How a customer is identified across tickets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContactKey {
    /// A Glassix contact id (normalised with [`guid_key`]).
    Id(String),
    /// A customer participant without a contact id (zero GUID), keyed by its address
    /// (lower-case, trimmed): the same address in many tickets is one person.
    Identifier(String),
}

impl ContactKey {
    /// The key of a customer participant; `None` for agents, the system, and customers with
    /// neither a contact id nor an address.
    pub fn for_participant(p: &Participant) -> Option<ContactKey> {
        if !p.is_client() {
            return None;
        }
        if let Some(id) = p.contact_id {
            return Some(ContactKey::Id(guid_key(id)));
        }
        let ident = p.identifier.trim().to_lowercase();
        (!ident.is_empty()).then_some(ContactKey::Identifier(ident))
    }

    /// Every customer participant a ticket's mapping refers to, with its key: the ticket's
    /// customer participants, then the authors of its messages (Glassix keeps the author's
    /// participant record on each message, which can name a contact not listed among the
    /// ticket's participants, e.g. one merged into the ticket's customer later). A key can come
    /// more than once. The one list of customers a ticket needs: the executor resolves exactly
    /// these before mapping, and the ticket mapper looks up only these.
    pub fn customers_of(ticket: &Ticket) -> impl Iterator<Item = (ContactKey, &Participant)> {
        let authors = ticket
            .transactions()
            .iter()
            .filter_map(|t| t.from_participant.as_ref());
        ticket
            .participants
            .iter()
            .chain(authors)
            .filter_map(|p| ContactKey::for_participant(p).map(|k| (k, p)))
    }

    /// The source id used in the ledger and in [`Directory::contacts`](super::Directory::contacts):
    /// the GUID, or `identifier:<address>`.
    pub fn source_id(&self) -> String {
        match self {
            ContactKey::Id(id) => id.clone(),
            ContactKey::Identifier(i) => format!("identifier:{i}"),
        }
    }
}

/// A customer as seen through ticket participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectedContact {
    /// The key.
    pub key: ContactKey,
    /// Names seen, first first, without repeats.
    pub names: Vec<String>,
    /// Addresses seen, as `(channel, address)`.
    pub identifiers: BTreeSet<(String, String)>,
    /// Tickets per channel (the ticket's primary channel).
    pub channels: BTreeMap<String, u32>,
    /// Tickets the customer appears in.
    pub ticket_ids: Vec<i64>,
    /// Open time of the earliest ticket.
    pub first_seen: Option<DateTime<Utc>>,
}

impl CollectedContact {
    /// The source id ([`ContactKey::source_id`]).
    pub fn source_id(&self) -> String {
        self.key.source_id()
    }

    /// The channel used in most tickets (ties: alphabetical first).
    pub fn preferred_channel(&self) -> Option<&str> {
        self.channels
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(c, _)| c.as_str())
    }

    /// The Glassix contact id to fetch with `contacts/get`, if there is one.
    pub fn contact_id(&self) -> Option<&str> {
        match &self.key {
            ContactKey::Id(id) => Some(id),
            ContactKey::Identifier(_) => None,
        }
    }
}

/// Collects distinct customers from tickets, so each is fetched and created once however many
/// tickets it appears in. Pure: feed it tickets in any order, then read the contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactCollector {
    contacts: BTreeMap<ContactKey, CollectedContact>,
    order: Vec<ContactKey>,
}

impl ContactCollector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the customer participants of `ticket`.
    pub fn observe(&mut self, ticket: &Ticket) {
        let channel = ticket.primary_protocol_type.as_str().to_owned();
        let mut in_ticket = BTreeSet::new();
        for (key, p) in ContactKey::customers_of(ticket) {
            let entry = self.contacts.entry(key.clone()).or_insert_with(|| {
                self.order.push(key.clone());
                CollectedContact {
                    key: key.clone(),
                    names: Vec::new(),
                    identifiers: BTreeSet::new(),
                    channels: BTreeMap::new(),
                    ticket_ids: Vec::new(),
                    first_seen: None,
                }
            });
            let name = p.name.trim();
            if !name.is_empty() && !entry.names.iter().any(|n| n == name) {
                entry.names.push(name.to_owned());
            }
            let ident = p.identifier.trim();
            if !ident.is_empty() {
                entry
                    .identifiers
                    .insert((p.protocol_type.as_str().to_owned(), ident.to_owned()));
            }
            if in_ticket.insert(key) {
                *entry.channels.entry(channel.clone()).or_default() += 1;
                if !entry.ticket_ids.contains(&ticket.id) {
                    entry.ticket_ids.push(ticket.id);
                }
                if let Some(open) = ticket.open {
                    entry.first_seen = Some(entry.first_seen.map_or(open, |f| f.min(open)));
                }
            }
        }
    }

    /// Number of distinct customers.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no customer was seen.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The Glassix contact ids to fetch, in first-seen order.
    pub fn contact_ids_to_fetch(&self) -> Vec<String> {
        self.contacts()
            .filter_map(|c| c.contact_id().map(str::to_owned))
            .collect()
    }

    /// The customers in first-seen order.
    pub fn contacts(&self) -> impl Iterator<Item = &CollectedContact> {
        self.order.iter().filter_map(|k| self.contacts.get(k))
    }

    /// One customer by key.
    pub fn get(&self, key: &ContactKey) -> Option<&CollectedContact> {
        self.contacts.get(key)
    }
}

/// What the contact mapper receives: the customer as seen in tickets and, when it has a
/// contact id, the Glassix contact record.
#[derive(Debug, Clone, Copy)]
pub struct ContactSource<'a> {
    /// The customer as seen in tickets.
    pub seen: &'a CollectedContact,
    /// The Glassix contact (`contacts/get`), absent for customers without a contact id.
    pub contact: Option<&'a Contact>,
}

/// How the executor finds a contact that may exist already (a re-run, or a person created it):
/// try each in order before creating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContactLookup {
    /// `GET /contacts/find_by_external_id/{id}` (users only).
    ExternalId(String),
    /// `POST /contacts/search` on `email`.
    Email(String),
    /// `POST /contacts/search` on `custom_attributes.<name>`.
    CustomAttribute {
        /// Attribute name.
        name: String,
        /// Value.
        value: String,
    },
}

/// What to write for one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactPlan {
    /// Ledger source id ([`ContactKey::source_id`]).
    pub source_id: String,
    /// `POST /contacts` body.
    pub request: CreateContact,
    /// Tags to attach after creation.
    pub tags: Vec<TagRef>,
    /// How to find the contact if it exists already.
    pub lookups: Vec<ContactLookup>,
    /// The key that makes customers one person ([`email_key`]): customers with the same key
    /// share one Intercom contact (see `docs/mapping-reference.md`, "Customers merged by
    /// e-mail").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_key: Option<String>,
}

/// The identifiers (trimmed, lower-cased) that the customer's Glassix record marks deleted or
/// scrambled. The same address can still ride on the ticket's participants; it must not come
/// back through them as the contact's e-mail, phone or merge key.
fn withdrawn_identifiers(source: &ContactSource<'_>) -> BTreeSet<String> {
    source
        .contact
        .map(|c| {
            c.identifiers
                .iter()
                .filter(|i| i.is_deleted || i.is_scrambled)
                .map(|i| i.identifier.trim().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `identifier` is one of `withdrawn` (see [`withdrawn_identifiers`]).
fn is_withdrawn(withdrawn: &BTreeSet<String>, identifier: &str) -> bool {
    withdrawn.contains(&identifier.trim().to_lowercase())
}

/// The key under which customers are the same person: the customer's e-mail address with
/// surrounding white space removed and lower-cased, when so normalised it is a valid address —
/// from its Glassix record's not deleted, not scrambled e-mail identifiers (the most recently
/// used first), else from the addresses its ticket participants carry. Only a key: the address
/// written to Intercom is never normalised (see [`DefaultContactMapper`]).
pub fn email_key(source: &ContactSource<'_>) -> Option<String> {
    let normalised = |s: &str| {
        let k = s.trim().to_lowercase();
        looks_like_email(&k).then_some(k)
    };
    if let Some(c) = source.contact {
        let mut mails: Vec<_> = c
            .identifiers
            .iter()
            .filter(|i| i.identifier_type == IdentifierType::MailAddress)
            .filter(|i| !i.is_deleted && !i.is_scrambled)
            .collect();
        mails.sort_by_key(|i| std::cmp::Reverse(i.last_accessed));
        if let Some(k) = mails.iter().find_map(|i| normalised(&i.identifier)) {
            return Some(k);
        }
    }
    let withdrawn = withdrawn_identifiers(source);
    source
        .seen
        .identifiers
        .iter()
        .filter(|(_, i)| i.contains('@') && !is_withdrawn(&withdrawn, i))
        .find_map(|(_, i)| normalised(i))
}

/// Maps a customer to an Intercom contact. Replace or wrap it through
/// [`Mappers`](super::Mappers).
pub trait ContactMapper: Send + Sync {
    /// Maps one customer.
    fn map_contact(&self, source: ContactSource<'_>, ctx: &MapContext<'_>) -> Mapped<ContactPlan>;
}

/// The default contact mapper (see `docs/mapping-reference.md`, "Contacts").
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultContactMapper;

/// Normalises a phone number to E.164 (`+` and 8–15 digits). Glassix writes numbers as
/// international digits without `+`; spaces, dashes, dots, brackets and a leading `00` are
/// accepted. `None` when the result cannot be an international number.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().any(|c| c.is_alphabetic() || c == '@') {
        return None;
    }
    let mut digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !raw.starts_with('+') {
        if let Some(rest) = digits.strip_prefix("00") {
            digits = rest.to_owned();
        }
    }
    let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// Whether `s` is, as it stands (no trimming), a syntactically valid e-mail address in the
/// sense of `format: email`: one `@`; a local part of printable characters without white
/// space, not starting or ending with `.` and without `..`; a domain of at least two labels of
/// letters, digits and `-` (not at a label's ends), the last one of letters, at least two.
pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"@()<>[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// What a customer participant's identifier can identify the contact by in Intercom, judged
/// as [`DefaultContactMapper`] judges participant identifiers: an e-mail address valid as it
/// stands, a usable international phone number on a phone channel, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IdentifierUse {
    /// A valid e-mail address (as it stands: not trimmed, not lower-cased).
    Email,
    /// A phone number [`normalize_phone`] accepts, on a phone channel.
    Phone,
    /// Neither (blank, a channel id, an invalid address or number).
    Neither,
}

/// How `identifier`, seen on a participant of channel `channel`, can identify a contact.
pub fn identifier_use(channel: &str, identifier: &str) -> IdentifierUse {
    if identifier.contains('@') && looks_like_email(identifier) {
        IdentifierUse::Email
    } else if is_phone_channel(channel) && normalize_phone(identifier).is_some() {
        IdentifierUse::Phone
    } else {
        IdentifierUse::Neither
    }
}

fn is_phone_channel(channel: &str) -> bool {
    let p = ProtocolType::from_wire(channel);
    matches!(
        p,
        ProtocolType::WhatsApp
            | ProtocolType::Sms
            | ProtocolType::PhoneCall
            | ProtocolType::WebViaSms
            | ProtocolType::Viber
    )
}

impl DefaultContactMapper {
    /// The contact's e-mail: the most recently used valid, not deleted, not scrambled e-mail
    /// identifier of its Glassix record (verified first among equals), else a valid e-mail the
    /// ticket's participants carry. Written as Glassix has it (not trimmed, not lower-cased).
    /// Invalid or deleted addresses are kept in a lossy note.
    fn email(source: &ContactSource<'_>, notes: &mut Vec<FieldNote>) -> Option<String> {
        if let Some(c) = source.contact {
            let all: Vec<_> = c
                .identifiers
                .iter()
                .filter(|i| i.identifier_type == IdentifierType::MailAddress)
                .collect();
            let mut mails = Vec::new();
            for i in all {
                if i.is_deleted || i.is_scrambled {
                    notes.push(FieldNote::warning(
                        "identifiers",
                        format!(
                            "e-mail identifier `{}` is marked {} in Glassix: not used as the \
                             contact's e-mail",
                            i.identifier,
                            if i.is_deleted { "deleted" } else { "scrambled" }
                        ),
                    ));
                } else if !looks_like_email(&i.identifier) {
                    notes.push(FieldNote::warning(
                        "identifiers",
                        format!(
                            "e-mail identifier `{}` is not a valid e-mail address: not used as \
                             the contact's e-mail (correct it in Glassix and run again)",
                            i.identifier
                        ),
                    ));
                } else {
                    mails.push(i);
                }
            }
            // The most recently used first, verified first among equals.
            mails.sort_by(|a, b| {
                b.last_accessed
                    .cmp(&a.last_accessed)
                    .then(b.is_verified.cmp(&a.is_verified))
            });
            if let Some(m) = mails.first() {
                return Some(m.identifier.clone());
            }
        }
        let withdrawn = withdrawn_identifiers(source);
        let mut found = None;
        for (_, i) in &source.seen.identifiers {
            // A withdrawn address was already noted above; it does not come back this way.
            if !i.contains('@') || is_withdrawn(&withdrawn, i) {
                continue;
            }
            if looks_like_email(i) {
                if found.is_none() {
                    found = Some(i.clone());
                }
            } else if source.contact.is_none() {
                notes.push(FieldNote::warning(
                    "participants.identifier",
                    format!(
                        "participant identifier `{i}` is not a valid e-mail address: not used \
                         as the contact's e-mail"
                    ),
                ));
            }
        }
        found
    }

    fn phone(source: &ContactSource<'_>, notes: &mut Vec<FieldNote>) -> Option<String> {
        let mut candidates: Vec<(&'static str, String)> = Vec::new();
        if let Some(c) = source.contact {
            let mut phones: Vec<_> = c
                .identifiers
                .iter()
                .filter(|i| i.identifier_type == IdentifierType::PhoneNumber)
                .filter(|i| !i.is_deleted && !i.is_scrambled)
                .collect();
            phones.sort_by_key(|i| std::cmp::Reverse(i.last_accessed));
            candidates.extend(
                phones
                    .into_iter()
                    .map(|i| ("identifiers.identifier", i.identifier.clone())),
            );
        }
        let withdrawn = withdrawn_identifiers(source);
        candidates.extend(
            source
                .seen
                .identifiers
                .iter()
                .filter(|(ch, i)| is_phone_channel(ch) && !is_withdrawn(&withdrawn, i))
                .map(|(_, i)| ("participants.identifier", i.clone())),
        );
        for (field, raw) in &candidates {
            match normalize_phone(raw) {
                Some(p) => return Some(p),
                None => notes.push(FieldNote::warning(
                    *field,
                    format!("`{raw}` is not a usable international phone number; not copied"),
                )),
            }
        }
        None
    }
}

impl ContactMapper for DefaultContactMapper {
    fn map_contact(&self, source: ContactSource<'_>, ctx: &MapContext<'_>) -> Mapped<ContactPlan> {
        if let Some(reason) = contact_skip_reason(&source) {
            return Mapped::Skip { reason };
        }
        let mut notes = Vec::new();
        match build_contact(&source, ctx, &mut notes) {
            Ok(plan) => Mapped::Write { value: plan, notes },
            Err(reason) => Mapped::Queue { reason, notes },
        }
    }
}

/// Phase 0: a contact deleted or scrambled in Glassix is left behind.
fn contact_skip_reason(source: &ContactSource<'_>) -> Option<MapReason> {
    let c = source.contact?;
    if !(c.is_scrambled || c.is_deleted) {
        return None;
    }
    let what = if c.is_scrambled {
        "scrambled"
    } else {
        "deleted"
    };
    Some(
        MapReason::new(
            ReasonCode::DeletedContact,
            format!(
                "the Glassix contact is {what}; its personal data is gone, so it is not created \
                 (its tickets are queued as missing_contact)"
            ),
        )
        .with_field(if c.is_scrambled {
            "isScrambled"
        } else {
            "isDeleted"
        }),
    )
}

/// The phases of a contact's mapping, in order; the first that cannot go on queues the contact
/// with its reason (the notes gathered so far are kept).
fn build_contact(
    source: &ContactSource<'_>,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> Result<ContactPlan, MapReason> {
    let source_id = source.seen.source_id();
    let mut request = identity(source, ctx, &source_id, notes)?;
    let mut lookups = Vec::new();
    if let Some(x) = &request.external_id {
        lookups.push(ContactLookup::ExternalId(x.clone()));
    }
    if let Some(e) = &request.email {
        lookups.push(ContactLookup::Email(e.clone()));
    }
    lookups.push(ContactLookup::CustomAttribute {
        name: ATTR_ORIGINAL_ID.to_owned(),
        value: source_id.clone(),
    });
    details(source, &mut request, notes);
    let (attrs, tags) = attributes_and_tags(source, ctx, &source_id, notes)?;
    request.custom_attributes = Some(attrs);
    Ok(ContactPlan {
        source_id,
        request,
        tags,
        lookups,
        merge_key: email_key(source),
    })
}

/// Phase 1: who the contact is in Intercom — e-mail, phone, name, and the role and external id
/// the `missing_email` policy gives a customer without an e-mail.
fn identity(
    source: &ContactSource<'_>,
    ctx: &MapContext<'_>,
    source_id: &str,
    notes: &mut Vec<FieldNote>,
) -> Result<CreateContact, MapReason> {
    let email = DefaultContactMapper::email(source, notes);
    let phone = DefaultContactMapper::phone(source, notes);
    let unique = source
        .contact
        .map(|c| c.unique_argument.trim().to_owned())
        .filter(|u| !u.is_empty());
    let name = source
        .contact
        .map(|c| c.name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .or_else(|| source.seen.names.first().cloned());
    if source.seen.names.len() > 1 {
        notes.push(FieldNote::info(
            "participants.name",
            format!(
                "seen under several names ({}); the first is kept",
                source.seen.names.join(", ")
            ),
        ));
    }
    let mut request = CreateContact {
        email: email.clone(),
        phone: phone.clone(),
        name,
        ..Default::default()
    };
    if let Some(u) = &unique {
        request.external_id = Some(u.clone());
        request.role = Some(Role::User);
        return Ok(request);
    }
    if email.is_some() {
        request.role = Some(Role::User);
        return Ok(request);
    }
    match ctx.spec.policies.missing_email {
        MissingEmailPolicy::Queue => {
            return Err(MapReason::new(
                ReasonCode::MissingEmail,
                "the customer has neither an e-mail address nor an external id \
                 (uniqueArgument); add one in Glassix, or set policies.missing_email to \
                 \"lead_with_phone\" or \"external_id_from_glassix_id\"",
            )
            .with_field("identifiers"));
        }
        MissingEmailPolicy::LeadWithPhone => {
            if phone.is_none() {
                return Err(MapReason::new(
                    ReasonCode::MissingEmail,
                    "policy lead_with_phone, but the customer has no usable phone number \
                     either; add an e-mail or phone in Glassix, or use missing_email = \
                     \"external_id_from_glassix_id\"",
                )
                .with_field("identifiers"));
            }
            request.role = Some(Role::Lead);
            notes.push(FieldNote::info(
                "identifiers",
                "no e-mail: created as a lead identified by phone",
            ));
        }
        MissingEmailPolicy::ExternalIdFromGlassixId => {
            request.external_id = Some(format!("glassix-{source_id}"));
            request.role = Some(Role::User);
            notes.push(FieldNote::info(
                "id",
                "no e-mail: created as a user whose external_id is the Glassix id",
            ));
        }
    }
    Ok(request)
}

/// Phase 2: sign-up time, avatar, and what cannot be copied (opt-out, channel ids).
fn details(source: &ContactSource<'_>, request: &mut CreateContact, notes: &mut Vec<FieldNote>) {
    request.signed_up_at = match source.contact.and_then(|c| c.creation_date_time) {
        Some(t) => Some(t.timestamp()),
        None => {
            if source.seen.first_seen.is_some() {
                notes.push(FieldNote::info(
                    "creationDateTime",
                    "no Glassix creation time; signed_up_at is the open time of the \
                     customer's first ticket",
                ));
            }
            source.seen.first_seen.map(|t| t.timestamp())
        }
    };
    if let Some(uri) = source
        .contact
        .and_then(|c| c.image_uri.as_deref())
        .map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        request.avatar = Some(uri.to_owned());
        notes.push(FieldNote::info(
            "imageUri",
            "avatar points at the Glassix/channel image URL, which may expire",
        ));
    }
    notes.push(FieldNote::info(
        "unsubscribed_from_emails",
        "Glassix exposes no e-mail opt-out signal; Intercom's subscription state is left at \
         its default",
    ));
    if let Some(c) = source.contact {
        let dropped: BTreeSet<&str> = c
            .identifiers
            .iter()
            .filter(|i| {
                !matches!(
                    i.identifier_type,
                    IdentifierType::MailAddress | IdentifierType::PhoneNumber
                )
            })
            .map(|i| i.identifier_type.as_str())
            .collect();
        if !dropped.is_empty() {
            notes.push(FieldNote::warning(
                "identifiers",
                format!(
                    "channel ids with no Intercom equivalent are not copied: {}",
                    dropped.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
}

/// Phase 3: the contact's attributes (built-in and the spec's contact rules) and tags (its
/// Glassix tags and the tag rules whose source is a contact field).
fn attributes_and_tags(
    source: &ContactSource<'_>,
    ctx: &MapContext<'_>,
    source_id: &str,
    notes: &mut Vec<FieldNote>,
) -> Result<(serde_json::Map<String, Value>, Vec<TagRef>), MapReason> {
    let mut attrs = serde_json::Map::new();
    attrs.insert(ATTR_ORIGINAL_ID.to_owned(), Value::from(source_id));
    if let Some(ch) = source.seen.preferred_channel() {
        attrs.insert(ATTR_CHANNEL_PREFERENCE.to_owned(), Value::from(ch));
    }
    let reads_contact = ctx.spec.fields.iter().any(|r| {
        r.model == TargetModel::Contact
            || (r.model == TargetModel::Tags && r.source.starts_with("contact."))
    });
    let record = source
        .contact
        .filter(|_| reads_contact)
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(Value::Null);
    let rules = apply_rules(
        &ctx.spec.fields,
        &[TargetModel::Contact],
        ctx.directory,
        ctx.spec.policies.invalid_value,
        |rule| {
            let path = rule.source.strip_prefix("contact.").unwrap_or(&rule.source);
            read_path(&record, path)
        },
    )?;
    attrs.extend(rules.attributes);
    notes.extend(rules.notes);
    let mut tag_names: Vec<String> = source.contact.map(|c| c.tags.clone()).unwrap_or_default();
    // Tags rules whose source is a contact field tag the contact.
    if let Ok(r) = apply_rules(
        &ctx.spec.fields,
        &[TargetModel::Tags],
        ctx.directory,
        ctx.spec.policies.invalid_value,
        |rule| {
            rule.source
                .strip_prefix("contact.")
                .and_then(|p| read_path(&record, p))
        },
    ) {
        tag_names.extend(r.tags);
    }
    Ok((
        attrs,
        tag_refs(tag_names.iter().map(String::as_str), ctx.directory),
    ))
}
