//! `scsctl get TOKEN`: one session, live or expired.

use super::{open_store, view};
use crate::cli::{GetArgs, OutputFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{Output, hex_preview};

/// Bytes of undecodable data shown in the preview.
const PREVIEW_BYTES: usize = 32;

/// Shows one session; exit 3 when the token has no row.
pub fn run(config: &Config, args: &GetArgs, out: &mut Output) -> Result<()> {
    let mut store = open_store(config, out)?;
    let stored = config.tokens.stored(&args.token);
    let row = store.fetch(&stored)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no session with token {} in table \"{}\"",
            crate::token::for_message(&args.token),
            config.table
        ))
    })?;
    if args.raw {
        return out.raw(&row.data);
    }
    match out.format() {
        OutputFormat::Json | OutputFormat::Ndjson => out.document(&view::row_json(&row, true)),
        OutputFormat::Table => {
            let now = store.now()?;
            let fields = vec![
                ("token", row.token.clone()),
                ("state", view::state(&row).to_owned()),
                ("expiry", view::expiry_text(&row, now)),
                ("size", format!("{} bytes", row.data.len())),
                ("data", hex_preview(&row.data, PREVIEW_BYTES)),
            ];
            out.record(&fields)
        }
    }
}
