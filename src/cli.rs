//! The command line, defined in one place: global options, subcommands and their help. This is
//! the only module that knows clap; [`crate::config`] turns what it parses into plain settings.

// The doc comments below are also clap's help text, printed as written: `KEY[:TYPE]` there is
// syntax for the user, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::FlagDuration;

/// Operate the PostgreSQL sessions table of Go apps that use SCS (alexedwards/scs, postgresstore).
#[derive(Debug, Parser)]
#[command(
    name = "scsctl",
    version,
    about,
    long_about = "Operate the PostgreSQL sessions table of Go apps that use SCS \
                  (alexedwards/scs with postgresstore): create it, inspect, create or revoke \
                  sessions, list them, purge expired rows from cron, and run a cleanup daemon.\n\n\
                  Connection settings follow psql: a postgres:// URL or key=value conninfo in \
                  --database-url or DATABASE_URL (service=NAME reads pg_service.conf), else the PG* \
                  environment, and ~/.pgpass.",
    after_help = crate::error::exit::summary(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every subcommand, before or after it.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq's defaults)
    #[arg(
        short = 'd',
        long,
        env = "DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// The sessions table, NAME or SCHEMA.NAME
    #[arg(
        short = 't',
        long,
        env = "SCSCTL_TABLE",
        global = true,
        value_name = "NAME",
        default_value = "sessions"
    )]
    pub table: String,

    /// The app stores SHA-256 hashes of tokens (SCS's HashTokenInStore)
    #[arg(
        long,
        env = "SCSCTL_HASHED_TOKENS",
        global = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub hashed_tokens: bool,

    /// Output format: a table for people, JSON or NDJSON for scripts
    #[arg(
        short = 'o',
        long,
        env = "SCSCTL_OUTPUT",
        global = true,
        value_enum,
        default_value_t = OutputFormat::Table
    )]
    pub output: OutputFormat,

    /// Print nothing on success
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say what is being done on stderr (never a password)
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    /// When to use colour; NO_COLOR in the environment turns it off
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line, streamed.
    Ndjson,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Only on a terminal, and never when NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the sessions table and its expiry index, or check an existing one
    InitSchema(InitSchemaArgs),
    /// Show one session, live or expired
    Get(GetArgs),
    /// Create or replace one session
    Put(PutArgs),
    /// Revoke sessions
    Delete(DeleteArgs),
    /// List sessions, ordered by expiry
    List(ListArgs),
    /// Delete expired sessions in short batches
    Purge(PurgeArgs),
    /// Run a foreground daemon that purges expired sessions every interval
    WatchCleanup(WatchCleanupArgs),
    /// Show counts, sizes and vacuum state of the sessions table
    Stats(StatsArgs),
    /// List the Go type names the sessions hold, with counts, keys and struct fields
    Types(TypesArgs),
    /// Rename a registered gob type inside every session that holds it
    RenameType(RenameTypeArgs),
    /// Migrate the sessions table (hash-tokens: move it to SCS's HashTokenInStore)
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Write man pages into a directory
    Man(ManArgs),
}

/// `init-schema`.
#[derive(Debug, Args)]
#[command(
    long_about = "Create the sessions table and its expiry index exactly as SCS's postgresstore \
                  expects, creating the schema when a qualified name needs one. Idempotent and \
                  safe to run concurrently. On an existing table, check its shape and report \
                  each difference; exit 1 when SCS cannot use it."
)]
pub struct InitSchemaArgs {
    /// Print the SQL and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Grant ROLE SELECT, INSERT, UPDATE, DELETE on the table and on each of its partitions
    /// (repeatable)
    #[arg(long, value_name = "ROLE")]
    pub grant: Vec<String>,

    /// Create the table hash-partitioned by token into N leaf partitions (<TABLE>_p0 …), the
    /// expiry index on the parent; an existing table is checked, never converted
    #[arg(long, value_name = "N")]
    pub partitions: Option<u32>,
}

/// `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The session token (taken literally, even when it starts with '-')
    #[arg(value_name = "TOKEN")]
    pub token: String,

    /// Write the stored bytes to stdout unchanged
    #[arg(long)]
    pub raw: bool,

    /// The app's gob registry (`--registered`).
    #[command(flatten)]
    pub registry: RegisteredArg,
}

/// `put`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["token", "new_token"])))]
#[command(group(clap::ArgGroup::new("when").required(true).args(["ttl", "expires_at"])))]
pub struct PutArgs {
    /// The session token (taken literally, even when it starts with '-')
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Make a new token as SCS does (32 random bytes, base64url)
    #[arg(long)]
    pub new_token: bool,

