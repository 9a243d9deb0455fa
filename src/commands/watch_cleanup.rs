//! `scsctl watch-cleanup --interval`: a foreground purge daemon.

use crate::cli::WatchCleanupArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::Output;

/// Runs purge passes every interval until stopped.
pub fn run(_config: &Config, _args: &WatchCleanupArgs, _out: &mut Output) -> Result<()> {
    Err(Error::Usage("watch-cleanup: not built yet".into()))
}
