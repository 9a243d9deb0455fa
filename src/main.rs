//! The `scsctl` binary: parse, run, print the error once, exit with its code.

use scsctl::error::{Error, exit};

fn main() {
    let cli = match scsctl::cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr.
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match scsctl::commands::run(cli) {
        Ok(()) => exit::OK,
        Err(Error::BrokenPipe) => exit::OK,
        Err(e) => {
            // The server's detail and hint on lines of their own; each line escaped, so no
            // byte of server text can break a line or drive the terminal.
            let lines = e.message_lines();
            for (i, line) in lines.iter().enumerate() {
                let prefix = if i == 0 { "scsctl: error: " } else { "  " };
                scsctl::output::stderr_line(&format!("{prefix}{}", scsctl::output::escape(line)));
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
