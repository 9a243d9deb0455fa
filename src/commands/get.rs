//! `scsctl get TOKEN`: one session, live or expired, with its decoded values.

use super::open_store;
use crate::cli::{GetArgs, OutputFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{Output, hex_preview, human_bytes, rows};
use crate::session::{self, Decoded};

/// Bytes of undecodable data shown in the preview.
const PREVIEW_BYTES: usize = 32;

/// Shows one session; exit 3 when the token has no row.
pub fn run(config: &Config, args: &GetArgs, out: &mut Output) -> Result<()> {
    let registry = rows::registry(&args.registry)?;
    let mut store = open_store(config, out)?;
    let stored = config.tokens.stored(&args.token);
    let Some((row, now)) = store.fetch_with_clock(&stored)? else {
        let error = Error::NotFound(format!(
            "no session with token {} in table \"{}\"",
            crate::token::for_message(&args.token),
            config.table
        ));
        let other = config.tokens.other().stored(&args.token);
        return Err(match store.fetch(&other)? {
            Some(_) => Error::Hinted {
                error: Box::new(error),
                hint: config.tokens.mismatch_hint().to_owned(),
            },
            None => error,
        });
    };
    if args.raw {
        return out.raw(&row.data);
    }
    let decoded = session::decode(&row.data);
    let go_error = registry.as_ref().map(|r| rows::go_error(&decoded, r));
    match out.format() {
        OutputFormat::Json | OutputFormat::Ndjson => {
            let mut doc = rows::row_json(&row, Some(&decoded));
            if let Some(e) = &go_error {
                doc["go_error"] = serde_json::json!(e);
            }
            out.document(&doc)
        }
        OutputFormat::Table => {
            let mut fields = vec![
                ("token", row.token.clone()),
                ("state", rows::state(&row).to_owned()),
                ("expiry", rows::expiry_text(&row, now)),
                ("size", human_bytes(row.size as u64)),
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
            if let Some(e) = &go_error {
                let e = e
                    .clone()
                    .unwrap_or_else(|| "none: the app decodes it".to_owned());
                fields.push(("go error", e));
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
