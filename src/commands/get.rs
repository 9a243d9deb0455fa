//! `scsctl get TOKEN`: one session, live or expired, with its decoded values.

use super::{open_store, view};
use crate::cli::{GetArgs, OutputFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{Output, hex_preview};
use crate::session::{self, Decoded};
use crate::token::TokenStorage;

/// Bytes of undecodable data shown in the preview.
const PREVIEW_BYTES: usize = 32;

/// When a token has no row, whether it has one stored the other way (raw where hashed was
/// expected, or hashed where raw was): then say so, rather than silently finding nothing.
fn warn_other_storage(
    config: &Config,
    store: &mut crate::store::Store,
    token: &str,
    out: &Output,
) -> Result<()> {
    let (other, flag) = match config.tokens {
        TokenStorage::Plain => (
            crate::token::hash(token),
            "is stored hashed: pass --hashed-tokens",
        ),
        TokenStorage::Hashed => (
            token.to_owned(),
            "is stored raw, not hashed: leave out --hashed-tokens",
        ),
    };
    if store.fetch_with_clock(&other)?.is_some() {
        out.warn(&format!(
            "token {} {flag}",
            crate::token::for_message(token)
        ));
    }
    Ok(())
}

/// Shows one session; exit 3 when the token has no row.
pub fn run(config: &Config, args: &GetArgs, out: &mut Output) -> Result<()> {
    let mut store = open_store(config, out)?;
    let stored = config.tokens.stored(&args.token);
    let found = store.fetch_with_clock(&stored)?;
    if found.is_none() {
        warn_other_storage(config, &mut store, &args.token, out)?;
    }
    let (row, now) = found.ok_or_else(|| {
        Error::NotFound(format!(
            "no session with token {} in table \"{}\"",
            crate::token::for_message(&args.token),
            config.table
        ))
    })?;
    if args.raw {
        return out.raw(&row.data);
    }
    let decoded = session::decode(&row.data);
    match out.format() {
        OutputFormat::Json | OutputFormat::Ndjson => {
            out.document(&view::row_json(&row, Some(&decoded)))
        }
        OutputFormat::Table => {
            let mut fields = vec![
                ("token", row.token.clone()),
                ("state", view::state(&row).to_owned()),
                ("expiry", view::expiry_text(&row, now)),
                ("size", format!("{} bytes", row.size)),
                ("codec", decoded.codec_name().to_owned()),
            ];
            match &decoded {
                Decoded::Gob(s) => fields.push(("deadline", s.deadline_rfc3339())),
                Decoded::ScsV1Json { deadline, .. } => {
                    fields.push(("deadline", deadline.rfc3339()))
                }
                Decoded::Unknown => fields.push(("data", hex_preview(&row.data, PREVIEW_BYTES))),
                Decoded::Corrupt(e) => {
                    fields.push(("error", e.to_string()));
                    fields.push(("data", hex_preview(&row.data, PREVIEW_BYTES)));
                }
            }
            out.record(&fields)?;
            match &decoded {
                Decoded::Gob(s) if !s.values.is_empty() => {
                    let rows: Vec<Vec<String>> = s
                        .value_rows()
                        .into_iter()
                        .map(|v| vec![v.key, v.go_type, v.text])
                        .collect();
                    out.table(&["key", "type", "value"], &rows)
                }
                Decoded::Gob(_) => out.line("(no values)"),
                Decoded::ScsV1Json { values, .. } => out.line(&values.to_string()),
                _ => Ok(()),
            }
        }
    }
}
