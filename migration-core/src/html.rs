//! Reducing Glassix e-mail HTML to what Intercom accepts in conversation and ticket part bodies.
//!
//! Kept: paragraphs, line breaks, bold/italic, links (http, https, mailto), lists, `code`/`pre`,
//! and images whose `src` is an absolute http(s) URL. Removed with their content: `script`,
//! `style`, `title`, `noscript`, `template`. Removed keeping their text: every other element
//! and every attribute except `href`, `src` and `alt` (so event handlers and inline styles go).
//! Layout elements become line breaks (`div`, `tr`, `table`, `blockquote`), table cells a
//! space, headings bold text; tracking pixels (1×1 or 0×0 images, or well-known tracking URLs)
//! and images without an http(s) source (e.g. inline `cid:` attachments) are dropped and counted.
//!
//! Plain text becomes HTML through [`text_to_html`]: escaped, blank lines → paragraphs, single
//! newlines → `<br>`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The outcome of [`HtmlReducer::reduce`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduced {
    /// The reduced HTML (may be empty).
    pub html: String,
    /// Tracking pixels removed.
    pub tracking_pixels_removed: usize,
    /// Other images removed (no http(s) source, e.g. `cid:` inline attachments).
    pub images_removed: usize,
}

/// A reusable HTML reducer (building one is comparatively expensive; share it).
pub struct HtmlReducer {
    builder: ammonia::Builder<'static>,
}

impl std::fmt::Debug for HtmlReducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HtmlReducer").finish_non_exhaustive()
    }
}

impl Default for HtmlReducer {
    fn default() -> Self {
        Self::new()
    }
}

const KEPT: [&str; 13] = [
    "p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li", "code", "pre", "img",
];
const LAYOUT: [&str; 16] = [
    "div",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
];

impl HtmlReducer {
    /// A reducer with the rules described in the [module documentation](self).
    pub fn new() -> Self {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(KEPT.iter().chain(LAYOUT.iter()).copied().collect())
            .clean_content_tags(["script", "style", "title", "noscript", "template"].into())
            .tag_attributes(HashMap::from([
                ("a", HashSet::from(["href"])),
                ("img", HashSet::from(["src", "alt", "width", "height"])),
            ]))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer"))
            .strip_comments(true);
        HtmlReducer { builder }
    }

    /// Reduce one HTML body.
    pub fn reduce(&self, html: &str) -> Reduced {
        let cleaned = self.builder.clean(html).to_string();
        rewrite(&cleaned)
    }
}

static SHARED: LazyLock<HtmlReducer> = LazyLock::new(HtmlReducer::new);

/// Reduce with a shared [`HtmlReducer`]; returns only the HTML.
pub fn reduce_html(html: &str) -> String {
    SHARED.reduce(html).html
}

/// Plain text → HTML: escaped, paragraphs on blank lines, `<br>` on single newlines.
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 16);
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if para.is_empty() {
            return;
        }
        out.push_str("<p>");
        for (i, line) in para.iter().enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            escape_into(line, out);
        }
        out.push_str("</p>");
        para.clear();
    };
    for line in text.split('\n') {
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// The body for an Intercom part: reduced HTML, or plain text turned into HTML.
pub fn to_part_body(content: &str, is_html: bool) -> String {
    if is_html {
        reduce_html(content)
    } else {
        text_to_html(content)
    }
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Rewrite ammonia's normalised output (double-quoted attributes, no comments).
fn rewrite(html: &str) -> Reduced {
    let mut out = String::with_capacity(html.len());
    let (mut pixels, mut images) = (0, 0);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tag_and_after = &rest[start..];
        let Some(end) = tag_end(tag_and_after) else {
            out.push_str(tag_and_after);
            rest = "";
            break;
        };
        let tag = &tag_and_after[..=end];
        rest = &tag_and_after[end + 1..];
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("img", _) => match image(tag) {
                Image::Keep(s) => out.push_str(&s),
                Image::Pixel => pixels += 1,
                Image::Unusable => images += 1,
            },
            ("div" | "table" | "thead" | "tbody" | "tfoot" | "tr" | "blockquote", false) => {}
            ("div" | "table" | "thead" | "tbody" | "tfoot" | "tr" | "blockquote", true) => {
                out.push_str("<br>")
            }
            ("hr", _) => out.push_str("<br>"),
            ("td" | "th", false) => {}
            ("td" | "th", true) => out.push(' '),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => out.push_str("<b>"),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => out.push_str("</b><br>"),
            _ => out.push_str(tag),
        }
    }
    out.push_str(rest);
    Reduced {
        html: tidy(&out),
        tracking_pixels_removed: pixels,
        images_removed: images,
    }
}

/// Index of the `>` closing the tag that starts at 0, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut in_quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '>' if !in_quote => return Some(i),
            _ => {}
        }
    }
    None
}

enum Image {
    Keep(String),
    Pixel,
    Unusable,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

const TRACKING_HINTS: [&str; 7] = [
    "pixel", "beacon", "/track", "/open?", "/open.", "/wf/open", "tracking",
];

fn image(tag: &str) -> Image {
    let Some(src) = attr(tag, "src") else {
        return Image::Unusable;
    };
    let lower = src.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Image::Unusable;
    }
    let tiny = |a: &str| {
        attr(tag, a)
            .and_then(|v| v.trim_end_matches("px").trim().parse::<u32>().ok())
            .is_some_and(|n| n <= 1)
    };
    if tiny("width") || tiny("height") || TRACKING_HINTS.iter().any(|h| lower.contains(h)) {
        return Image::Pixel;
    }
    let mut kept = format!("<img src=\"{src}\"");
    if let Some(alt) = attr(tag, "alt") {
        kept.push_str(&format!(" alt=\"{alt}\""));
    }
    kept.push('>');
    Image::Keep(kept)
}

/// Collapse runs of more than two `<br>`, drop empty paragraphs and leading/trailing breaks.
fn tidy(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut breaks = 0;
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<br>") {
            breaks += 1;
            rest = after;
            continue;
        }
        let ws = rest.len() - rest.trim_start().len();
        if breaks > 0 && ws > 0 {
            rest = &rest[ws..];
            continue;
        }
        if breaks > 0 {
            if !out.trim().is_empty() && !rest.starts_with("</") && !rest.starts_with("<p>") {
                for _ in 0..breaks.min(2) {
                    out.push_str("<br>");
                }
            }
            breaks = 0;
        }
        let next = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    let out = out.replace("<p></p>", "");
    out.trim().to_owned()
}

#[cfg(test)]
mod tests;
