//! Message bodies: HTML reduced to what Intercom part bodies accept, plain text for the one
//! place that takes no HTML (a conversation's opening message).
//!
//! HTML reduction itself lives in [`crate::html`]; this module adds the plain-text form and
//! what a part body needs (which markup was removed, for the lossy notes).

use std::sync::LazyLock;

use crate::html::HtmlReducer;

static REDUCER: LazyLock<HtmlReducer> = LazyLock::new(HtmlReducer::new);

/// Reduces HTML with the crate's reducer ([`crate::html`]).
pub(crate) fn reduce_html(html: &str) -> String {
    crate::html::reduce_html(html)
}

/// Plain text as HTML paragraphs ([`crate::html::text_to_html`]).
pub(crate) fn text_to_html(text: &str) -> String {
    crate::html::text_to_html(text)
}

/// Plain text of an HTML fragment: block ends become line breaks, tags are removed, the common
/// entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut marked = html.to_owned();
    for (from, to) in [
        ("<br>", "\n"),
        ("<br/>", "\n"),
        ("<br />", "\n"),
        ("</p>", "\n"),
        ("</div>", "\n"),
        ("</li>", "\n"),
        ("</h1>", "\n"),
        ("</h2>", "\n"),
        ("</h3>", "\n"),
        ("</tr>", "\n"),
    ] {
        marked = marked.replace(from, to);
    }
    let stripped = ammonia::Builder::empty().clean(&marked).to_string();
    let decoded = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The part body of a Glassix message: its HTML reduced when it has any, else its text as
/// HTML paragraphs; with what the reduction removed.
pub(crate) struct PartBody {
    pub(crate) html: String,
    /// Markup other than images was removed.
    pub(crate) reduced: bool,
    /// Images removed (tracking pixels, `cid:` inline images, non-http sources).
    pub(crate) images_removed: usize,
}

pub(crate) fn part_body(html: &str, text: &str) -> PartBody {
    if html.trim().is_empty() {
        return PartBody {
            html: text_to_html(text),
            reduced: false,
            images_removed: 0,
        };
    }
    let r = REDUCER.reduce(html);
    let reduced = normalise(&r.html) != normalise(html);
    PartBody {
        html: r.html,
        reduced,
        images_removed: r.images_removed + r.tracking_pixels_removed,
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_of_html_and_part_bodies() {
        assert_eq!(
            html_to_text("<p>Hello &amp; welcome</p><p>Line<br>two</p>"),
            "Hello & welcome\nLine\ntwo"
        );
        let b = part_body("", "plain");
        assert_eq!((b.html.as_str(), b.reduced), ("<p>plain</p>", false));
        assert!(!part_body("<p>kept</p>", "").reduced);
        let b = part_body(
            r#"<div style="x"><p onclick="y()">Hi</p><script>alert(1)</script><img src="cid:abc"></div>"#,
            "",
        );
        assert!(b.reduced);
        assert!(b.html.contains("Hi") && !b.html.contains("alert") && !b.html.contains("onclick"));
        assert_eq!(b.images_removed, 1);
    }
}
