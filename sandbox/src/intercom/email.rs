//! `format: email` as the 2.16 description uses it (JSON Schema's `email`: an RFC 5321
//! mailbox, ASCII only). Intercom refuses contact and reply e-mails that are not addresses;
//! the fake does the same with a 400 `parameter_invalid` naming the field.
//!
//! The description itself marks only response fields (`conversation_part_author.email`,
//! `conversation_source_author.email`, `ticket_part_author.email` …) with `format: email`; the
//! request schemas say `type: string`. A contact's e-mail becomes the author e-mail of the
//! parts it writes, so accepting an invalid one would make the fake answer with responses that
//! break the description: the most likely reading is that Intercom validates on the way in.

use super::errors::ApiError;

/// `atext` of RFC 5322 (the characters of a dot-atom).
fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)
}

fn dot_atom(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext))
}

/// `"…"`: printable ASCII, with `"` and `\` only escaped.
fn quoted(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return false;
    };
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if !chars.next().is_some_and(|e| (' '..='~').contains(&e)) {
                    return false;
                }
            }
            '"' => return false,
            c if (' '..='~').contains(&c) => {}
            _ => return false,
        }
    }
    true
}

/// A host name: dot-separated labels of letters, digits and inner hyphens, 1–63 characters
/// each, 253 in all.
fn hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
fn address_literal(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
        return false;
    };
    match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => inner
            .get(5..)
            .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok()),
        _ => inner.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

/// Whether `s` is an e-mail address in the sense of JSON Schema's `format: email`.
pub(crate) fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = local.len() <= 64 && (dot_atom(local) || quoted(local));
    let domain_ok = if domain.starts_with('[') {
        address_literal(domain)
    } else {
        hostname(domain)
    };
    local_ok && domain_ok
}

/// `Ok` for a valid address, else the 400 Intercom answers, naming `field`.
pub(crate) fn check_email(field: &str, s: &str) -> Result<(), ApiError> {
    if is_valid_email(s) {
        return Ok(());
    }
    Err(ApiError::bad(format!(
        "{field} '{s}' is not a valid email address (it must match format: email)"
    ))
    .field(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mailboxes_and_refuses_the_rest() {
        for ok in [
            "customer0001@example.com",
            "Dana.O'Neil+vip@sub.example.co.il",
            "\"john smith\"@example.com",
            "a@localhost",
            "x@[192.0.2.1]",
            "x@[IPv6:2001:db8::1]",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "a@",
            " customer@example.com",
            "customer@example.com ",
            "two@@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@-example.com",
            "a@exa_mple.com",
            "a@example..com",
            "דנה@example.com",
            "a b@example.com",
            "a@[300.1.1.1]",
            "deleted-user",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
