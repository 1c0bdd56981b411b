//! Shared helpers for the example binaries. Work in progress: see issue 6.
