//! Parsing TOML into a [`MappingSpec`] with errors that carry line, column and field path.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::errors::{SpecError, SpecErrors, line_column};
use super::model::{MappingSpec, SpecToml};
use super::validate::validate;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A field path such as `fields[2].type`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub(crate) Vec<Seg>);

impl FieldPath {
    pub(crate) fn key(&self, k: &str) -> FieldPath {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_owned()));
        FieldPath(v)
    }
    pub(crate) fn index(&self, i: usize) -> FieldPath {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        FieldPath(v)
    }
    pub(crate) fn root() -> FieldPath {
        FieldPath(Vec::new())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Parse and validate; every problem is returned, each located in `text`.
pub(crate) fn parse_spec(text: &str) -> Result<MappingSpec, SpecErrors> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| {
        SpecErrors(vec![located(
            text,
            String::new(),
            e.span().map(|s| s.start),
            format!("TOML syntax error: {}", e.message()),
        )])
    })?;
    let spec: SpecToml = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = e.into_inner();
        let offset = inner
            .span()
            .map(|s| s.start)
            .or_else(|| span_of_path_text(text, &path));
        SpecErrors(vec![located(
            text,
            path,
            offset,
            inner.message().to_owned(),
        )])
    })?;
    let problems = validate(&spec);
    if problems.is_empty() {
        return Ok(MappingSpec::from(spec));
    }
    let doc = DeTable::parse(text).ok();
    let mut located_problems: Vec<(Option<usize>, SpecError)> = problems
        .into_iter()
        .map(|(path, message)| {
            let offset = doc.as_ref().and_then(|d| span_of(d, &path));
            (offset, located(text, path.to_string(), offset, message))
        })
        .collect();
    // Document order; problems that cannot be located come last.
    located_problems.sort_by_key(|(offset, _)| offset.unwrap_or(usize::MAX));
    Err(SpecErrors(
        located_problems.into_iter().map(|(_, e)| e).collect(),
    ))
}

fn located(text: &str, path: String, offset: Option<usize>, message: String) -> SpecError {
    let (line, column) = match offset {
        Some(o) => {
            let (l, c) = line_column(text, o);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    SpecError {
        path,
        line,
        column,
        message,
    }
}

/// Byte offset of the deepest existing node on `path` (the value itself, or its nearest parent).
fn span_of(doc: &Spanned<DeTable<'_>>, path: &FieldPath) -> Option<usize> {
    let mut best = None;
    let mut current: Option<&Spanned<DeValue<'_>>> = None;
    for (i, seg) in path.0.iter().enumerate() {
        let next = match (i, seg, current) {
            (0, Seg::Key(k), _) => lookup(doc.get_ref(), k),
            (_, Seg::Key(k), Some(v)) => v.get_ref().as_table().and_then(|t| lookup(t, k)),
            (_, Seg::Index(n), Some(v)) => v.get_ref().as_array().and_then(|a| a.get(*n)),
            _ => None,
        };
        match next {
            Some(v) => {
                best = Some(v.span().start);
                current = Some(v);
            }
            None => break,
        }
    }
    best
}

fn lookup<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// Locate a textual path like `fields[2].type` (used when serde gave no span).
fn span_of_path_text(text: &str, path: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut fp = FieldPath::root();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            fp = fp.key(name);
        }
        for idx in rest.split('[') {
            if let Ok(n) = idx.trim_end_matches(']').parse::<usize>() {
                fp = fp.index(n);
            }
        }
    }
    span_of(&doc, &fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_display() {
        let p = FieldPath::root().key("fields").index(2).key("type");
        assert_eq!(p.to_string(), "fields[2].type");
    }

    #[test]
    fn spans_resolve_to_the_value_or_its_parent() {
        let text = "version = 1\n[[fields]]\nsource = \"a\"\n\n[[fields]]\nsource = \"b\"\ntarget = \"t\"\n";
        let doc = DeTable::parse(text).unwrap();
        let p = FieldPath::root().key("fields").index(1).key("target");
        let (line, _) = line_column(text, span_of(&doc, &p).unwrap());
        assert_eq!(line, 7);
        let missing = FieldPath::root().key("fields").index(0).key("options");
        assert!(span_of(&doc, &missing).is_some());
        assert_eq!(
            span_of_path_text(text, "fields[1].source").map(|o| line_column(text, o).0),
            Some(6)
        );
    }
}
