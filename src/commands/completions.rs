//! `scsctl completions SHELL`: print shell completions.

use clap_complete::Shell as Generator;

use crate::cli::{CompletionsArgs, Shell, command};
use crate::error::Result;
use crate::output::Output;

/// Prints the completion script for one shell.
pub fn run(args: &CompletionsArgs, out: &mut Output) -> Result<()> {
    out.raw(&script(args.shell))
}

/// The completion script for `shell`, as committed under `completions/`.
pub fn script(shell: Shell) -> Vec<u8> {
    let generator = match shell {
        Shell::Bash => Generator::Bash,
        Shell::Zsh => Generator::Zsh,
        Shell::Fish => Generator::Fish,
        Shell::Elvish => Generator::Elvish,
        Shell::Powershell => Generator::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(generator, &mut command(), "scsctl", &mut buf);
    buf
}