    /// Expire after this long, e.g. 30m, 24h, 7days
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = crate::duration::parse_flag)]
    pub ttl: Option<FlagDuration>,

    /// Expire at this RFC 3339 time
    #[arg(long, value_name = "TIME")]
    pub expires_at: Option<String>,

    /// Set a value, KEY[:TYPE]=VALUE; TYPE: string (default), int, int64, int32, uint, float64, bool, bytes, time. A key containing ':' needs its type given: 'a:b:string=x' sets the key a:b
    #[arg(long, value_name = "KEY[:TYPE]=VALUE", conflicts_with = "data_file")]
    pub set: Vec<String>,

    /// Store the session data from this file ('-' for stdin); it must be an SCS session in gob
    /// unless --raw is given
    #[arg(long, value_name = "PATH")]
    pub data_file: Option<PathBuf>,

    /// With --data-file: store the bytes as they are, even when they are not SCS gob (which
    /// the Go app will then fail to decode); without it such data is refused
    #[arg(long, requires = "data_file")]
    pub raw: bool,

    /// Keep the existing values and set only the given keys, atomically
    #[arg(long, conflicts_with = "data_file")]
    pub merge: bool,
}

/// `delete`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["tokens", "filter", "expired", "undecodable"])))]
pub struct DeleteArgs {
    /// Tokens to revoke; '-' reads tokens from stdin, one per line
    #[arg(value_name = "TOKEN")]
    pub tokens: Vec<String>,

    /// Revoke the sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)
    #[arg(long = "where", value_name = "FILTER", conflicts_with = "expired")]
    pub filter: Vec<String>,

    /// Revoke every expired session (one statement; see purge for large backlogs)
    #[arg(long)]
    pub expired: bool,

    /// Count what would be deleted and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask before deleting many sessions
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Revoke the sessions the app cannot decode (needs --registered)
    #[arg(long, requires = "registered", conflicts_with_all = ["filter", "expired"])]
    pub undecodable: bool,

    /// The app's gob registry (`--registered`).
    #[command(flatten)]
    pub registry: RegisteredArg,
}

/// Which sessions `list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Sessions that have not expired.
    Live,
    /// Expired sessions not yet purged.
    Expired,
    /// Both.
    All,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which sessions to show
    #[arg(long, value_enum, default_value_t = StateArg::Live)]
    pub state: StateArg,

    /// Show only sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)
    #[arg(long = "where", value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Show at most N sessions
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Decode and show each session's values
    #[arg(long)]
    pub values: bool,

    /// Show only the sessions the app cannot decode (needs --registered)
    #[arg(long, requires = "registered")]
    pub undecodable: bool,

    /// The app's gob registry (`--registered`).
    #[command(flatten)]
    pub registry: RegisteredArg,
}

/// `purge`.
#[derive(Debug, Args)]
#[command(
    long_about = "Delete expired sessions (by the database clock) in batches, each a short \
                  transaction of its own, never a live session: rows are locked with FOR UPDATE \
                  SKIP LOCKED and re-checked under the lock, so a session the app extends during \
                  the purge survives. Batch sizes adapt to keep each transaction under \
                  --target-batch-time unless --batch-size fixes them; a batch that hits a lock \
                  or statement timeout, a deadlock or a serialization failure is rolled back, \
                  shrunk and retried after a pause.\n\n\
                  Only one cleaner per table runs at a time across all hosts (an advisory lock on \
                  the table's qualified name): when another holds it, purge says so on stderr and \
                  exits 0. SIGINT cancels the batch in flight (it rolls back whole), prints what \
                  was done and exits 130."
)]
pub struct PurgeArgs {
    /// Stop cleanly between batches after this long
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = crate::duration::parse_flag)]
    pub max_duration: Option<FlagDuration>,

    /// Count what would be deleted and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Run VACUUM (ANALYZE) on the table after a run that deleted many rows (never VACUUM FULL)
    #[arg(long)]
    pub vacuum: bool,

    /// With --vacuum: how many deleted rows make "many"
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "vacuum")]
    pub vacuum_threshold: u64,

    /// How batches are run and guarded
    #[command(flatten)]
    pub cleaner: CleanerArgs,
}

/// Batch tuning shared by `purge` and `watch-cleanup`.
#[derive(Debug, Args)]
pub struct CleanerArgs {
    /// Rows per batch; fixed when given, else adapted to keep each transaction short
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: Option<i64>,

