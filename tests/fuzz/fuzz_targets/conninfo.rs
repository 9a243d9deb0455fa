//! Fuzzes connection strings: a URL or conninfo string, however malformed, resolves or gives an
//! error without panicking, and the password it carries never shows in the error or in the
//! target's description.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scsctl::connect::{Env, Target};

/// Marks the password so that it cannot be mistaken for other text of the input.
const MARK: &str = "Pw9zQ";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line picks the password's own characters; the rest is the connection string
    // it goes into: a URL's user info, or a conninfo `password` key.
    let (secret, rest) = text.split_once('\n').unwrap_or(("", &text));
    let secret: String = secret
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let password = format!("{MARK}{secret}");
    if rest.contains(MARK) {
        return;
    }
    // A URL when `://` comes before any space or `=` (its user info is the password's slot);
    // else conninfo, where `://` may sit inside a value and is no slot for a password.
    let input = match rest.split_once("://") {
        Some((scheme, after)) if !scheme.contains([' ', '=']) => {
            format!("{scheme}://u:{password}@{after}")
        }
        _ => format!("password={password} {rest}"),
    };
    // No environment, home or password file: only what the string says.
    let env = Env::from_vars(std::iter::empty::<(String, String)>());
    match Target::resolve(Some(&input), &env) {
        Ok(target) => {
            let shown = format!("{} {:?} {:?}", target.describe(), target, target.warnings());
            assert!(!shown.contains(&password), "password shown: {shown}");
        }
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(&password), "password in error: {shown}");
        }
    }
});
