//! The rendered ticket type, kept between requests.
//!
//! Every ticket the fake answers with (`POST /tickets`, `PUT /tickets/{id}`, `GET
//! /tickets/{id}` …) carries its ticket type in full: every attribute and every ticket state.
//! Rendering that anew for each answer was the costliest part of a ticket write (a quarter of
//! the fake's time in an unthrottled run). [`RenderedTypes`] keeps each type's JSON, built once
//! by [`super::render::ticket_type`], with a copy of the type and of the ticket states it was
//! built from: an entry is used only while both still equal the state's, so whatever changes a
//! type, one of its attributes or the ticket states (a handler, a test editing the state) is
//! seen by the next answer, with no list of handlers to keep in step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::model::{IntercomState, TicketState, TicketType};

/// One ticket type as rendered, with what it was rendered from.
#[derive(Debug)]
pub(crate) struct RenderedType {
    type_was: TicketType,
    states_were: Vec<TicketState>,
    /// The JSON tree (answers built as `Value`, e.g. search hits).
    pub(crate) value: Value,
    /// The same, serialised (answers written as bytes).
    pub(crate) json: Box<str>,
}

/// Rendered ticket types by id. Not part of the workspace's state: a copy of the state starts
/// with an empty cache, and two states compare equal whatever their caches hold.
#[derive(Debug, Default)]
pub(crate) struct RenderedTypes(Mutex<HashMap<String, Arc<RenderedType>>>);

impl Clone for RenderedTypes {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for RenderedTypes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl RenderedTypes {
    /// `t` rendered, from the cache when the type and the ticket states are unchanged since.
    pub(crate) fn get(&self, ws: &IntercomState, t: &TicketType) -> Arc<RenderedType> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = map
            .get(&t.id)
            .filter(|hit| hit.type_was == *t && hit.states_were == ws.ticket_states)
        {
            return hit.clone();
        }
        let value = super::render::ticket_type(ws, t);
        let json = value.to_string().into_boxed_str();
        let entry = Arc::new(RenderedType {
            type_was: t.clone(),
            states_were: ws.ticket_states.clone(),
            value,
            json,
        });
        map.insert(t.id.clone(), entry.clone());
        entry
    }
}
