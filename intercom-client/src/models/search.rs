//! Search queries for `/contacts/search`, `/conversations/search` and `/tickets/search`.

use serde::Serialize;
use serde_json::Value;

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Operator {
    /// `=`
    #[serde(rename = "=")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `IN`
    #[serde(rename = "IN")]
    In,
    /// `NIN`
    #[serde(rename = "NIN")]
    NotIn,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `~` (contains)
    #[serde(rename = "~")]
    Contains,
    /// `!~` (does not contain)
    #[serde(rename = "!~")]
    NotContains,
    /// `^` (starts with)
    #[serde(rename = "^")]
    StartsWith,
    /// `$` (ends with)
    #[serde(rename = "$")]
    EndsWith,
}

/// `AND` / `OR` of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GroupOperator {
    /// All filters must match.
    #[serde(rename = "AND")]
    And,
    /// Any filter may match.
    #[serde(rename = "OR")]
    Or,
}

/// A query: a single filter or a group (at most 2 levels deep, at most 15 filters per group).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SearchQuery {
    /// `{field, operator, value}`.
    Filter {
        /// Field name, e.g. `email`, `external_id`, `custom_attributes.x`.
        field: String,
        /// Operator.
        operator: Operator,
        /// A string, integer, boolean or list of strings/integers.
        value: Value,
    },
    /// `{operator: AND|OR, value: [queries]}`.
    ///
    /// Spec quirk: `multiple_filter_search_request` allows a group to hold only filters or only
    /// groups; the docs' examples mix them, so this type allows both. Keep to one kind per group
    /// when in doubt.
    Group {
        /// How the members combine.
        operator: GroupOperator,
        /// The members.
        value: Vec<SearchQuery>,
    },
}

impl SearchQuery {
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::filter(field, Operator::Eq, value)
    }
    /// Any filter.
    pub fn filter(field: impl Into<String>, operator: Operator, value: impl Into<Value>) -> Self {
        Self::Filter {
            field: field.into(),
            operator,
            value: value.into(),
        }
    }
    /// All of `queries`.
    pub fn and(queries: Vec<SearchQuery>) -> Self {
        Self::Group {
            operator: GroupOperator::And,
            value: queries,
        }
    }
    /// Any of `queries`.
    pub fn or(queries: Vec<SearchQuery>) -> Self {
        Self::Group {
            operator: GroupOperator::Or,
            value: queries,
        }
    }
}

/// Sort order of a contact search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Oldest/smallest first.
    Ascending,
    /// Newest/largest first.
    Descending,
}

/// `sort` of a contact search (contacts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sort {
    /// Field to sort by.
    pub field: String,
    /// Order.
    pub order: SortOrder,
}

/// A search body. The pagination cursor is managed by the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRequest {
    /// The query.
    pub query: SearchQuery,
    /// Sort (only `/contacts/search` accepts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
}

impl SearchRequest {
    /// A search without sort.
    pub fn new(query: SearchQuery) -> Self {
        Self { query, sort: None }
    }
}
