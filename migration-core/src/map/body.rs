//! Message bodies: HTML reduced to what Intercom part bodies accept, plain text for the one
//! place that takes no HTML (a conversation's opening message).
//!
//! The reduction is behind [`reduce_html`] alone, so switching to the crate-wide sanitiser
//! (`crate::html`, when it lands) is a one-line change.

use std::collections::HashSet;

/// Tags kept in part bodies: text structure, emphasis, links, lists, quotes, code and images.
/// Everything else is removed (its text kept); `script` and `style` are removed with their
/// content.
const KEPT_TAGS: [&str; 22] = [
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "h1",
    "h2",
    "h3",
    "img",
    "table",
    "tr",
    "td",
    "th",
];

/// Reduces e-mail HTML to the subset Intercom renders in part bodies: unknown tags unwrapped,
/// attributes other than `href`/`src`/`alt` dropped, only http(s)/mailto links kept, scripts and
/// styles removed with their content. The result is safe to send as a part body.
pub fn reduce_html(html: &str) -> String {
    let tags: HashSet<&str> = KEPT_TAGS.into_iter().collect();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    let mut attrs = std::collections::HashMap::new();
    attrs.insert("a", ["href"].into_iter().collect::<HashSet<&str>>());
    attrs.insert("img", ["src", "alt"].into_iter().collect::<HashSet<&str>>());
    ammonia::Builder::default()
        .tags(tags)
        .tag_attributes(attrs)
        .generic_attributes(HashSet::new())
        .url_schemes(schemes)
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
        .trim()
        .to_owned()
}

/// Escapes plain text as HTML, one `<p>` per line (blank lines dropped).
pub fn text_to_html(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect()
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

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The part body of a Glassix message: its HTML reduced when it has any, else its text as
/// HTML paragraphs. The flag says whether the reduction removed markup.
pub(crate) fn part_body(html: &str, text: &str) -> (String, bool) {
    if html.trim().is_empty() {
        return (text_to_html(text), false);
    }
    let reduced = reduce_html(html);
    let changed = normalise(&reduced) != normalise(html);
    (reduced, changed)
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_keeps_structure_drops_scripts_styles_and_attributes() {
        let html = r#"<div style="color:red"><p class="x">Hi <b>there</b></p><script>alert(1)</script><style>p{}</style><a href="https://e.com" onclick="x()">link</a><a href="javascript:evil()">bad</a><font face="Arial">text</font></div>"#;
        let out = reduce_html(html);
        assert!(out.contains("<p>Hi <b>there</b></p>"), "{out}");
        assert!(!out.contains("script") && !out.contains("alert"), "{out}");
        assert!(!out.contains("style") && !out.contains("p{}"), "{out}");
        assert!(!out.contains("onclick") && !out.contains("class="), "{out}");
        assert!(out.contains(r#"href="https://e.com""#), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(out.contains("text") && !out.contains("<font"), "{out}");
    }

    #[test]
    fn text_and_html_round_trips() {
        assert_eq!(text_to_html("a < b\n\nc"), "<p>a &lt; b</p><p>c</p>");
        assert_eq!(
            html_to_text("<p>Hello &amp; welcome</p><p>Line<br>two</p>"),
            "Hello & welcome\nLine\ntwo"
        );
        let (b, changed) = part_body("", "plain");
        assert_eq!((b.as_str(), changed), ("<p>plain</p>", false));
        let (_, changed) = part_body("<p>kept</p>", "");
        assert!(!changed);
        let (_, changed) = part_body("<table2>x</table2>", "");
        assert!(changed);
    }
}
