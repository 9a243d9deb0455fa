//! `scsctl list`: stream sessions ordered by expiry, in constant memory.

use std::ops::ControlFlow;

use super::{open_store, view};
use crate::cli::{ListArgs, OutputFormat, StateArg};
use crate::config::Config;
use crate::duration::{relative, rfc3339_micros};
use crate::error::{Error, Result};
use crate::output::{Output, Style};
use crate::store::State;

/// Width of a token SCS makes (43 characters), so a table of SCS tokens lines up.
const TOKEN_WIDTH: usize = 43;

/// Lists sessions.
pub fn run(config: &Config, args: &ListArgs, out: &mut Output) -> Result<()> {
    if !args.filter.is_empty() || args.values {
        return Err(Error::Usage(
            "--where and --values need the session codec, which this build does not have yet"
                .into(),
        ));
    }
    let state = match args.state {
        StateArg::Live => State::Live,
        StateArg::Expired => State::Expired,
        StateArg::All => State::All,
    };
    let mut store = open_store(config, out)?;
    match out.format() {
        OutputFormat::Table => {
            let now = store.now()?;
            let table = out.stream_table(
                &["token", "state", "expiry", "relative", "size"],
                &[TOKEN_WIDTH, 7, 27, 10, 6],
            )?;
            store.scan(state, args.limit, |row| {
                let state_style = if row.live { Style::Good } else { Style::Faded };
                out.stream_row(
                    &table,
                    &[
                        row.token.clone(),
                        view::state(&row).to_owned(),
                        rfc3339_micros(row.expiry),
                        relative(row.expiry, now),
                        row.data.len().to_string(),
                    ],
                    &[None, Some(state_style)],
                )?;
                Ok(ControlFlow::Continue(()))
            })
        }
        OutputFormat::Ndjson => store.scan(state, args.limit, |row| {
            out.ndjson(&view::row_json(&row, args.values))?;
            Ok(ControlFlow::Continue(()))
        }),
        OutputFormat::Json => {
            // One document, still streamed: the array is written element by element.
            out.raw(b"[")?;
            let mut first = true;
            store.scan(state, args.limit, |row| {
                if !first {
                    out.raw(b",")?;
                }
                first = false;
                let text = crate::output::to_json(&view::row_json(&row, args.values))?;
                out.raw(text.as_bytes())?;
                Ok(ControlFlow::Continue(()))
            })?;
            out.raw(b"]\n")
        }
    }
}
