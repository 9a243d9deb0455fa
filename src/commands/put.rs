//! `scsctl put`: create or replace one session with SCS's own upsert.

use std::io::Read;
use std::time::SystemTime;

use serde_json::json;

use super::open_store;
use crate::cli::{OutputFormat, PutArgs};
use crate::config::Config;
use crate::duration::{parse_time, rfc3339_micros};
use crate::error::{Error, Result};
use crate::gob::Iface;
use crate::output::Output;
use crate::session::{self, Decoded, Session};
use crate::store::Store;
use crate::token;

/// Writes the session and prints its token.
pub fn run(config: &Config, args: &PutArgs, out: &mut Output) -> Result<()> {
    let expiry = expiry(args, out)?;
    let values = parse_values(&args.set, out)?;
    let token = match &args.token {
        Some(t) => t.clone(),
        None => token::generate()?,
    };
    let stored = config.tokens.stored(&token);
    // Read and checked before connecting: bad input changes nothing.
    let file_data = match &args.data_file {
        Some(path) => Some(checked_data(path, args.raw)?),
        None => None,
    };
    let mut store = open_store(config, out)?;
    let mut merged_into_expired = None;
    if args.merge {
        let expired = merge(&mut store, &stored, expiry, values)?;
        if expired {
            out.warn(&format!(
                "session {} had expired; merged into an empty session",
                token::for_message(&token)
            ));
        }
        merged_into_expired = Some(expired);
    } else {
        let data = match file_data {
            Some(data) => data,
            None => encode(&new_session(expiry, values))?,
        };
        store.commit(&stored, &data, expiry)?;
    }
    if expiry <= SystemTime::now() {
        out.warn(&format!(
            "the expiry {} is already in the past: SCS will treat the session as expired",
            rfc3339_micros(expiry)
        ));
    }
    match out.format() {
        OutputFormat::Table => out.line(&token),
        _ => {
            let mut doc = json!({ "token": token, "expiry": rfc3339_micros(expiry) });
            if let Some(expired) = merged_into_expired {
                doc["merged_into_expired"] = json!(expired);
            }
            out.document(&doc)
        }
    }
}

/// Read-modify-write in one transaction with the row locked, so that concurrent merges of the
/// same session both land. A missing session is created with just the given values, and so is
/// one that has expired by the database clock: SCS would not find it, so its old values must
/// not come back to life. Returns whether the row was there but expired.
fn merge(
    store: &mut Store,
    token: &str,
    expiry: SystemTime,
    values: Vec<(String, Iface)>,
) -> Result<bool> {
    store.transaction(|tx, table| {
        let (existing, expired) = match Store::lock_for_update(tx, table, token)? {
            Some((data, true)) => (data, false),
            // Expired: what SCS would find is no session at all.
            Some((_, false)) => (encode(&Session::new(expiry))?, true),
            // No row yet: create an empty one, then lock and read whatever is there. When two
            // merges create the same session, the second waits for the first and then reads
            // (and keeps) the first one's values.
            None => {
                let empty = encode(&Session::new(expiry))?;
                Store::insert_if_absent_in(tx, table, token, &empty, expiry)?;
                match Store::lock_for_update(tx, table, token)? {
                    Some((data, true)) => (data, false),
                    // Ours with an expiry already past, or another's that is expired.
                    _ => (empty, false),
                }
            }
        };
        let mut session = match session::decode(&existing) {
            Decoded::Gob(s) => s,
            Decoded::Corrupt(e) => {
                return Err(Error::Data(format!(
                    "cannot merge into session: its data is gob that cannot be decoded ({e}); nothing was changed"
                )));
            }
            other => {
                return Err(Error::Data(format!(
                    "cannot merge into session: its data is {} rather than SCS gob; nothing was changed",
                    other.codec_name()
                )));
            }
        };
        session.set_deadline(expiry);
        for (key, value) in values {
            session.set(key, value);
        }
        let data = session
            .encode()
            .map_err(|e| Error::Data(format!("cannot encode the merged session: {e}")))?;
        Store::commit_in(tx, table, token, &data, expiry)?;
        Ok(expired)
    })
}

/// A session expiring at `expiry` with `values` (a key given twice keeps its last value).
fn new_session(expiry: SystemTime, values: Vec<(String, Iface)>) -> Session {
    let mut session = Session::new(expiry);
    for (key, value) in values {
        session.set(key, value);
    }
    session
}

fn encode(session: &Session) -> Result<Vec<u8>> {
    session
        .encode()
        .map_err(|e| Error::Data(format!("cannot encode the session: {e}")))
}

fn parse_values(sets: &[String], out: &Output) -> Result<Vec<(String, Iface)>> {
    let mut values = Vec::with_capacity(sets.len());
    for arg in sets {
        // The message names the argument itself.
        let (key, value) = session::parse_set(arg).map_err(Error::Usage)?;
        if value.name == "time.Time" {
            out.warn(&format!(
                "--set {key}: a time.Time value is only readable by apps that gob.Register(time.Time{{}})"
            ));
        }
        values.push((key, value));
    }
    Ok(values)
}

fn expiry(args: &PutArgs, out: &Output) -> Result<SystemTime> {
    if let Some(ttl) = &args.ttl {
        if let Some(w) = ttl.months_warning("--ttl") {
            out.warn(&w);
        }
        return SystemTime::now()
            .checked_add(ttl.duration)
            .ok_or_else(|| Error::Usage(format!("--ttl {:?} is too long", ttl.text())));
    }
    match &args.expires_at {
        Some(at) => parse_time("--expires-at", at),
        None => Err(Error::Usage("put needs --ttl or --expires-at".into())),
    }
}

/// Reads `--data-file` and, unless `raw`, refuses bytes that are not an SCS session in gob
/// (checked with scsctl's own decoder): a typo'd path or a stray file would otherwise become a
/// session the Go app cannot read.
fn checked_data(path: &std::path::Path, raw: bool) -> Result<Vec<u8>> {
    let data = read_data(path)?;
    if raw {
        return Ok(data);
    }
    let name = if path.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    let why = match session::decode(&data) {
        Decoded::Gob(_) => return Ok(data),
        _ if data.is_empty() => "it is empty".to_owned(),
        Decoded::Corrupt(e) => format!("it is gob that cannot be decoded: {e}"),
        Decoded::ScsV1Json { .. } => "it is SCS's old JSON encoding, not gob".to_owned(),
        Decoded::Unknown => format!("{} bytes that are not SCS gob", data.len()),
    };
    Err(Error::Data(format!(
        "--data-file {name:?} is not SCS session data ({why}); nothing was written; \
         add --raw to store the bytes as they are"
    )))
}

fn read_data(path: &std::path::Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut data = Vec::new();
        std::io::stdin()
            .read_to_end(&mut data)
            .map_err(|e| Error::io("cannot read session data from stdin", e))?;
        return Ok(data);
    }
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}
