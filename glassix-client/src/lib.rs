//! Typed client for the Glassix REST API (v1.2). Work in progress: see issue 2.
