//! Stateful fake Glassix and Intercom servers. Work in progress: see issue 4.
