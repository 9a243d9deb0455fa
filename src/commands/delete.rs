//! `scsctl delete`: revoke sessions by token, from stdin, by their values, or every expired one.

use std::io::Read;
use std::ops::ControlFlow;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::open_store;
use crate::cli::{DeleteArgs, OutputFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{Output, counted, rows};
use crate::session;
use crate::store::{State, Store};

/// Revokes sessions and prints how many rows went (or would go, with `--dry-run`).
pub fn run(config: &Config, args: &DeleteArgs, out: &mut Output) -> Result<()> {
    if args.expired {
        let mut store = open_store(config, out)?;
        let count = if args.dry_run {
            store.count_expired(std::time::Duration::ZERO)? as u64
        } else {
            store.delete_expired()?
        };
        return report(out, count, args.dry_run, None, None);
    }
    if !args.filter.is_empty() || args.undecodable {
        return delete_where(config, args, out);
    }
    let tokens = tokens(args)?;
    let stored: Vec<String> = tokens.iter().map(|t| config.tokens.stored(t)).collect();
    let mut store = open_store(config, out)?;
    let found = if args.dry_run {
        store.existing_tokens(&stored)?
    } else {
        delete_in_chunks(&mut store, &stored)?
    };
    let found: std::collections::HashSet<&str> = found.iter().map(String::as_str).collect();
    let missing: Vec<&str> = tokens
        .iter()
        .zip(&stored)
        .filter(|(_, s)| !found.contains(s.as_str()))
        .map(|(t, _)| t.as_str())
        .collect();
    // Tokens with no row here that do have one stored the other way (hashed or not): the
    // operator most likely has --hashed-tokens wrong, and deletes nothing until it is right.
    let other: Vec<String> = missing
        .iter()
        .map(|t| config.tokens.other().stored(t))
        .collect();
    let mistaken = !missing.is_empty() && !store.existing_tokens(&other)?.is_empty();
    let error = (!missing.is_empty()).then(|| {
        let shown: Vec<String> = missing
            .iter()
            .take(5)
            .map(|t| crate::token::for_message(t))
            .collect();
        let more = if missing.len() > 5 {
            format!(" and {} more", missing.len() - 5)
        } else {
            String::new()
        };
        let error = Error::NotFound(format!(
            "{} of {} tokens had no session: {}{more}",
            missing.len(),
            tokens.len(),
            shown.join(", ")
        ));
        if mistaken {
            Error::Hinted {
                error: Box::new(error),
                hint: config.tokens.mismatch_hint().to_owned(),
            }
        } else {
            error
        }
    });
    report(out, found.len() as u64, args.dry_run, Some(&missing), error)
}

/// Above this many sessions, `delete --where` asks first (or needs `--yes`).
const ASK_ABOVE: usize = 10;

/// Revokes the sessions whose values match every filter. The matching tokens are collected by
/// a streaming scan (rows that cannot be decoded are reported and skipped), then deleted, each
/// only if its data is still what matched: a session the app rewrote meanwhile (while the
/// question was on the terminal, say) may no longer match, so it is kept.
fn delete_where(config: &Config, args: &DeleteArgs, out: &mut Output) -> Result<()> {
    let filters = crate::config::filters(&args.filter)?;
    let registry = rows::registry(&args.registry)?;
    // What is revoked, in messages.
    let what = if args.undecodable {
        "the app cannot decode (--undecodable)".to_owned()
    } else {
        args.filter.join(" and ")
    };
    let mut store = open_store(config, out)?;
    let mut tokens = Vec::new();
    let mut digests = Vec::new();
    let mut undecodable = rows::Undecodable::default();
    store.scan(State::All, None, |row| {
        let decoded = session::decode(&row.data);
        let selected = match &registry {
            Some(r) if args.undecodable => rows::go_error(&decoded, r).is_some(),
            _ => {
                undecodable.note(&row, &decoded);
                rows::matches(&decoded, &filters)
            }
        };
        if selected {
            digests.push(Sha256::digest(&row.data).to_vec());
            tokens.push(row.token);
        }
        Ok(ControlFlow::Continue(()))
    })?;
    for warning in undecodable.warnings() {
        out.warn(&warning);
    }
    if tokens.is_empty() {
        let error = Error::NotFound(format!("no session matches {what}"));
        return report(out, 0, args.dry_run, None, Some(error));
    }
    if args.dry_run {
        if out.shows_results() && out.format() == OutputFormat::Table {
            for token in &tokens {
                out.line(token)?;
            }
        }
        return report_tokens(out, &tokens, true);
    }
    if tokens.len() > ASK_ABOVE && !args.yes {
        let question = format!("delete {} sessions matching {what}?", tokens.len());
        if !config.stdin_is_terminal {
            return Err(Error::Usage(format!(
                "refusing to {question:?} without --yes (no terminal to ask on); nothing was deleted"
            )));
        }
        if !out.confirm(&question)? {
            return Err(Error::Usage("not confirmed; nothing was deleted".into()));
        }
    }
    let mut deleted = Vec::new();
    for (tokens, digests) in tokens.chunks(CHUNK).zip(digests.chunks(CHUNK)) {
        deleted.extend(store.delete_unchanged(tokens, digests)?);
    }
    if deleted.len() < tokens.len() {
        out.warn(&format!(
            "{} of {} matching sessions changed or went away before the delete; changed ones were kept",
            tokens.len() - deleted.len(),
            tokens.len()
        ));
    }
    report_tokens(out, &deleted, false)
}

fn report_tokens(out: &mut Output, tokens: &[String], dry_run: bool) -> Result<()> {
    if out.format() == OutputFormat::Table {
        return report(out, tokens.len() as u64, dry_run, None, None);
    }
    if out.shows_results() {
        let mut doc = counts_json(tokens.len() as u64, dry_run);
        doc["tokens"] = json!(tokens);
        out.document(&doc)?;
    }
    Ok(())
}

/// Tokens per DELETE statement: each chunk is all-or-nothing, and the statement stays small.
const CHUNK: usize = 10_000;

fn delete_in_chunks(store: &mut Store, stored: &[String]) -> Result<Vec<String>> {
    let mut deleted = Vec::new();
    for chunk in stored.chunks(CHUNK) {
        deleted.extend(store.delete_tokens(chunk)?);
    }
    Ok(deleted)
}

/// `deleted` (or, for a dry run, `would_delete` with `deleted: 0`) and `dry_run`.
fn counts_json(count: u64, dry_run: bool) -> serde_json::Value {
    if dry_run {
        json!({ "deleted": 0, "would_delete": count, "dry_run": true })
    } else {
        json!({ "deleted": count, "dry_run": false })
    }
}

/// Says how many sessions went, then ends in `error` if there is one (in JSON, inside the one
/// document). `missing` is the named tokens that had no row (`None` when no token was named, so
/// that JSON has no empty list that means nothing).
fn report(
    out: &mut Output,
    count: u64,
    dry_run: bool,
    missing: Option<&[&str]>,
    error: Option<Error>,
) -> Result<()> {
    if out.shows_results() {
        match out.format() {
            OutputFormat::Table => {
                let verb = if dry_run { "would delete" } else { "deleted" };
                out.line(&format!("{verb} {}", counted(count, "session", "sessions")))?;
            }
            _ => {
                let mut doc = counts_json(count, dry_run);
                if let Some(missing) = missing {
                    doc["missing"] = json!(missing);
                }
                return match error {
                    Some(error) => Err(out.document_with_error(doc, error)?),
                    None => out.document(&doc),
                };
            }
        }
    }
    error.map_or(Ok(()), Err)
}

/// The tokens named on the command line, with `-` standing for stdin (one per line).
fn tokens(args: &DeleteArgs) -> Result<Vec<String>> {
    let mut tokens = Vec::new();
    for arg in &args.tokens {
        if arg == "-" {
            tokens.extend(read_stdin_tokens()?);
        } else {
            tokens.push(arg.clone());
        }
    }
    if tokens.is_empty() {
        return Err(Error::Usage("no tokens given (stdin was empty)".into()));
    }
    Ok(tokens)
}

fn read_stdin_tokens() -> Result<Vec<String>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("cannot read tokens from stdin", e))?;
    let mut tokens = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let token = std::str::from_utf8(line).map_err(|_| {
            Error::Data(format!(
                "line {} of stdin is not UTF-8, so it cannot be a token; nothing was deleted",
                n + 1
            ))
        })?;
        if token.contains('\0') {
            return Err(Error::Data(format!(
                "line {} of stdin holds a NUL byte, which no token can hold; nothing was deleted",
                n + 1
            )));
        }
        tokens.push(token.to_owned());
    }
    Ok(tokens)
}
