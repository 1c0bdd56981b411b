//! The mapping spec's data model (what the TOML file contains).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// The spec format version this build reads and writes.
pub const SPEC_VERSION: u32 = 1;

/// A user-editable mapping from a Glassix workspace to an Intercom workspace.
///
/// Read it with [`MappingSpec::from_toml_str`](crate::spec::MappingSpec::from_toml_str), write a
/// first draft with [`MappingSpec::proposal`](crate::spec::MappingSpec::proposal). Unknown keys are
/// rejected so that a typo never silently drops a rule.
///
/// In the file every rule is one `[[fields]]` table; a table with a `departments` key is kept in
/// [`department_fields`](Self::department_fields), the others in [`fields`](Self::fields). Ask
/// [`rules_for`](Self::rules_for) which rules apply to a department's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "SpecToml", into = "SpecToml")]
#[schemars(
    description = "A user-editable mapping from a Glassix workspace to an Intercom \
                          workspace. Unknown keys are rejected so that a typo never silently \
                          drops a rule."
)]
pub struct MappingSpec {
    /// Format version; must be 1.
    pub version: u32,
    /// Whether a person has reviewed and confirmed this spec. `migrate` refuses to move any record
    /// until `confirmed = true`.
    pub confirmation: Confirmation,
    /// Which Intercom object each Glassix object becomes.
    pub objects: ObjectTargets,
    /// What to do with records that cannot be mapped one to one.
    pub policies: Policies,
    /// Field rules that apply in every department (the `[[fields]]` tables without
    /// `departments`).
    pub fields: Vec<FieldRule>,
    /// Field rules limited to some departments (the `[[fields]]` tables with `departments`).
    /// For its departments such a rule replaces the every-department rules of the same source.
    pub department_fields: Vec<DepartmentRule>,
}

/// A user-editable mapping from a Glassix workspace to an Intercom workspace.
///
/// Unknown keys are rejected so that a typo never silently drops a rule. (In the code: the spec
/// as written in TOML, with one `fields` array in file order; validation reports paths such as
/// `fields[3].departments` against it.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecToml {
    /// Format version; must be 1.
    #[serde(default = "default_version")]
    pub(crate) version: u32,
    /// Whether a person has reviewed and confirmed this spec. `migrate` refuses to move any record
    /// until `confirmed = true`.
    #[serde(default)]
    pub(crate) confirmation: Confirmation,
    /// Which Intercom object each Glassix object becomes.
    #[serde(default)]
    pub(crate) objects: ObjectTargets,
    /// What to do with records that cannot be mapped one to one.
    #[serde(default)]
    pub(crate) policies: Policies,
    /// Field rules: one per Glassix field (and department, when `departments` is given) that is
    /// copied to an Intercom attribute or to tags.
    #[serde(default)]
    pub(crate) fields: Vec<DepartmentRule>,
}

impl From<SpecToml> for MappingSpec {
    fn from(t: SpecToml) -> Self {
        let (scoped, global): (Vec<DepartmentRule>, Vec<DepartmentRule>) =
            t.fields.into_iter().partition(DepartmentRule::is_scoped);
        MappingSpec {
            version: t.version,
            confirmation: t.confirmation,
            objects: t.objects,
            policies: t.policies,
            fields: global.into_iter().map(|r| r.rule).collect(),
            department_fields: scoped,
        }
    }
}

impl From<MappingSpec> for SpecToml {
    fn from(s: MappingSpec) -> Self {
        let fields = s
            .fields
            .into_iter()
            .map(|rule| DepartmentRule {
                departments: Vec::new(),
                rule,
            })
            .chain(s.department_fields)
            .collect();
        SpecToml {
            version: s.version,
            confirmation: s.confirmation,
            objects: s.objects,
            policies: s.policies,
            fields,
        }
    }
}

fn default_version() -> u32 {
    SPEC_VERSION
}

impl Default for MappingSpec {
    fn default() -> Self {
        MappingSpec {
            version: SPEC_VERSION,
            confirmation: Confirmation::default(),
            objects: ObjectTargets::default(),
            policies: Policies::default(),
            fields: Vec::new(),
            department_fields: Vec::new(),
        }
    }
}

