//! Facts about the migration itself, one value per key: which Intercom workspace the ledger
//! belongs to (`intercom.workspace`), so that a ledger is never used against another one.

use rusqlite::{OptionalExtension, params};

use super::Ledger;
use crate::error::{Error, Result};

/// Key of the Intercom workspace (app id) the ledger's objects live in.
pub const INTERCOM_WORKSPACE: &str = "intercom.workspace";

impl Ledger {
    /// The value stored under `key`, if any.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.lock()
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::ledger("read meta"))
    }

    /// Stores `value` under `key` (replacing an earlier value).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write("set meta", |tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(Error::ledger("set meta"))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_values_are_stored_and_replaced() {
        let l = Ledger::open_in_memory().unwrap();
        assert_eq!(l.meta(INTERCOM_WORKSPACE).unwrap(), None);
        l.set_meta(INTERCOM_WORKSPACE, "abc123").unwrap();
        assert_eq!(
            l.meta(INTERCOM_WORKSPACE).unwrap().as_deref(),
            Some("abc123")
        );
        l.set_meta(INTERCOM_WORKSPACE, "def456").unwrap();
        assert_eq!(
            l.meta(INTERCOM_WORKSPACE).unwrap().as_deref(),
            Some("def456")
        );
    }
}
