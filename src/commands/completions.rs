//! `scsctl completions SHELL`: print shell completions.

use clap_complete::Shell;

use crate::cli::{CompletionsArgs, command};
use crate::error::Result;
use crate::output::Output;

/// Prints the completion script for one shell.
pub fn run(args: &CompletionsArgs, out: &mut Output) -> Result<()> {
    out.raw(&script(args.shell))
}

/// The completion script for `shell`, as committed under `completions/`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "scsctl", &mut buf);
    buf
}