    /// Keep sessions until they have been expired this long
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = crate::duration::parse_flag)]
    pub grace: Option<FlagDuration>,

    /// The longest a batch's transaction should take, when sizes adapt
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = crate::duration::parse_flag)]
    pub target_batch_time: FlagDuration,

    /// Do not compress the purge's WAL. By default batches set wal_compression = lz4 for their
    /// own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a
    /// quarter of the WAL, so the app's commits wait far less. Use this if a standby's build
    /// lacks lz4
    #[arg(long)]
    pub no_wal_compression: bool,

    /// Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::duration::parse_flag)]
    pub lock_timeout: FlagDuration,

    /// Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_flag)]
    pub statement_timeout: Option<FlagDuration>,

    /// Connections deleting disjoint slices of the backlog at once
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub jobs: u8,

    /// How the one-cleaner-per-table lock is held: `session` (held for the run; direct
    /// connections and session-mode poolers), `transaction` (taken by each batch, nothing left
    /// on the server connection; for PgBouncer in transaction mode) or `auto` (session when the
    /// server listens on the port dialed or --jobs is above 1, else transaction)
    #[arg(long, value_enum, default_value_t = LockModeArg::Auto, value_name = "MODE")]
    pub lock_mode: LockModeArg,

    /// How expired rows are found, per table or partition: `index` (the oldest first, through
    /// the expiry index), `blocks` (heap pages in order, for a large backlog or a table without
    /// an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the
    /// pages finds a fifth or more expired; index with --batch-size)
    #[arg(long, value_enum, default_value_t = ScanArg::Auto, value_name = "HOW")]
    pub scan: ScanArg,
}

/// `--lock-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockModeArg {
    /// Session on a direct connection (or with --jobs), else transaction.
    Auto,
    /// A session-level advisory lock held for the whole run.
    Session,
    /// A transaction-level advisory lock taken by each batch (behind a transaction pooler).
    Transaction,
}

/// `--scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanArg {
    /// Blocks for a large backlog, else the index.
    Auto,
    /// Through the expiry index, the oldest first.
    Index,
    /// Heap pages in physical order.
    Blocks,
}

/// Log line formats of `watch-cleanup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `watch-cleanup`.
#[derive(Debug, Args)]
#[command(
    long_about = "A foreground purge daemon: a pass at start, then every interval (spread by \
                  --jitter), one log line per pass on stderr. It never exits because of the \
                  database: on connection loss or a server restart it logs, reconnects with \
                  exponential backoff (1s to 60s) and carries on. Several copies on several hosts \
                  elect one active cleaner through an advisory lock; the others stand by and take \
                  over within an interval when it dies. SIGINT/SIGTERM cancel the batch in \
                  flight, release the lock and exit 0 within a second."
)]
pub struct WatchCleanupArgs {
    /// Time between purge passes, e.g. 5m; at least 100ms
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        value_parser = crate::duration::parse_interval
    )]
    pub interval: FlagDuration,

    /// Spread passes by up to this percentage of the interval
    #[arg(long, value_name = "PERCENT", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub jitter: u8,

    /// Log line format on stderr
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Rewrite this Prometheus textfile after each pass
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,

    /// Stop a pass between batches after this long (the next pass goes on)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = crate::duration::parse_flag)]
    pub max_duration: Option<FlagDuration>,

    /// How batches are run and guarded
    #[command(flatten)]
    pub cleaner: CleanerArgs,
}

/// `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The app's gob registry (`--registered`).
    #[command(flatten)]
    pub registry: RegisteredArg,
}

/// The app's gob registry, for the commands that say which sessions Go cannot decode.
#[derive(Debug, Args, Default)]
pub struct RegisteredArg {
    /// The type names the app registers with gob: NAMES comma-separated, or @FILE with one
    /// per line; the 34 names Go registers itself are implied
    #[arg(long, value_name = "NAMES|@FILE")]
    pub registered: Option<String>,
}

/// `types`.
#[derive(Debug, Args)]
pub struct TypesArgs {
    /// The app's gob registry (`--registered`).
    #[command(flatten)]
    pub registry: RegisteredArg,
}

/// `rename-type`.
#[derive(Debug, Args)]
#[command(
    after_help = "Rewrites OLD (e.g. main.User) to NEW (e.g. models.User) in every session holding it, in short batches; a row the app writes meanwhile is never overwritten (it is read again and retried). Safe to interrupt and run again."
)]
pub struct RenameTypeArgs {
    /// The registered name the sessions hold, e.g. main.User
    #[arg(value_name = "OLD")]
    pub old: String,

    /// The name the app now registers, e.g. models.User
    #[arg(value_name = "NEW")]
    pub new: String,

