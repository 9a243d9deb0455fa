//! Clap's values resolved into the plain settings the commands use.

use std::io::IsTerminal;

use crate::cleaner::{
    BatchSizing, BatchStatement, LockMode, Scan, Settings, default_statement_timeout,
};
use crate::cli::{CleanerArgs, ColorChoice, GlobalArgs, LockModeArg, OutputFormat, ScanArg};
use crate::connect::{Env, Target};
use crate::duration::FlagDuration;
use crate::error::{Error, Result};
use crate::session::Filter;
use crate::table::TableName;
use crate::token::TokenStorage;

/// How much to say on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing on success.
    Quiet,
    /// Results only.
    Normal,
    /// Results, and what is being done on stderr.
    Verbose,
}

/// Global settings, resolved: what every command needs besides its own arguments.
#[derive(Debug, Clone)]
pub struct Config {
    /// The connection URL or conninfo as given (`--database-url` or `DATABASE_URL`).
    pub database_url: Option<String>,
    /// The environment the connection path reads.
    pub env: Env,
    /// The sessions table.
    pub table: TableName,
    /// How user-supplied tokens map to the `token` column.
    pub tokens: TokenStorage,
    /// The output format.
    pub format: OutputFormat,
    /// How much to say.
    pub verbosity: Verbosity,
    /// Whether stdout gets colour.
    pub color: bool,
    /// Whether stdout is a terminal (tables fit its width; prompts and progress bars appear).
    pub stdout_is_terminal: bool,
    /// Whether stdin is a terminal (the only place a confirmation can be asked).
    pub stdin_is_terminal: bool,
}

impl Config {
    /// Resolves the global options against the process environment and terminals.
    pub fn from_args(args: &GlobalArgs) -> Result<Config> {
        let env = Env::from_process();
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && !no_color,
        };
        Ok(Config {
            database_url: args.database_url.clone(),
            env,
            table: TableName::parse(&args.table)?,
            tokens: if args.hashed_tokens {
                TokenStorage::Hashed
            } else {
                TokenStorage::Plain
            },
            format: args.output,
            verbosity: if args.quiet {
                Verbosity::Quiet
            } else if args.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            },
            color,
            stdout_is_terminal,
            stdin_is_terminal: std::io::stdin().is_terminal(),
        })
    }

    /// Resolves the connection target (URL or conninfo, environment, pgpass).
    pub fn target(&self) -> Result<Target> {
        Target::resolve(self.database_url.as_deref(), &self.env)
    }
}

/// Parses `--where` arguments.
pub fn filters(args: &[String]) -> Result<Vec<Filter>> {
    args.iter()
        .map(|a| Filter::parse(a).map_err(Error::Usage))
        .collect()
}

/// The pass settings from the flags `purge` and `watch-cleanup` share (and their
/// `--max-duration`). `warn` is given the months warning of each duration, in flag order.
pub fn cleaner_settings(
    max_duration: Option<&FlagDuration>,
    cleaner: &CleanerArgs,
    warn: &dyn Fn(&str),
) -> Result<Settings> {
    let duration = |flag: &str, value: &FlagDuration| {
        if let Some(w) = value.months_warning(flag) {
            warn(&w);
        }
        value.duration
    };
    let grace = cleaner
        .grace
        .as_ref()
        .map(|d| duration("--grace", d))
        .unwrap_or_default();
    let max_duration = max_duration.map(|d| duration("--max-duration", d));
    let target = duration("--target-batch-time", &cleaner.target_batch_time);
    if target.is_zero() {
        return Err(Error::Usage(
            "--target-batch-time must be longer than zero".into(),
        ));
    }
    let sizing = match cleaner.batch_size {
        Some(n) => BatchSizing::Fixed(n),
        None => BatchSizing::Adaptive { target },
    };
    let lock_timeout = duration("--lock-timeout", &cleaner.lock_timeout);
    let statement_timeout = cleaner
        .statement_timeout
        .as_ref()
        .map(|d| duration("--statement-timeout", d))
        .unwrap_or_else(|| default_statement_timeout(sizing));
    if lock_timeout.is_zero() || statement_timeout.is_zero() {
        return Err(Error::Usage(
            "--lock-timeout and --statement-timeout must be longer than zero".into(),
        ));
    }
    let lock_mode = match cleaner.lock_mode {
        LockModeArg::Session | LockModeArg::Auto => LockMode::Session,
        LockModeArg::Transaction => LockMode::Transaction,
    };
    if lock_mode == LockMode::Transaction && cleaner.jobs > 1 {
        return Err(Error::Usage(
            "--jobs above 1 needs --lock-mode session: with transaction-level locks the \
             workers would exclude each other"
                .into(),
        ));
    }
    Ok(Settings {
        compress_wal: !cleaner.no_wal_compression,
        sizing,
        grace,
        max_duration,
        jobs: usize::from(cleaner.jobs),
        lock_mode,
        auto_lock_mode: cleaner.lock_mode == LockModeArg::Auto,
        statement: BatchStatement::Ctid,
        scan: match cleaner.scan {
            ScanArg::Auto => Scan::Auto,
            ScanArg::Index => Scan::Index,
            ScanArg::Blocks => Scan::Blocks,
        },
        lock_timeout,
        statement_timeout,
    })
}
