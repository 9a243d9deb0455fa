//! Parsing of libpq connection strings: `postgres://` URLs and `key=value` conninfo.
//!
//! The result is only a map of known keys to raw values; checking the values, the environment
//! and the defaults are the caller's business. Error messages never quote a password.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::error::{Error, Result};

/// Every key scsctl accepts, in the order `describe`-like output uses.
pub const KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "connect_timeout",
    "application_name",
    "options",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "target_session_attrs",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "service",
];

/// The parameters a connection string set explicitly (an empty value still counts as set,
/// as in libpq: it stops the environment from filling that key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: HashMap<&'static str, String>,
}

impl Params {
    /// The value given for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub(super) fn set(&mut self, key: &str, value: String, origin: &str) -> Result<()> {
        let Some(known) = KEYS.iter().find(|k| **k == key) else {
            return Err(Error::Usage(format!(
                "invalid connection option {} in {origin}",
                shown(key)
            )));
        };
        self.values.insert(known, value);
        Ok(())
    }
}

/// A key from the input, quoted for an error message; one with `@` or `:` in it (`user:secret@host`
/// typed without a scheme) is not shown, for it may hold a password.
fn shown(key: &str) -> String {
    if key.contains(['@', ':']) {
        "(not shown: it has '@' or ':' in it, and may hold a password)".into()
    } else {
        format!("\"{key}\"")
    }
}

/// Parses a URL (`postgres://` or `postgresql://`) or a `key=value` conninfo string.
pub fn parse(input: &str) -> Result<Params> {
    for scheme in ["postgresql://", "postgres://"] {
        if let Some(rest) = input.strip_prefix(scheme) {
            return parse_url(rest);
        }
    }
    // Any other scheme (`postgress://`, `jdbc:postgresql://`): a URL all the same, and its user
    // info may hold a password that an error about a strange conninfo key would show.
    let first_key = input.split(['=', ' ']).next().unwrap_or_default();
    let looks_like_url = first_key.contains("://");
    if looks_like_url {
        return Err(Error::Usage(
            "invalid connection URL: the scheme must be postgres:// or postgresql://".into(),
        ));
    }
    parse_conninfo(input)
}

fn parse_conninfo(input: &str) -> Result<Params> {
    let mut params = Params::default();
    let mut chars = input.chars().peekable();
    let mut after_password = false;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            // Right after an unquoted password with a space in it, the "key" is the rest of
            // the password: don't show it.
            if after_password && !KEYS.contains(&key.as_str()) {
                return Err(Error::Usage(
                    "missing \"=\" in connection info string after the password (quote values that contain spaces: password='...')".into(),
                ));
            }
            return Err(Error::Usage(format!(
                "missing \"=\" after {} in connection info string",
                shown(&key)
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(Error::Usage(format!(
                            "unterminated quoted string for {} in connection info string",
                            shown(&key)
                        )));
                    }
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(Error::Usage(format!(
                                "unterminated quoted string for {} in connection info string",
                                shown(&key)
                            )));
                        }
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        // An unknown key right after an unquoted password may be the rest of the password
        // (`password=abc def=ghi`): don't show it either.
        if after_password && !KEYS.contains(&key.as_str()) {
            return Err(Error::Usage(
                "invalid connection option after the password (quote values that contain spaces: password='...')".into(),
            ));
        }
        after_password = key == "password";
        params.set(&key, value, "connection info string")?;
    }
}

fn parse_url(rest: &str) -> Result<Params> {
    let mut params = Params::default();
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (before_query, None),
    };
    if misplaced_userinfo(rest) {
        return Err(Error::Usage(
            "malformed URL: \"@\" after the first \"/\" or \"?\"; percent-encode \"/\" (%2F), \"?\" (%3F) and \"@\" (%40) in the user name, password and database name".into(),
        ));
    }
    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, hostspec)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            let user = decode(user, "user name")?;
            if !user.is_empty() {
                params.set("user", user, "the URL")?;
            }
            if let Some(password) = password {
                params.set("password", decode(password, "password")?, "the URL")?;
            }
            hostspec
        }
        None => authority,
    };
    parse_hostspec(hostspec, &mut params)?;
    if let Some(path) = path {
        let dbname = decode(path, "database name")?;
        if !dbname.is_empty() {
            params.set("dbname", dbname, "the URL")?;
        }
    }
    let mut after_password = false;
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        // What follows a password parameter may be the rest of a password with a raw '&' in
        // it (`?password=a&b`): never quote it back.
        let cut_password = || {
            Error::Usage(
                "malformed URL query after the password: percent-encode \"&\" (%26) and \"=\" (%3D) in it".into(),
            )
        };
        let Some((key, value)) = pair.split_once('=') else {
            if after_password {
                return Err(cut_password());
            }
            return Err(Error::Usage(format!(
                "missing \"=\" in URL query parameter \"{}\"",
                decode(pair, "query parameter")?
            )));
        };
        let key = decode(key, "query parameter")?;
        if after_password && key != "ssl" && !KEYS.contains(&key.as_str()) {
            return Err(cut_password());
        }
        after_password = key == "password";
        let value = decode(value, &format!("value of query parameter \"{key}\""))?;
        if key == "ssl" {
            // JDBC compatibility, as libpq: ssl=true means sslmode=require.
            if value != "true" {
                return Err(Error::Usage(format!(
                    "invalid value \"{value}\" for URL query parameter \"ssl\" (only \"true\" is accepted)"
                )));
            }
            params.set("sslmode", "require".into(), "the URL query")?;
            continue;
        }
        params.set(&key, value, "the URL query")?;
    }
    Ok(params)
}