    /// Count what would be renamed and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `migrate`.
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Replace raw tokens by their SHA-256 hashes (SCS's HashTokenInStore), without logging
    /// anyone out; one-way
    #[command(
        long_about = "Turn a table of raw SCS tokens into one of hashed tokens (base64url without \
                      padding of SHA-256, what SCS stores when the app sets HashTokenInStore = true), \
                      so that the app restarted with hashing finds every session it had.\n\n\
                      Hashing is one-way: there is no unhash, and an app without HashTokenInStore \
                      cannot find a hashed session again. Take a backup first if you may want to go \
                      back.\n\n\
                      Stop-and-switch (no flag): stop the app, run this, start the app with \
                      HashTokenInStore = true. Every row's token is replaced by its hash in short \
                      batches.\n\n\
                      Rolling: --copy adds the hashed twin of every live session while the app keeps \
                      running without hashing; roll out the app with HashTokenInStore = true on every \
                      instance; then --finish removes each raw row whose twin exists, first carrying \
                      over data and expiry the old app wrote after the twin was made.\n\n\
                      What has been done is recorded in the table scsctl_token_migration beside the \
                      sessions table, in the same transaction as each batch: an interrupted run \
                      resumes where it stopped when run again, and a run after the end changes \
                      nothing and says so. Only one migration per table runs at a time; a second one \
                      fails at once. Tokens that are not 43 characters of base64url, a table that \
                      another table's foreign key references, and a table with a rule on insert, \
                      update or delete are refused before anything changes; triggers the run \
                      fires are named in a warning."
    )]
    HashTokens(HashTokensArgs),
}

/// `migrate hash-tokens`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("way").args(["copy", "finish"])))]
pub struct HashTokensArgs {
    /// Say what would change and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Rolling, step 1: add the hashed twin of every live session (the app keeps running)
    #[arg(long)]
    pub copy: bool,

    /// Rolling, step 3 (after every app instance hashes): remove each raw row whose twin exists
    #[arg(long)]
    pub finish: bool,

    /// Heap pages per batch; fixed when given, else adapted to keep each transaction short
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_pages: Option<i64>,

    /// The longest a batch's transaction may take, when sizes adapt: batches aim at a quarter
    /// of it, and one that runs longer is cancelled, rolled back and retried smaller (a batch
    /// of one page too slow for it gets twice the time, up to 30s, with a warning)
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = crate::duration::parse_flag)]
    pub target_batch_time: FlagDuration,

    /// Roll back a batch that waits this long for a lock, then retry it smaller
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::duration::parse_flag)]
    pub lock_timeout: FlagDuration,
}

/// Shells completions can be generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write scsctl.1 and one page per subcommand into
    pub dir: PathBuf,
}

/// The clap command, for parsing, completions and man pages: the derived definition with
/// each command's examples ([`crate::examples`]) after its `--help`.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        if let Some(text) = crate::examples::help_text(Some(&name)) {
            cmd = cmd.mut_subcommand(&name, |sub| sub.after_long_help(text));
        }
    }
    if let (Some(after), Some(examples)) = (
        cmd.get_after_help().map(|h| h.to_string()),
        crate::examples::help_text(None),
    ) {
        cmd = cmd.after_long_help(format!("{examples}\n{after}"));
    }
    cmd
}

/// Parses arguments, taking SCS tokens that start with `-` literally.
///
/// About 1 in 64 SCS tokens starts with `-`, and clap would read `-x3Jq…` as a cluster of short
/// flags. An argument shaped like a token (a single `-`, then at least 15 more base64url
/// characters) that is not the value of an option is moved behind `--`, where clap takes it as
/// a positional value; real flags never have that shape.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(protect_tokens(&command(), args))?;
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// clap's usage error as scsctl reports errors: its first line (`error: …`) becomes the
/// message, the tips and usage lines after it are kept.
///
/// clap's usage line shows every option that had a value, and an option read from the
/// environment counts: with `DATABASE_URL` set, `Usage: scsctl get --database-url <URL>
/// <TOKEN>` reads as if `--database-url` were required. So the arguments are parsed once more
/// by a copy of the command that reads no environment; when that fails the same way, its
/// error (whose usage line shows only what was typed) is the one reported.
pub fn usage_error(err: &clap::Error, args: &[std::ffi::OsString]) -> crate::Error {
    let mut without_env = command().mut_args(|a| a.env(None));
    let reparsed = without_env.try_get_matches_from_mut(protect_tokens(&command(), args.to_vec()));
    let (message, usage) = split_clap_error(err);
    if let Err(other) = reparsed
        && other.kind() == err.kind()
    {
        let (other_message, other_usage) = split_clap_error(&other);
        if other_message == message {
            return crate::Error::CommandLine {
                message,
                usage: other_usage,
            };
        }
    }
    crate::Error::CommandLine { message, usage }
}

