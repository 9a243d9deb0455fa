//! Escaping of untrusted text before it reaches a terminal.
//!
//! Everything scsctl shows may come from the database (tokens, values, table names, the
//! server's own messages), and a stored byte must not be able to move the cursor, recolour the
//! screen or reorder what is shown. This is the one place that decides which characters a
//! terminal obeys and how they are written instead: [`escape`] for text on a terminal,
//! [`to_json`] for JSON. The codec's JSON writer, the output layer and error reports use it.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Error, Result};

/// Whether a terminal would act on `c` if printed raw: control characters (C0, DEL, C1) and
/// the bidi embedding, override and isolate characters.
pub fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Escapes what must not reach a terminal raw: C0 and C1 control characters, DEL, and Unicode
/// bidirectional overrides, so that no stored byte can move the cursor, recolour the screen or
/// reorder what is shown. Printable text, including non-ASCII, is kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x1b' => out.push_str("\\e"),
            c if is_terminal_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Compact JSON of `value`, with every character [`escape`] would escape written as a `\uXXXX`
/// escape: serde_json escapes only what JSON requires (C0 controls), which leaves DEL, C1
/// controls such as U+009B (CSI) and bidi overrides raw on a terminal. The parsed value is the
/// same.
pub fn to_json(value: &Value) -> Result<String> {
    serde_json::to_string(value)
        .map(escape_json)
        .map_err(|e| Error::Data(format!("cannot render JSON: {e}")))
}

/// Escapes, in serialized JSON, the characters serde_json leaves raw but a terminal obeys.
/// They can only occur inside strings (JSON's structure is ASCII), where `\uXXXX` is valid.
/// C0 controls are left alone: inside strings serde_json has escaped them already, so a raw
/// one is a pretty-printing newline.
pub fn escape_json(text: String) -> String {
    let raw = |c: char| c >= '\u{7f}' && is_terminal_control(c);
    if !text.chars().any(raw) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if raw(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_a_terminal_obeys_and_keeps_the_value() {
        let value = serde_json::json!({"t": "a\u{1b}[2J\u{7f}\u{9b}31m\u{202e}z\n"});
        let text = to_json(&value).unwrap();
        assert_eq!(text, r#"{"t":"a\u001b[2J\u007f\u009b31m\u202ez\n"}"#);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        let pretty = escape_json(serde_json::to_string_pretty(&value).unwrap());
        assert!(
            pretty.contains('\n') && !pretty.contains('\u{9b}'),
            "{pretty}"
        );
    }

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape("plain Café"), "plain Café");
        assert_eq!(escape("a\x1b[2Jb"), "a\\e[2Jb");
        assert_eq!(escape("x\ny\u{7}"), "x\\ny\\u{7}");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("\u{202e}abc"), "\\u{202e}abc");
    }
}
