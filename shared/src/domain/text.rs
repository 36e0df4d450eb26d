//! Text helpers shared by the ticket pages, the reports and the AI reviewer: what a message says once
//! its HTML is gone, and which order ids it mentions.

/// The visible text of a message: tags removed, the common entities decoded, whitespace collapsed.
/// Used for lengths and for prompts; never for rendering (rendering sanitises with an allow-list).
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if in_tag {
            if c == '>' {
                in_tag = false;
                // A tag separates words ("a<br>b" reads as "a b").
                out.push(' ');
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '<' && rest[1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/' || n == '!') {
            in_tag = true;
            rest = &rest[1..];
            continue;
        }
        if c == '&' {
            if let Some((decoded, len)) = entity(rest) {
                out.push(decoded);
                rest = &rest[len..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn entity(s: &str) -> Option<(char, usize)> {
    const NAMED: &[(&str, char)] = &[
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&apos;", '\''),
        ("&nbsp;", ' '),
    ];
    for (name, ch) in NAMED {
        if s.starts_with(name) {
            return Some((*ch, name.len()));
        }
    }
    let end = s.find(';').filter(|&e| e <= 10)?;
    let body = s.get(2..end).filter(|_| s.starts_with("&#"))?;
    let code = match body.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => body.parse().ok()?,
    };
    Some((char::from_u32(code)?, end + 1))
}

/// Every 6–10 digit number in the text, in order of first appearance, without repeats. A longer run of
/// digits (a phone number, a card) is not an order id, nor are digits glued to letters ("ab123456").
pub fn order_ids(text: &str) -> Vec<i64> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let glued_before = start > 0 && bytes[start - 1].is_ascii_alphabetic();
        let glued_after = i < bytes.len() && bytes[i].is_ascii_alphabetic();
        let len = i - start;
        if (6..=10).contains(&len) && !glued_before && !glued_after {
            if let Ok(id) = text[start..i].parse::<i64>() {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

/// The order ids a message's HTML mentions: `order_ids` of its visible text. Most messages are plain
/// text; they skip the tag stripping (whitespace does not change which digit runs are ids).
pub fn order_ids_in_html(html: &str) -> Vec<i64> {
    if html.contains(['<', '&']) {
        order_ids(&plain_text(html))
    } else {
        order_ids(html)
    }
}

/// The complaint type of a ticket subject: the part after the last " - " ("Orders - Refill" → "Refill").
pub fn complaint(subject: &str) -> &str {
    match subject.rfind(" - ") {
        Some(at) => subject[at + 3..].trim(),
        None => subject.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_html_match_ids_in_text() {
        for html in
            ["order 1234567, 7654321", "<p>order</p>1234567<br>x", "a&amp;1234567", "ab1234567 123456"]
        {
            assert_eq!(order_ids_in_html(html), order_ids(&plain_text(html)), "{html}");
        }
    }

    #[test]
    fn strips_tags_and_collapses_whitespace() {
        assert_eq!(plain_text("<p>Hello&nbsp;<b>there</b></p>\n\n<br/>Order  123"), "Hello there Order 123");
        assert_eq!(plain_text("a &lt; b &amp;&amp; 2 < 3"), "a < b && 2 < 3");
        assert_eq!(plain_text("&#39;x&#x27;"), "'x'");
        assert_eq!(plain_text("<script>alert(1)</script>ok"), "alert(1) ok");
        assert_eq!(plain_text("broken <b"), "broken");
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn finds_six_to_ten_digit_ids_once() {
        let text = "Order 1234567 and #7654321, again 1234567; not 12345 nor 12345678901 nor ab123456 but (99999999)";
        assert_eq!(order_ids(text), vec![1234567, 7654321, 99999999]);
        assert_eq!(order_ids("id:1000000,1000001"), vec![1000000, 1000001]);
        assert!(order_ids("").is_empty());
    }

    #[test]
    fn complaint_is_the_last_part_of_the_subject() {
        assert_eq!(complaint("Orders - Refill"), "Refill");
        assert_eq!(complaint("Orders - Speed - Slow start"), "Slow start");
        assert_eq!(complaint("Payment"), "Payment");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["<", "&", "&#", "&#x;", "&#99999999999;", "é<é>é", "<\u{1F600}", "1\u{1F600}234567"] {
            let _ = plain_text(s);
            let _ = order_ids(s);
            let _ = complaint(s);
        }
    }
}
