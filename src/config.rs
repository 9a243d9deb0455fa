//! Clap's values resolved into the plain settings the commands use.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};
use crate::connect::{Env, Target};
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