/// Whether the URL's user info seems cut by a raw '/' or '?' in the password
/// (`u:se/cret@h`): then what looks like a port or a query is part of the password, and must
/// not be quoted back in an error.
fn misplaced_userinfo(rest: &str) -> bool {
    let Some(cut) = rest.find(['/', '?']) else {
        return false;
    };
    let (authority, remainder) = rest.split_at(cut);
    let at = remainder.find('@');
    let equals = remainder.find('=');
    !authority.contains('@')
        && authority.contains(':')
        && at.is_some_and(|at| equals.is_none_or(|eq| at < eq))
}

/// `host1:port1,[::1]:port2,...` into the comma-separated `host` and `port` values.
fn parse_hostspec(spec: &str, params: &mut Params) -> Result<()> {
    if spec.is_empty() {
        return Ok(());
    }
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for item in spec.split(',') {
        let (host, port) = if let Some(bracketed) = item.strip_prefix('[') {
            let Some((host, after)) = bracketed.split_once(']') else {
                return Err(Error::Usage(format!(
                    "missing \"]\" after the IPv6 host address \"{item}\" in the URL"
                )));
            };
            if host.is_empty() {
                return Err(Error::Usage("empty IPv6 host address in the URL".into()));
            }
            let port = match after {
                "" => "",
                _ => after.strip_prefix(':').ok_or_else(|| {
                    Error::Usage(format!(
                        "unexpected \"{after}\" after the IPv6 host address \"{host}\" in the URL"
                    ))
                })?,
            };
            (host, port)
        } else {
            item.split_once(':').unwrap_or((item, ""))
        };
        hosts.push(decode(host, "host name")?);
        ports.push(decode(port, "port")?);
    }
    params.set("host", hosts.join(","), "the URL")?;
    if ports.iter().any(|p| !p.is_empty()) {
        params.set("port", ports.join(","), "the URL")?;
    }
    Ok(())
}

/// Percent-decodes one URL component; `what` names it in errors (never its value, which may be
/// a password).
fn decode(text: &str, what: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::Usage(format!("invalid percent-encoding in the URL's {what}"))
                })?;
            if hex == 0 {
                return Err(Error::Usage(format!(
                    "forbidden value %00 in the URL's {what}"
                )));
            }
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::Usage(format!("the URL's {what} is not valid UTF-8 once decoded")))
}