fn split_clap_error(err: &clap::Error) -> (String, String) {
    let text = err.render().to_string();
    let mut lines = text.lines().peekable();
    let first = lines.next().unwrap_or_default();
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    // "the following required arguments were not provided:" lists them on the lines after;
    // they belong on the one line.
    if message.ends_with(':') {
        while let Some(item) = lines.next_if(|l| l.starts_with("  ") && !l.trim().is_empty()) {
            message.push(' ');
            message.push_str(item.trim());
        }
    }
    let rest: Vec<&str> = lines.collect();
    (message, rest.join("\n").trim_end().to_owned())
}

/// Whether the command line (or `SCSCTL_OUTPUT`) asks for JSON or NDJSON output, read without
/// clap: a usage error has to know it although the arguments did not parse.
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let json = |v: &str| matches!(v, "json" | "ndjson");
    let mut found = std::env::var("SCSCTL_OUTPUT").is_ok_and(|v| json(&v));
    let mut iter = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(arg) = iter.next() {
        match arg {
            "--" => break,
            "-o" | "--output" => found = iter.next().is_some_and(json),
            _ => {
                if let Some(v) = arg
                    .strip_prefix("--output=")
                    .or_else(|| arg.strip_prefix("-o="))
                    .or_else(|| arg.strip_prefix("-o"))
                {
                    found = json(v);
                }
            }
        }
    }
    found
}

fn looks_like_token(arg: &str) -> bool {
    arg.len() >= 16
        && arg.starts_with('-')
        && !arg.starts_with("--")
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn protect_tokens(cmd: &clap::Command, args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let takes_value = |arg: &str| -> bool {
        let mut commands = vec![cmd];
        commands.extend(cmd.get_subcommands());
        commands.iter().flat_map(|c| c.get_arguments()).any(|a| {
            a.get_action().takes_values()
                && (a.get_long().is_some_and(|l| arg == format!("--{l}"))
                    || a.get_short().is_some_and(|s| arg == format!("-{s}")))
        })
    };
    let mut kept = Vec::with_capacity(args.len());
    let mut tokens = Vec::new();
    let mut rest = Vec::new();
    let mut iter = args.into_iter();
    let mut previous_takes_value = false;
    for arg in iter.by_ref() {
        let text = arg.to_str().unwrap_or("");
        if text == "--" {
            rest.extend(iter.by_ref());
            break;
        }
        if !previous_takes_value && looks_like_token(text) {
            tokens.push(arg);
            previous_takes_value = false;
            continue;
        }
        previous_takes_value = takes_value(text);
        kept.push(arg);
    }
    if !tokens.is_empty() || !rest.is_empty() {
        kept.push("--".into());
        kept.extend(tokens);
        kept.extend(rest);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_of(args: &[&str]) -> String {
        match parse_from(args).unwrap().command {
            Command::Get(get) => get.token,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tokens_starting_with_a_dash_are_tokens() {
        let t = "-x3Jq9v_Xn2-AbCdEfGhIjKlMnOpQrStUvWxYz01234";
        assert_eq!(token_of(&["scsctl", "get", t]), t);
        assert_eq!(token_of(&["scsctl", "get", t, "-o", "json"]), t);
        assert_eq!(token_of(&["scsctl", "-v", "get", "--", "-v"]), "-v");
        let cli = parse_from(["scsctl", "get", "plain", "-v"]).unwrap();
        assert!(cli.global.verbose);
        let cli = parse_from(["scsctl", "delete", t, "-o", "json", "other", "--dry-run"]).unwrap();
        let Command::Delete(d) = cli.command else {
            panic!()
        };
        assert_eq!(d.tokens, ["other", t]);
        assert!(d.dry_run);
        assert_eq!(cli.global.output, OutputFormat::Json);
    }

    #[test]
    fn option_values_are_not_moved() {
        let args = ["scsctl", "--set", "-looks_like_a_token_", "put", "x"];
        let out = protect_tokens(&command(), args.iter().map(Into::into).collect());
        assert_eq!(
            out,
            args.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn negative_durations_reach_our_own_message() {
        for args in [
            &["scsctl", "purge", "--grace", "-5m"][..],
            &[
                "scsctl",
                "watch-cleanup",
                "--interval",
                "1m",
                "--max-duration",
                "-5m",
            ],
        ] {
            let err = parse_from(args).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
            assert!(err.to_string().contains("cannot be negative"), "{err}");
        }
    }
}
