//! Glassix → Intercom migration engine. Work in progress: see issue 5.