/// Quotes a value for conninfo output when it needs it (empty, spaces, quotes, backslashes).
pub fn quote(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_owned();
    }
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        let _ = out.write_char(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(input: &str) -> Params {
        parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    fn usage(input: &str) -> String {
        match parse(input) {
            Err(Error::Usage(msg)) => msg,
            other => panic!("{input}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn empty_string_sets_nothing() {
        assert_eq!(get(""), Params::default());
        assert_eq!(get("   "), Params::default());
        assert_eq!(get("postgres://"), Params::default());
        assert_eq!(get("postgresql:///"), Params::default());
    }

    #[test]
    fn url_with_all_parts() {
        let p = get(
            "postgresql://app:s3cret@db.example.com:6543/appdb?sslmode=verify-full&application_name=x&connect_timeout=5",
        );
        assert_eq!(p.get("user"), Some("app"));
        assert_eq!(p.get("password"), Some("s3cret"));
        assert_eq!(p.get("host"), Some("db.example.com"));
        assert_eq!(p.get("port"), Some("6543"));
        assert_eq!(p.get("dbname"), Some("appdb"));
        assert_eq!(p.get("sslmode"), Some("verify-full"));
        assert_eq!(p.get("application_name"), Some("x"));
        assert_eq!(p.get("connect_timeout"), Some("5"));
    }

    #[test]
    fn url_short_scheme_and_partial_parts() {
        let p = get("postgres://localhost");
        assert_eq!(p.get("host"), Some("localhost"));
        assert_eq!(p.get("port"), None);
        let p = get("postgres://user@/db");
        assert_eq!(p.get("user"), Some("user"));
        assert_eq!(p.get("host"), None);
        assert_eq!(p.get("dbname"), Some("db"));
        let p = get("postgres://:5433");
        assert_eq!(p.get("host"), Some(""));
        assert_eq!(p.get("port"), Some("5433"));
        let p = get("postgres://h?user=u");
        assert_eq!(p.get("user"), Some("u"));
    }

    #[test]
    fn url_percent_escapes() {
        let p = get(
            "postgres://us%40er:p%3Aw%2Fd%20x@%2Fvar%2Frun%2Fpostgresql/my%20db?options=-c%20a%3Db",
        );
        assert_eq!(p.get("user"), Some("us@er"));
        assert_eq!(p.get("password"), Some("p:w/d x"));
        assert_eq!(p.get("host"), Some("/var/run/postgresql"));
        assert_eq!(p.get("dbname"), Some("my db"));
        assert_eq!(p.get("options"), Some("-c a=b"));
        // A raw ':' after the first one belongs to the password; the last '@' ends userinfo.
        let p = get("postgres://u:a:b@c@h/d");
        assert_eq!(p.get("user"), Some("u"));
        assert_eq!(p.get("password"), Some("a:b@c"));
        assert_eq!(p.get("host"), Some("h"));
    }

    #[test]
    fn url_ipv6_and_multi_host() {
        let p = get("postgres://[::1]:5433/db");
        assert_eq!(p.get("host"), Some("::1"));
        assert_eq!(p.get("port"), Some("5433"));
        let p =
            get("postgresql://h1:5432,[fe80::1%25eth0],h3:5434/db?target_session_attrs=read-write");
        assert_eq!(p.get("host"), Some("h1,fe80::1%eth0,h3"));
        assert_eq!(p.get("port"), Some("5432,,5434"));
        assert_eq!(p.get("target_session_attrs"), Some("read-write"));
        let p = get("postgresql://h1,h2/db");
        assert_eq!(p.get("host"), Some("h1,h2"));
        assert_eq!(p.get("port"), None);
    }

    #[test]
    fn url_ssl_true_is_require() {
        assert_eq!(
            get("postgres://h/d?ssl=true").get("sslmode"),
            Some("require")
        );
        assert!(usage("postgres://h/d?ssl=yes").contains("ssl"));
    }

    #[test]
    fn malformed_urls_name_the_part_but_not_the_password() {
        let msg = usage("postgres://u:pa%zzss@h/d");
        assert!(msg.contains("password"), "{msg}");
        assert!(!msg.contains("pa%zzss"), "{msg}");
        assert!(usage("postgres://h/d%2").contains("database name"));
        let msg = usage("postgres://u:se/cret@h/d");
        assert!(!msg.contains("cret"), "{msg}");
        let msg = usage("postgres://u:se?cret@h/d");
        assert!(!msg.contains("cret") && msg.contains("%3F"), "{msg}");
        // An '@' in a query value is fine.
        assert_eq!(
            get("postgres://h:5432/d?application_name=me@x").get("application_name"),
            Some("me@x")
        );
        assert!(msg.contains("%2F"), "{msg}");
        assert!(usage("postgres://h/d%00").contains("%00"));
        assert!(usage("postgres://[::1/d").contains("]"));
        assert!(usage("postgres://[::1]x/d").contains("\"x\""));
        assert!(usage("postgres://h/d?sslmode").contains("\"sslmode\""));
        assert!(usage("postgres://h/d?bogus=1").contains("\"bogus\""));
        assert!(usage("mysql://h/d").contains("scheme"));
        // A URL inside a conninfo value is just a value.
        assert_eq!(
            get("application_name=http://x").get("application_name"),
            Some("http://x")
        );
    }

    #[test]
    fn conninfo_plain_and_quoted() {
        let p = get("host=localhost port=5433  dbname = app user='a b' password='it\\'s \\\\ x'");
        assert_eq!(p.get("host"), Some("localhost"));
        assert_eq!(p.get("port"), Some("5433"));
        assert_eq!(p.get("dbname"), Some("app"));
        assert_eq!(p.get("user"), Some("a b"));
        assert_eq!(p.get("password"), Some("it's \\ x"));
        let p = get("password=a\\ b user=''");
        assert_eq!(p.get("password"), Some("a b"));
        assert_eq!(p.get("user"), Some(""));
        // Later keys win.
        assert_eq!(get("port=1 port=2").get("port"), Some("2"));
        let p = get("host=h1,h2 port=5432,5433 sslmode=verify-ca sslrootcert=/x/ca.pem");
        assert_eq!(p.get("host"), Some("h1,h2"));
        assert_eq!(p.get("sslrootcert"), Some("/x/ca.pem"));
    }

    #[test]
    fn malformed_conninfo() {
        assert!(usage("mydb").contains("\"mydb\""));
        assert!(usage("host=h port").contains("\"port\""));
        assert!(usage("password='abc").contains("unterminated"));
        let msg = usage("user=u password=two words host=h");
        assert!(!msg.contains("words"), "{msg}");
        assert!(msg.contains("after the password"), "{msg}");
        assert!(usage("password=x user=a b").contains("\"b\""));
        let msg = usage("host=h sslfoo=1");
        assert!(msg.contains("\"sslfoo\""), "{msg}");
    }

    #[test]
    fn quote_round_trips() {
        for value in ["plain", "", "a b", "it's", "back\\slash"] {
            let p = get(&format!("user={}", quote(value)));
            assert_eq!(p.get("user"), Some(value));
        }
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a b"), "'a b'");
    }
}