/// The confirmation mark a person sets after reviewing the spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// `true` once reviewed. Requires `confirmed_by` and `confirmed_at`.
    #[serde(default)]
    pub confirmed: bool,
    /// Who confirmed (name or e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    /// When, as an RFC 3339 timestamp with offset (a TOML datetime or a quoted string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_timestamp"
    )]
    #[schemars(with = "Option<String>")]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The spec's content hash ([`MappingSpec::hash`](crate::spec::MappingSpec::hash)) when it
    /// was confirmed, written by [`MappingSpec::confirm`](crate::spec::MappingSpec::confirm).
    /// When present, a spec whose content changed since is no longer confirmed. Do not edit it
    /// by hand except to re-confirm (the error that refuses a changed spec gives the new value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Short hashes of each part of the content at confirmation (`version`, `objects`,
    /// `policies`, and one per field source and department scope), so that a changed spec's
    /// error can say what changed. Written with `content_hash`; optional.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sections: BTreeMap<String, String>,
}

/// Deserialises an optional RFC 3339 timestamp written either as a TOML datetime
/// (`2026-01-31T09:00:00Z`) or as a quoted string; for `#[serde(deserialize_with)]` in any
/// TOML file of the toolkit.
pub fn deserialize_timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    use serde::de::Error as _;
    let value = Option::<toml::Value>::deserialize(deserializer)?;
    let text = match value {
        None => return Ok(None),
        Some(toml::Value::String(s)) => s,
        Some(toml::Value::Datetime(dt)) => dt.to_string(),
        Some(other) => {
            return Err(D::Error::custom(format!(
                "expected an RFC 3339 timestamp such as 2026-01-31T09:00:00Z, found a {}",
                other.type_str()
            )));
        }
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|dt| Some(dt.with_timezone(&Utc)))
        .map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not an RFC 3339 timestamp with an offset ({e}); write it like \
                 2026-01-31T09:00:00Z"
            ))
        })
}

/// Which Intercom objects the Glassix objects become.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectTargets {
    /// Glassix tickets become Intercom tickets (default) or conversations.
    #[serde(default)]
    pub tickets: TicketTarget,
    /// Name of the Intercom ticket type created (or reused) for migrated tickets.
    #[serde(default = "default_ticket_type")]
    pub ticket_type: String,
}

fn default_ticket_type() -> String {
    "Glassix ticket".to_owned()
}

impl Default for ObjectTargets {
    fn default() -> Self {
        ObjectTargets {
            tickets: TicketTarget::default(),
            ticket_type: default_ticket_type(),
        }
    }
}

/// What a Glassix ticket becomes in Intercom.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketTarget {
    /// An Intercom ticket of the configured ticket type (default).
    #[default]
    Tickets,
    /// An Intercom conversation.
    Conversations,
}

/// Policies for records that cannot be mapped one to one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// A contact without an e-mail address.
    #[serde(default)]
    pub missing_email: MissingEmailPolicy,
    /// A Glassix agent with no Intercom admin of the same e-mail.
    #[serde(default)]
    pub unmatched_agent: AgentPolicy,
    /// A Glassix department with no Intercom team of the same name.
    #[serde(default)]
    pub unmatched_department: DepartmentPolicy,
    /// Glassix canned replies.
    #[serde(default)]
    pub canned_replies: CannedRepliesPolicy,
    /// Message attachments.
    #[serde(default)]
    pub attachments: AttachmentsPolicy,
    /// E-mail HTML bodies.
    #[serde(default)]
    pub html: HtmlPolicy,
    /// A field value that does not convert under its rule (type, transforms, options).
    /// Written only when not the default, so a spec confirmed before the policy existed keeps
    /// its confirmation.
    #[serde(default, skip_serializing_if = "InvalidValuePolicy::is_default")]
    pub invalid_value: InvalidValuePolicy,
}

/// What to do with a field value that does not convert under its rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvalidValuePolicy {
    /// Migrate the record without that attribute; list the value as a field item in the
    /// reconciliation queue and in the record's lossy notes (default). Fixing the rule and
    /// running `migrate` again writes the values that now convert.
    #[default]
    SkipField,
    /// Queue the whole record (`invalid_field_value`) until the value or the rule is fixed.
    QueueRecord,
    /// Write the raw value, unchanged, into the string attribute `<target>_text` (defined with
    /// the rule's attribute); noted on the record, nothing queued.
    AsText,
}

impl InvalidValuePolicy {
    /// Whether this is the default (`skip_field`).
    pub fn is_default(&self) -> bool {
        *self == InvalidValuePolicy::SkipField
    }

    /// The name of the string attribute `as_text` writes for a rule targeting `target`.
    pub fn text_target(target: &str) -> String {
        format!("{target}_text")
    }
}

/// What to do with a contact that has no e-mail address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingEmailPolicy {
    /// Queue the contact (and its tickets) for reconciliation (default).
    #[default]
    Queue,
    /// Create an Intercom lead identified by phone number; queue if there is no phone either.
    LeadWithPhone,
    /// Create a user whose `external_id` is derived from the Glassix contact id.
    ExternalIdFromGlassixId,
}

