//! The `scsctl` binary: parse, run, report the error once, exit with its code.

use scsctl::binary::{OutputFormat, parse_from, report_error, run, usage_error, wants_json};
use scsctl::error::{Error, exit};

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match parse_from(args.clone()) {
        Ok(cli) => cli,
        // Help and version go to stdout (exit 0).
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            std::process::exit(exit::OK);
        }
        Err(e) => {
            let err = usage_error(&e, &args);
            report_error(&err, wants_json(&args));
            std::process::exit(err.exit_code());
        }
    };
    let json = cli.global.output != OutputFormat::Table;
    let code = match run(cli) {
        Ok(()) | Err(Error::BrokenPipe) => exit::OK,
        Err(e) => {
            report_error(&e, json);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
