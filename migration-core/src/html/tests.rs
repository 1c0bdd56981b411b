//! HTML reduction cases.

use super::*;

fn r(html: &str) -> String {
    HtmlReducer::new().reduce(html).html
}

#[test]
fn keeps_what_intercom_accepts() {
    let html = "<p>Hello <b>bold</b> <strong>strong</strong> <i>it</i> <em>em</em><br>next</p>\
                <ul><li>one</li></ul><ol><li>two</li></ol><pre><code>let x = 1;</code></pre>\
                <p><a href=\"https://example.com/a?b=1&amp;c=2\">link</a></p>";
    let out = r(html);
    for needle in [
        "<p>Hello <b>bold</b> <strong>strong</strong> <i>it</i> <em>em</em><br>next</p>",
        "<ul><li>one</li></ul>",
        "<ol><li>two</li></ol>",
        "<pre><code>let x = 1;</code></pre>",
        "href=\"https://example.com/a?b=1&amp;c=2\"",
        ">link</a>",
    ] {
        assert!(out.contains(needle), "missing {needle} in {out}");
    }
}

#[test]
fn strips_scripts_styles_handlers_and_bad_links() {
    let html = "<style>p{color:red}</style><script>alert(1)</script>\
                <p onclick=\"steal()\" style=\"color:red\" class=\"x\">text</p>\
                <a href=\"javascript:alert(1)\">js</a> <a href=\"/relative\">rel</a>\
                <img src=\"x\" onerror=\"alert(1)\"><iframe src=\"https://evil\"></iframe>\
                <title>Subject</title><!-- comment -->";
    let out = r(html);
    for bad in [
        "alert",
        "color",
        "onclick",
        "class",
        "javascript",
        "relative",
        "iframe",
        "Subject",
        "comment",
        "<script",
        "onerror",
    ] {
        assert!(!out.contains(bad), "{bad} survived: {out}");
    }
    assert!(out.contains("<p>text</p>"), "{out}");
    assert!(out.contains("js"), "link text is kept: {out}");
}

#[test]
fn images_keep_http_sources_and_drop_pixels_and_cid() {
    let reducer = HtmlReducer::new();
    let out = reducer.reduce(
        "<p>logo <img src=\"https://cdn.example.com/logo.png\" alt=\"Logo\" width=\"120\" style=\"x\"></p>\
         <img src=\"https://t.example.com/o.gif\" width=\"1\" height=\"1\">\
         <img src=\"https://mail.example.com/track/open?id=9\">\
         <img src=\"cid:image001.png@01D\">\
         <img src=\"data:image/png;base64,AAAA\">",
    );
    assert!(
        out.html
            .contains("<img src=\"https://cdn.example.com/logo.png\" alt=\"Logo\">"),
        "{}",
        out.html
    );
    assert!(
        !out.html.contains("o.gif") && !out.html.contains("track") && !out.html.contains("cid")
    );
    assert_eq!(out.tracking_pixels_removed, 2);
    assert_eq!(out.images_removed, 2);
}

#[test]
fn layout_becomes_line_breaks_and_cells_spaces() {
    let out = r(
        "<div>first</div><div>second</div><table><tr><td>a</td><td>b</td></tr>\
                 <tr><td>c</td></tr></table><h2>Title</h2><blockquote>quoted</blockquote>",
    );
    assert!(out.starts_with("first<br>second<br>"), "{out}");
    assert!(out.contains("a b "), "{out}");
    assert!(out.contains("<b>Title</b>"), "{out}");
    assert!(!out.contains("<table") && !out.contains("<td") && !out.contains("<div"));
    assert!(!out.contains("<br><br><br>"), "{out}");
    assert!(!out.ends_with("<br>"), "{out}");
}

#[test]
fn right_to_left_scripts_and_emoji_survive() {
    let html = "<div dir=\"rtl\"><p>שלום, מה שלומך? 👋</p><p>مرحبا بالعالم 🌍</p></div>";
    let out = r(html);
    assert!(out.contains("<p>שלום, מה שלומך? 👋</p>"), "{out}");
    assert!(out.contains("<p>مرحبا بالعالم 🌍</p>"), "{out}");
    assert!(!out.contains("dir="));
    let text = text_to_html("שלום <עולם>\nשורה 2 😀\n\nمرحبا & \"وداعا\"");
    assert_eq!(
        text,
        "<p>שלום &lt;עולם&gt;<br>שורה 2 😀</p><p>مرحبا &amp; &quot;وداعا&quot;</p>"
    );
}

#[test]
fn plain_text_is_escaped_with_paragraphs_and_breaks() {
    assert_eq!(
        text_to_html("Hi <b>there</b> & 'you'\r\nline two\r\n\r\n\r\nnext para\n"),
        "<p>Hi &lt;b&gt;there&lt;/b&gt; &amp; &#39;you&#39;<br>line two</p><p>next para</p>"
    );
    assert_eq!(text_to_html(""), "");
    assert_eq!(text_to_html("\n \n"), "");
    assert_eq!(to_part_body("a\nb", false), "<p>a<br>b</p>");
    assert_eq!(to_part_body("<p>a</p><script>x</script>", true), "<p>a</p>");
}

#[test]
fn empty_and_whitespace_only_html_reduce_to_nothing() {
    assert_eq!(r(""), "");
    assert_eq!(r("<div><br><br></div><p></p>"), "");
    assert_eq!(r("<script>only</script>"), "");
}

#[test]
fn a_huge_email_is_reduced() {
    let mut html = String::from("<html><head><style>.x{}</style></head><body>");
    let row = "<tr><td style=\"padding:4px\"><p>Line with <b>bold</b> and <a href=\"https://example.com/x\">a link</a> שלום 👍</p></td></tr>";
    for _ in 0..20_000 {
        html.push_str("<table>");
        html.push_str(row);
        html.push_str("</table>");
    }
    html.push_str(
        "<img src=\"https://t.example.com/p.gif\" width=\"1\" height=\"1\"></body></html>",
    );
    assert!(html.len() > 2_500_000);
    let out = HtmlReducer::new().reduce(&html);
    assert_eq!(out.html.matches("<b>bold</b>").count(), 20_000);
    assert_eq!(out.tracking_pixels_removed, 1);
    assert!(!out.html.contains("style") && !out.html.contains("<table"));
    assert!(out.html.len() < html.len());
}