/// What to do with a Glassix agent that has no matching Intercom admin.
///
/// In TOML: `unmatched_agent = "queue"` or `unmatched_agent = { fallback_admin = "123" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentPolicy {
    /// Queue the records that need the agent (default).
    #[default]
    Queue,
    /// Assign to this Intercom admin id instead.
    FallbackAdmin(String),
}

/// What to do with a Glassix department that has no matching Intercom team.
///
/// In TOML: `unmatched_department = "queue"` or `unmatched_department = { fallback_team = "7" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentPolicy {
    /// Queue the records that need the team (default).
    #[default]
    Queue,
    /// Assign to this Intercom team id instead.
    FallbackTeam(String),
}

/// What to do with Glassix canned replies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CannedRepliesPolicy {
    /// Do not migrate them.
    Skip,
    /// Create help-center articles from them.
    Articles,
    /// List them in an inventory report to rebuild as Intercom macros by hand (default).
    #[default]
    Inventory,
}

/// What to do with message attachments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentsPolicy {
    /// Download from Glassix and upload to Intercom (default; at most 10 per part).
    #[default]
    Upload,
    /// Link to the Glassix URL in the part body (the URLs may expire).
    Link,
    /// Leave attachments out; a lossy note records each one.
    Skip,
}

/// How e-mail HTML is reduced for Intercom part bodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HtmlPolicy {
    /// Keep what Intercom accepts, strip the rest (see [`crate::html`]). The only policy today.
    #[default]
    Sanitize,
}

/// The Intercom model a field rule writes to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TargetModel {
    /// A ticket type attribute (only when `objects.tickets = "tickets"`).
    Ticket,
    /// A conversation attribute (only when `objects.tickets = "conversations"`).
    Conversation,
    /// A contact data attribute.
    Contact,
    /// Tags on the ticket or conversation; `target` is a prefix prepended to each tag name.
    Tags,
}

impl TargetModel {
    /// The name used in the TOML file.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetModel::Ticket => "ticket",
            TargetModel::Conversation => "conversation",
            TargetModel::Contact => "contact",
            TargetModel::Tags => "tags",
        }
    }
}

/// The type of the value written to the target attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// A whole number (64-bit).
    Integer,
    /// A decimal number (Intercom `decimal` / `float`).
    Float,
    /// `true`/`false` (also accepts yes/no, 1/0).
    Boolean,
    /// A date or date-time (Intercom `date` / `datetime`); needs a `parse_date` transform unless
    /// the values are RFC 3339.
    Date,
    /// One of a fixed set of `options` (Intercom `list` / `options`).
    List,
}

impl FieldType {
    /// The name used in the TOML file.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::List => "list",
        }
    }

    /// Whether an existing Intercom attribute of `intercom_type` can hold values of this type.
    ///
    /// Intercom spells types differently per model (`decimal`/`float`, `datetime`/`date`,
    /// `list`/`options`); all spellings are accepted.
    pub fn compatible_with(self, intercom_type: &str) -> bool {
        let t = intercom_type.to_ascii_lowercase();
        match self {
            FieldType::String => t == "string",
            FieldType::Integer => t == "integer",
            FieldType::Float => t == "float" || t == "decimal",
            FieldType::Boolean => t == "boolean",
            FieldType::Date => t == "date" || t == "datetime",
            FieldType::List => t == "list" || t == "options",
        }
    }
}

/// One rule: copy a Glassix field to an Intercom attribute (or to tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// Glassix field, e.g. `field2`, `details.location`, `contact.customFields.plan`.
    pub source: String,
    /// Intercom attribute name (ASCII, no `.` or `$`). For `model = "tags"`, a tag-name prefix.
    pub target: String,
    /// Which Intercom model receives the value.
    pub model: TargetModel,
    /// Type of the value written.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Allowed values; required (at least 2) for `type = "list"`, not allowed otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Transforms applied in order to the raw source text before conversion to `type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<Transform>,
    /// Value used when the source is empty or missing (converted to `type` like any value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Free text shown as the attribute description when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A field rule with the departments it is limited to.
///
/// In TOML it is a `[[fields]]` table with a `departments` key:
/// `departments = ["Billing", "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f"]` (department names or API
/// keys, compared without regard to case or surrounding white space). An empty list means every
/// department (such a rule lives in [`MappingSpec::fields`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "RuleToml", into = "RuleToml")]
#[schemars(
    rename = "FieldRule",
    description = "One rule: copy a Glassix field to an Intercom attribute (or to tags), in \
                   every department or, with `departments`, only in those."
)]
pub struct DepartmentRule {
    /// Department names or API keys the rule applies to.
    pub departments: Vec<String>,
    /// The rule itself.
    pub rule: FieldRule,
}

