//! A custom contact mapper for the `custom-mapper` example binary (walk-through in
//! `docs/custom-mapper.md`): customers with a phone number but no e-mail address become
//! Intercom **users identified by their phone**, instead of being queued.
//!
//! Many Glassix customers only ever wrote on WhatsApp or SMS: they have a phone number, no
//! e-mail and no `uniqueArgument`. The default contact mapper follows the spec's
//! `policies.missing_email`, and none of its three choices fits a phone-first helpdesk well:
//!
//! - `queue` (the default) keeps them, and all their tickets, out of Intercom;
//! - `lead_with_phone` creates **leads**, which cannot be found by `external_id`, so a person
//!   reached under two Glassix identities (e.g. a WhatsApp and an SMS participant without a
//!   contact id) becomes two leads;
//! - `external_id_from_glassix_id` keys them by the Glassix id, which means nothing outside
//!   Glassix.
//!
//! [`PhoneIdentityContactMapper`] wraps [`DefaultContactMapper`] and changes only that case: a
//! customer with neither an e-mail nor a `uniqueArgument` but with a usable phone number becomes
//! a user whose `external_id` is `phone:` followed by the number in E.164 (`phone:+15555550142`).
//! Two Glassix identities with the same number become one Intercom contact (Intercom refuses a
//! second contact with the same `external_id`, and the executor takes the existing one), and a
//! CRM that knows the phone number can find the contact. Everything else — customers with an
//! e-mail or a `uniqueArgument`, deleted contacts, customers with no usable phone either — is
//! mapped exactly as the default does, under the spec's own policy.
//!
//! ```
//! use glassix_to_intercom_examples::custom_mapper::PhoneIdentityContactMapper;
//! use migration_core::map::Mappers;
//!
//! let mappers = Mappers::default().with_contacts(PhoneIdentityContactMapper::new());
//! # let _ = mappers;
//! ```

use intercom_client::models::Role;
use migration_core::map::{
    ContactLookup, ContactMapper, ContactPlan, ContactSource, DefaultContactMapper, FieldNote,
    MapContext, Mapped, ReasonCode,
};
use migration_core::spec::MissingEmailPolicy;

/// The prefix of the `external_id` given to phone-identified contacts.
pub const DEFAULT_PREFIX: &str = "phone:";

/// A [`ContactMapper`] that identifies customers without an e-mail address by their phone
/// number (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct PhoneIdentityContactMapper {
    inner: DefaultContactMapper,
    prefix: String,
}

impl Default for PhoneIdentityContactMapper {
    fn default() -> Self {
        Self::new()
    }
}

impl PhoneIdentityContactMapper {
    /// The mapper with the [`DEFAULT_PREFIX`] (`phone:`).
    pub fn new() -> Self {
        Self::with_prefix(DEFAULT_PREFIX)
    }

    /// The mapper with another `external_id` prefix, e.g. `"tel-"` to match the ids a CRM
    /// already uses. An empty prefix makes the E.164 number itself the `external_id`.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        PhoneIdentityContactMapper {
            inner: DefaultContactMapper,
            prefix: prefix.into(),
        }
    }

    /// The `external_id` of a contact identified by `phone` (already in E.164, as
    /// [`normalize_phone`](migration_core::map::normalize_phone) gives it).
    pub fn external_id_for(&self, phone: &str) -> String {
        format!("{}{phone}", self.prefix)
    }

    /// Turns the default's phone-identified lead into a user keyed by its phone number. `None`
    /// when the plan has no phone (the default never makes such a lead; the caller then falls
    /// back to the spec's own policy).
    fn identify_by_phone(
        &self,
        mut plan: ContactPlan,
        notes: Vec<FieldNote>,
    ) -> Option<Mapped<ContactPlan>> {
        let phone = plan.request.phone.clone()?;
        let external_id = self.external_id_for(&phone);
        plan.request.role = Some(Role::User);
        plan.request.external_id = Some(external_id.clone());
        // Look the contact up by its new external id first (a re-run, or another Glassix
        // identity with the same number), then as the default would.
        plan.lookups
            .insert(0, ContactLookup::ExternalId(external_id.clone()));
        // The default's "created as a lead" note no longer says what happened.
        let mut notes: Vec<FieldNote> = notes
            .into_iter()
            .filter(|n| !(n.field == "identifiers" && n.note.contains("as a lead")))
            .collect();
        notes.push(FieldNote::info(
            "identifiers",
            format!(
                "no e-mail: created as a user identified by phone (external_id `{external_id}`)"
            ),
        ));
        Some(Mapped::Write { value: plan, notes })
    }
}

impl ContactMapper for PhoneIdentityContactMapper {
    fn map_contact(&self, source: ContactSource<'_>, ctx: &MapContext<'_>) -> Mapped<ContactPlan> {
        // Ask the default what it would do if phone-only customers were allowed: under
        // `lead_with_phone` it makes a lead exactly when the customer has neither an e-mail nor
        // a uniqueArgument but has a usable phone number. That lead is the one case we change.
        let mut phone_spec = ctx.spec.clone();
        phone_spec.policies.missing_email = MissingEmailPolicy::LeadWithPhone;
        let phone_ctx = MapContext {
            spec: &phone_spec,
            ..*ctx
        };
        match self.inner.map_contact(source, &phone_ctx) {
            Mapped::Write { value, notes } if value.request.role == Some(Role::Lead) => self
                .identify_by_phone(value, notes)
                .unwrap_or_else(|| self.inner.map_contact(source, ctx)),
            // Queued for another reason than the missing e-mail (a contact field rule whose
            // value does not fit): that reason is the one to fix.
            queued @ Mapped::Queue { .. }
                if queued
                    .reason()
                    .is_some_and(|r| r.code != ReasonCode::MissingEmail) =>
            {
                queued
            }
            // Anything else (an e-mail or uniqueArgument, a deleted contact, no usable phone):
            // exactly what the default does under the spec's own policy.
            _ => self.inner.map_contact(source, ctx),
        }
    }
}
