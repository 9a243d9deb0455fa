//! One module per subcommand. Each takes the resolved [`Config`], its own arguments and the
//! [`Output`], and returns a typed error; none prints except through [`Output`], none exits.

mod completions;
mod delete;
mod get;
mod init_schema;
mod list;
mod man;
mod migrate;
mod purge;
mod put;
mod rename_type;
mod stats;
mod types;
mod watch_cleanup;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::connect::Target;
use crate::error::Result;
use crate::output::Output;
use crate::store::{Phase, Store};
use crate::token::TokenStorage;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let config = Config::from_args(&cli.global)?;
    let mut out = Output::new(&config);
    let result = match &cli.command {
        Command::InitSchema(args) => init_schema::run(&config, args, &mut out),
        Command::Get(args) => get::run(&config, args, &mut out),
        Command::Put(args) => put::run(&config, args, &mut out),
        Command::Delete(args) => delete::run(&config, args, &mut out),
        Command::List(args) => list::run(&config, args, &mut out),
        Command::Purge(args) => purge::run(&config, args, &mut out),
        Command::WatchCleanup(args) => watch_cleanup::run(&config, args, &mut out),
        Command::Stats(args) => stats::run(&config, args, &mut out),
        Command::Types(args) => types::run(&config, args, &mut out),
        Command::RenameType(args) => rename_type::run(&config, args, &mut out),
        Command::Migrate(command) => migrate::run(&config, command, &mut out),
        Command::Completions(args) => completions::run(args, &mut out),
        Command::Man(args) => man::run(args, &mut out),
    };
    // Flush even after an error, so that what was printed before it is not lost.
    let flushed = out.flush();
    result.and(flushed)
}

/// Connects to the sessions table and checks that it is there and has SCS's column types, so
/// that a missing or wrongly shaped table fails before anything is read, written or printed.
fn open_store(config: &Config, out: &Output) -> Result<Store> {
    let mut store = connect_store(config, out)?;
    store.probe()?;
    warn_token_storage(config, &mut store, out);
    Ok(store)
}

/// Warns, once per command, when the table's recorded migration says its tokens are not
/// stored the way this command will look them up: hashed tokens looked up raw, or a migration
/// half done (some rows raw, some hashed). Nothing is said when there is no record, or this
/// role may not read it.
fn warn_token_storage(config: &Config, store: &mut Store, out: &Output) {
    let table = &config.table;
    match (store.token_phase(), config.tokens) {
        (Some(Phase::Hashed), TokenStorage::Plain) => out.warn(&format!(
            "table \"{table}\" holds hashed tokens (scsctl migrate hash-tokens ran on it): pass \
             --hashed-tokens (or set SCSCTL_HASHED_TOKENS=1), or tokens you give are not found"
        )),
        (Some(Phase::Hashed), TokenStorage::Hashed) | (None, _) => {}
        (Some(phase), _) => out.warn(&format!(
            "table \"{table}\" is being migrated to hashed tokens (phase {}): some sessions \
             are stored under raw tokens and some under hashed ones",
            phase.as_str()
        )),
    }
}

/// Resolves the connection target and reports resolution warnings (and, with `-v`, where it
/// connects).
fn resolve_target(config: &Config, out: &Output) -> Result<Target> {
    let target = config.target()?;
    for warning in target.warnings() {
        out.warn(warning);
    }
    out.verbose(&format!("connecting to {}", target.describe()));
    Ok(target)
}

/// Resolves the target and connects, without looking at the table (for `init-schema`, which
/// may have to create it).
fn connect_store(config: &Config, out: &Output) -> Result<Store> {
    let target = resolve_target(config, out)?;
    let store = Store::connect(&target, config.table.clone())?;
    out.verbose(&format!("using table \"{}\"", config.table));
    Ok(store)
}