impl DepartmentRule {
    /// Whether the rule names departments (otherwise it applies everywhere).
    pub fn is_scoped(&self) -> bool {
        !self.departments.is_empty()
    }

    /// Whether the rule applies to the department with API key `key` and, when known, `name`.
    pub fn applies_to(&self, key: &str, name: Option<&str>) -> bool {
        !self.is_scoped()
            || self
                .departments
                .iter()
                .any(|d| same_department(d, key) || name.is_some_and(|n| same_department(d, n)))
    }
}

/// Department references are compared without regard to case or surrounding white space.
pub(crate) fn same_department(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && a.to_lowercase() == b.to_lowercase()
}

/// One rule: copy a Glassix field to an Intercom attribute (or to tags), in every department or
/// only in some.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    /// Glassix field, e.g. `field2`, `details.location`, `contact.customFields.plan`.
    source: String,
    /// Intercom attribute name (ASCII, no `.` or `$`). For `model = "tags"`, a tag-name prefix.
    target: String,
    /// Which Intercom model receives the value.
    model: TargetModel,
    /// Type of the value written.
    #[serde(rename = "type")]
    field_type: FieldType,
    /// Allowed values; required (at least 2) for `type = "list"`, not allowed otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
    /// Transforms applied in order to the raw source text before conversion to `type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    transforms: Vec<Transform>,
    /// Value used when the source is empty or missing (converted to `type` like any value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    /// Free text shown as the attribute description when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// Departments (names or API keys) the rule is limited to; absent or empty: every
    /// department. For its departments it replaces the every-department rules of the same
    /// `source`; two rules for one source and one department are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    departments: Vec<String>,
}

impl From<RuleToml> for DepartmentRule {
    fn from(t: RuleToml) -> Self {
        let RuleToml {
            source,
            target,
            model,
            field_type,
            options,
            transforms,
            default,
            description,
            departments,
        } = t;
        DepartmentRule {
            departments,
            rule: FieldRule {
                source,
                target,
                model,
                field_type,
                options,
                transforms,
                default,
                description,
            },
        }
    }
}

impl From<DepartmentRule> for RuleToml {
    fn from(r: DepartmentRule) -> Self {
        let FieldRule {
            source,
            target,
            model,
            field_type,
            options,
            transforms,
            default,
            description,
        } = r.rule;
        RuleToml {
            source,
            target,
            model,
            field_type,
            options,
            transforms,
            default,
            description,
            departments: r.departments,
        }
    }
}

/// A transform of the raw source text.
///
/// In TOML: `transforms = [{ op = "trim" }, { op = "parse_date", formats = ["%d/%m/%Y"] }]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// Remove leading and trailing white space.
    Trim,
    /// Lower-case (Unicode).
    Lowercase,
    /// Parse a date with the first matching `chrono` format (`%d/%m/%Y`, `%Y-%m-%d %H:%M` …);
    /// RFC 3339 is always tried last. Dates without a time are midnight UTC.
    ParseDate {
        /// `chrono` strftime formats, tried in order.
        formats: Vec<String>,
    },
    /// Read a number written with locale separators and pass it on in plain form
    /// (`1.234,5` → `1234.5`, `12,480` → `12480`): `{ op = "parse_number", decimal = ",",
    /// thousands = "." }`. Thousands groups must have three digits; a value that is not such a
    /// number fails. Needs `type = "integer"` or `"float"` and must be the last transform.
    ParseNumber {
        /// The decimal separator: `"."` or `","`.
        decimal: String,
        /// The thousands separator, when the values use one: `","`, `"."`, `" "` or `"'"`
        /// (not the decimal separator).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thousands: Option<String>,
    },
    /// Replace whole values: `values = { "VIP" = "vip", "Gold" = "gold" }`.
    Map {
        /// Source value → replacement.
        values: BTreeMap<String, String>,
        /// Replacement for a value absent from `values`; without it such values pass unchanged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback: Option<String>,
    },
    /// Split into several values (only for `model = "tags"`, and only as the last transform).
    Split {
        /// Separator, e.g. `","`.
        separator: String,
    },
}

impl Transform {
    /// The `op` name used in TOML.
    pub fn op(&self) -> &'static str {
        match self {
            Transform::Trim => "trim",
            Transform::Lowercase => "lowercase",
            Transform::ParseDate { .. } => "parse_date",
            Transform::ParseNumber { .. } => "parse_number",
            Transform::Map { .. } => "map",
            Transform::Split { .. } => "split",
        }
    }
}
