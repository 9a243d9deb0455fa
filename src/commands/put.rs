//! `scsctl put`: create or replace one session with SCS's own upsert.

use std::io::Read;
use std::time::SystemTime;

use serde_json::json;

use super::open_store;
use crate::cli::{OutputFormat, PutArgs};
use crate::config::Config;
use crate::duration::{parse_duration, parse_time, rfc3339_micros};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::token;

/// Writes the session and prints its token.
pub fn run(config: &Config, args: &PutArgs, out: &mut Output) -> Result<()> {
    let expiry = expiry(args, out)?;
    let token = match &args.token {
        Some(t) => t.clone(),
        None => token::generate()?,
    };
    let data = match &args.data_file {
        Some(path) => read_data(path)?,
        None => {
            return Err(Error::Usage(
                "put needs --data-file until session values can be encoded".into(),
            ));
        }
    };
    let mut store = open_store(config, out)?;
    store.commit(&config.tokens.stored(&token), &data, expiry)?;
    if expiry <= SystemTime::now() {
        out.warn(&format!(
            "the expiry {} is already in the past: SCS will treat the session as expired",
            rfc3339_micros(expiry)
        ));
    }
    match out.format() {
        OutputFormat::Table => out.line(&token),
        _ => out.document(&json!({ "token": token, "expiry": rfc3339_micros(expiry) })),
    }
}

fn expiry(args: &PutArgs, out: &Output) -> Result<SystemTime> {
    if let Some(ttl) = &args.ttl {
        let parsed = parse_duration("--ttl", ttl)?;
        if let Some(w) = &parsed.warning {
            out.warn(w);
        }
        return SystemTime::now()
            .checked_add(parsed.duration)
            .ok_or_else(|| Error::Usage(format!("--ttl {ttl:?} is too long")));
    }
    match &args.expires_at {
        Some(at) => parse_time("--expires-at", at),
        None => Err(Error::Usage("put needs --ttl or --expires-at".into())),
    }
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
