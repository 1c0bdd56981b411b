//! Typed client for the Intercom REST API (version 2.16). Work in progress: see issue 3.
