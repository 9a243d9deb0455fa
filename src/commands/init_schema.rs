//! `scsctl init-schema`: create the table as SCS expects it, or check the one that is there.

use serde_json::json;

use super::connect_store;
use crate::cli::{InitSchemaArgs, OutputFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::Output;
use crate::store::{Phase, check_partitions, create_sql, grant_sql, partition_names};

/// Creates or checks the table; exit 1 when an existing table is incompatible.
pub fn run(config: &Config, args: &InitSchemaArgs, out: &mut Output) -> Result<()> {
    if let Some(n) = args.partitions {
        check_partitions(&config.table, n)?;
    }
    if args.dry_run {
        let mut sql = create_sql(&config.table, args.partitions);
        let leaves = args
            .partitions
            .map(|n| partition_names(&config.table, n))
            .unwrap_or_default();
        for role in &args.grant {
            sql.extend(grant_sql(&config.table, &leaves, role));
        }
        return match out.format() {
            OutputFormat::Table => {
                for statement in &sql {
                    out.line(&format!("{statement};"))?;
                }
                Ok(())
            }
            _ => out.document(&json!({ "dry_run": true, "sql": sql })),
        };
    }
    let mut store = connect_store(config, out)?;
    let check = store.init_schema_with(&args.grant, args.partitions)?;
    for warning in &check.warnings {
        out.warn(warning);
    }
    // What scsctl migrate hash-tokens recorded (in scsctl_token_migration beside the table):
    // how the app must be configured to find its sessions.
    let phase = if check.existed {
        store.token_phase()
    } else {
        None
    };
    let status = match (check.existed, check.compatible()) {
        (false, _) => "created",
        (true, true) => "ok",
        (true, false) => "incompatible",
    };
    // An incompatible table is an error (exit 1); its problems are said once: listed with the
    // result, or in the error when results are not shown (-q).
    let error = (!check.compatible()).then(|| {
        let problems = if out.shows_results() && out.format() == OutputFormat::Table {
            "see the problems listed above".to_owned()
        } else {
            check.problems.join("; ")
        };
        Error::Incompatible(format!(
            "table \"{}\" is not compatible with SCS: {problems}",
            config.table
        ))
    });
    if out.shows_results() {
        match out.format() {
            OutputFormat::Table => {
                let shape = match (check.partitioned, check.leaves.len()) {
                    (true, 1) => " (partitioned, 1 leaf partition)".to_owned(),
                    (true, n) => format!(" (partitioned, {n} leaf partitions)"),
                    (false, 0) => String::new(),
                    (false, 1) => " (with 1 inheritance child)".to_owned(),
                    (false, n) => format!(" (with {n} inheritance children)"),
                };
                let message = match status {
                    "created" => format!(
                        "created table \"{}\"{shape} and its expiry index",
                        config.table
                    ),
                    "ok" => format!(
                        "table \"{}\"{shape} exists and has the shape SCS needs",
                        config.table
                    ),
                    _ => format!("table \"{}\" exists but SCS cannot use it:", config.table),
                };
                out.line(&message)?;
                for problem in &check.problems {
                    out.line(&format!("  - {problem}"))?;
                }
                match phase {
                    Some(Phase::Hashed) => out.line(
                        "tokens: hashed (scsctl migrate hash-tokens): the app needs \
                         HashTokenInStore = true, scsctl --hashed-tokens",
                    )?,
                    Some(p) => out.line(&format!(
                        "tokens: migration to hashed tokens under way (phase {}): see scsctl \
                         migrate hash-tokens --help",
                        p.as_str()
                    ))?,
                    None => {}
                }
                for role in &args.grant {
                    out.line(&format!("granted SELECT, INSERT, UPDATE, DELETE to {role}"))?;
                }
            }
            _ => {
                let doc = json!({
                    "table": config.table.to_string(),
                    "status": status,
                    "problems": check.problems,
                    "warnings": check.warnings,
                    "granted": args.grant,
                    "partitioned": check.partitioned,
                    "leaves": check.leaves,
                    "token_migration": phase.map(Phase::as_str),
                });
                // One document on stdout: the error's members go into this one.
                if let Some(error) = error {
                    return Err(out.document_with_error(doc, error)?);
                }
                out.document(&doc)?;
            }
        }
    }
    match error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
