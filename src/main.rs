//! The `scsctl` binary: parse, run, report the error once, exit with its code.

use scsctl::error::{Error, exit};
use scsctl::output::report_error;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match scsctl::cli::parse_from(args.clone()) {
        Ok(cli) => cli,
        // Help and version go to stdout (exit 0).
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            std::process::exit(exit::OK);
        }
        Err(e) => {
            let err = scsctl::cli::usage_error(&e, &args);
            report_error(&err, scsctl::cli::wants_json(&args));
            std::process::exit(err.exit_code());
        }
    };
    let json = cli.global.output != scsctl::cli::OutputFormat::Table;
    let code = match scsctl::commands::run(cli) {
        Ok(()) | Err(Error::BrokenPipe) => exit::OK,
        Err(e) => {
            report_error(&e, json);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
