//! The one error type of scsctl. Each variant knows its process exit code; `main` turns an
//! error into a message and that code, once.

use std::fmt;

/// Exit codes, as the interface contract lists them.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Database error, corrupt input, incompatible table, I/O error.
    pub const FAILURE: i32 = 1;
    /// Bad flag, bad duration, bad value.
    pub const USAGE: i32 = 2;
    /// A named token had no row, or a filter matched nothing.
    pub const NOT_FOUND: i32 = 3;
    /// Cannot connect or authenticate.
    pub const CONNECT: i32 = 4;
    /// Interrupted by SIGINT before a one-shot command finished.
    pub const INTERRUPTED: i32 = 130;

    /// Every exit code: the code, a short name (`--help`) and what it means (the man pages
    /// and README.md, where `code spans` are commands and flags). The one list of them.
    pub const TABLE: &[(i32, &str, &str)] = &[
        (
            OK,
            "success",
            "success (also when output is cut by a closed pipe, e.g. `scsctl list | head`)",
        ),
        (
            FAILURE,
            "failure",
            "failure: database error, corrupt input, incompatible table, I/O error",
        ),
        (
            USAGE,
            "usage error",
            "usage error (bad flag, bad duration, bad value)",
        ),
        (
            NOT_FOUND,
            "not found",
            "not found: `get`/`delete` of a named token that has no row, `delete --where` that matched nothing",
        ),
        (
            CONNECT,
            "cannot connect",
            "cannot connect or authenticate (server down or gone mid-command, wrong password, TLS failure, no such database)",
        ),
        (
            INTERRUPTED,
            "interrupted",
            "interrupted (SIGINT) before finishing a one-shot command",
        ),
    ];

    /// The one-line summary `--help` ends with: `Exit status: 0 success, 1 failure, …`.
    pub fn summary() -> String {
        let codes: Vec<String> = TABLE
            .iter()
            .map(|(code, name, _)| format!("{code} {name}"))
            .collect();
        format!("Exit status: {}.", codes.join(", "))
    }
}

/// A `Result` whose error is scsctl's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a database error said, kept apart from the driver's error so that the SQLSTATE, the
/// server's message and its hint survive (the driver's `Display` says only "db error").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbFailure {
    /// The five-character SQLSTATE, when the server sent one.
    pub code: Option<String>,
    /// The server's primary message, or the driver's description of a client-side failure.
    pub message: String,
    /// The server's DETAIL, if any.
    pub detail: Option<String>,
    /// The server's HINT, if any.
    pub hint: Option<String>,
}

impl DbFailure {
    /// Extracts what the server said from a driver error.
    pub fn from_postgres(err: &postgres::Error) -> DbFailure {
        match err.as_db_error() {
            Some(db) => DbFailure {
                code: Some(db.code().code().to_owned()),
                message: db.message().to_owned(),
                detail: db.detail().map(str::to_owned),
                hint: db.hint().map(str::to_owned),
            },
            None => {
                // The driver's Display for client-side failures nests the cause; show the chain.
                let mut message = err.to_string();
                let mut source = std::error::Error::source(err);
                while let Some(cause) = source {
                    let text = cause.to_string();
                    if !message.contains(&text) {
                        message.push_str(": ");
                        message.push_str(&text);
                    }
                    source = cause.source();
                }
                DbFailure {
                    code: None,
                    message,
                    detail: None,
                    hint: None,
                }
            }
        }
    }
}

impl fmt::Display for DbFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\ndetail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in scsctl.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or a value in it is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A named token has no row, or a filter matched nothing (exit 3).
    #[error("{0}")]
    NotFound(String),
    /// The server could not be reached, refused us, TLS failed, or the connection was lost
    /// mid-command (exit 4).
    #[error("{context}: {failure}")]
    Connect {
        /// What we were trying to reach (never containing a password).
        context: String,
        /// What went wrong.
        failure: DbFailure,
    },
    /// The server answered with an error (exit 1).
    #[error("{context}: {failure}")]
    Database {
        /// What scsctl was doing.
        context: String,
        /// What the server said.
        failure: DbFailure,
    },
    /// The sessions table is missing or not the shape SCS needs (exit 1).
    #[error("{0}")]
    Incompatible(String),
    /// Stored or supplied data could not be read (exit 1).
    #[error("{0}")]
    Data(String),
    /// A local file or stream failed (exit 1).
    #[error("{context}: {source}")]
    Io {
        /// What scsctl was doing.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// SIGINT arrived before a one-shot command finished (exit 130).
    #[error("interrupted")]
    Interrupted,
    /// The reader of stdout went away (`scsctl list | head`): not a failure (exit 0).
    #[error("output closed")]
    BrokenPipe,
    /// clap's usage error (exit 2): its message, then its tips and usage lines.
    #[error("{message}")]
    CommandLine {
        /// clap's one-line message, without its `error: `.
        message: String,
        /// What clap prints after that line (tips, usage, "For more information …").
        usage: String,
    },
    /// An error the command has already put in its JSON document on stdout (as
    /// `init-schema -o json` does with `"error"` and `"exit_code"`); stderr still gets it.
    #[error("{0}")]
    InDocument(Box<Error>),
    /// An error with scsctl's own advice on what to do about it, shown as a `hint:` line.
    #[error("{error}")]
    Hinted {
        /// The error.
        error: Box<Error>,
        /// What to do about it.
        hint: String,
    },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::CommandLine { .. } => exit::USAGE,
            Error::InDocument(inner) => inner.exit_code(),
            Error::Hinted { error, .. } => error.exit_code(),
            Error::NotFound(_) => exit::NOT_FOUND,
            Error::Connect { .. } => exit::CONNECT,
            Error::Interrupted => exit::INTERRUPTED,
            Error::BrokenPipe => exit::OK,
            Error::Database { .. } | Error::Incompatible(_) | Error::Data(_) | Error::Io { .. } => {
                exit::FAILURE
            }
        }
    }

    /// Wraps a driver error met while doing `context`. A broken connection is reported as such;
    /// everything else keeps the server's SQLSTATE, message and hint.
    pub fn db(context: impl Into<String>, err: postgres::Error) -> Error {
        let failure = DbFailure::from_postgres(&err);
        if err.is_closed()
            || failure.code.as_deref().is_some_and(is_connection_class)
            || (failure.code.is_none() && is_lost_connection(&err))
        {
            return Error::Connect {
                context: format!("{}: lost the connection to the server", context.into()),
                failure,
            };
        }
        Error::Database {
            context: context.into(),
            failure,
        }
    }

    /// Wraps an I/O error met while doing `context`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// What failed, on one line: the context and the server's message with its SQLSTATE. Not
    /// escaped: server text may hold any character, so a caller printing it escapes it.
    pub fn headline(&self) -> String {
        match self {
            Error::Database { context, failure } | Error::Connect { context, failure } => {
                let mut first = format!("{context}: {}", failure.message);
                if let Some(code) = &failure.code {
                    first.push_str(&format!(" (SQLSTATE {code})"));
                }
                first
            }
            Error::InDocument(inner) => inner.headline(),
            Error::Hinted { error, .. } => error.headline(),
            other => other.to_string(),
        }
    }

    /// What to do about it: the server's HINT, or scsctl's own (a refused connection, a failed
    /// authentication, a peer that is not PostgreSQL).
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Database { failure, .. } | Error::Connect { failure, .. } => {
                failure.hint.as_deref()
            }
            Error::InDocument(inner) => inner.hint(),
            Error::Hinted { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// The server's DETAIL, if it sent one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Database { failure, .. } | Error::Connect { failure, .. } => {
                failure.detail.as_deref()
            }
            Error::InDocument(inner) => inner.detail(),
            Error::Hinted { error, .. } => error.detail(),
            _ => None,
        }
    }

    /// The error as scsctl writes it on stderr: `scsctl: error: …`, then `hint: …` when there
    /// is one, then the server's detail indented, then clap's tips and usage lines for a usage
    /// error. Every line is escaped (see [`crate::sanitize`]), so no byte of server text can
    /// forge a line or drive the terminal.
    pub fn terminal_text(&self) -> String {
        use crate::sanitize::escape;
        let mut text = format!("scsctl: error: {}\n", escape(&self.headline()));
        if let Some(hint) = self.hint() {
            text.push_str(&format!("hint: {}\n", escape(hint)));
        }
        if let Some(detail) = self.detail() {
            text.push_str(&format!("  detail: {}\n", escape(detail)));
        }
        if let Error::CommandLine { usage, .. } = self {
            for line in usage.lines() {
                text.push_str(&escape(line));
                text.push('\n');
            }
        }
        text
    }

    /// The error as the JSON object `-o json` and `-o ndjson` print on stdout:
    /// `{"error": …, "exit_code": …}`, with `"hint"` and `"detail"` when there are.
    pub fn to_json(&self) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "error": self.headline(),
            "exit_code": self.exit_code(),
        });
        if let Some(hint) = self.hint() {
            doc["hint"] = hint.into();
        }
        if let Some(detail) = self.detail() {
            doc["detail"] = detail.into();
        }
        if let Some(code) = self.sqlstate() {
            doc["sqlstate"] = code.into();
        }
        doc
    }

    /// The SQLSTATE of a database error, if this is one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Database { failure, .. } | Error::Connect { failure, .. } => {
                failure.code.as_deref()
            }
            _ => None,
        }
    }
}

/// Whether a client-side error (no SQLSTATE) means the connection is gone, whatever way the
/// operating system said so: the server's end may be seen as a reset (ECONNRESET, os error
/// 104), an abort, a broken pipe on the next write, or an end of stream in the middle of a
/// message, depending on where the socket was when the server died. The driver's own
/// "connection closed" counts too.
pub fn is_lost_connection(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut current = Some(err);
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            )
        {
            return true;
        }
        if let Some(pg) = cause.downcast_ref::<postgres::Error>()
            && pg.is_closed()
        {
            return true;
        }
        if cause.to_string() == "connection closed" {
            return true;
        }
        current = cause.source();
    }
    false
}

/// SQLSTATE classes 08 (connection exception) and 57P01–57P03 (server shutting down or
/// starting up) mean the server went away, not that the command was wrong.
fn is_connection_class(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error as IoError, ErrorKind};

    /// An error that wraps another, as the driver wraps the socket's error.
    #[derive(Debug)]
    struct Wrapper(Box<dyn std::error::Error + Send + Sync>);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("error communicating with the server")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn every_way_a_socket_says_the_server_is_gone_is_a_lost_connection() {
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::BrokenPipe,
            ErrorKind::UnexpectedEof,
        ] {
            let direct = IoError::from(kind);
            assert!(is_lost_connection(&direct), "{kind:?}");
            let wrapped = Wrapper(Box::new(IoError::from(kind)));
            assert!(is_lost_connection(&wrapped), "wrapped {kind:?}");
        }
        // ECONNRESET as the OS reports it: "Connection reset by peer (os error 104)".
        let reset = Wrapper(Box::new(IoError::from_raw_os_error(libc::ECONNRESET)));
        assert!(is_lost_connection(&reset));
        let closed = Wrapper(Box::new(IoError::other("connection closed")));
        assert!(is_lost_connection(&closed));
        // Other I/O failures are not.
        for other in [
            IoError::from(ErrorKind::PermissionDenied),
            IoError::from(ErrorKind::InvalidData),
            IoError::other("bytes remaining on stream"),
        ] {
            assert!(!is_lost_connection(&Wrapper(Box::new(other))));
        }
    }

    /// README.md's exit-code table is the one in [`exit::TABLE`], row for row.
    #[test]
    fn readme_lists_the_exit_codes_of_the_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let section = readme
            .split("\n## Exit codes\n")
            .nth(1)
            .expect("README.md has a '## Exit codes' section");
        let rows: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .collect();
        let expected: Vec<String> = exit::TABLE
            .iter()
            .map(|(code, _, meaning)| format!("| {code} | {} |", meaning.replace('|', "\\|")))
            .collect();
        assert_eq!(
            rows, expected,
            "README.md's exit codes differ from exit::TABLE"
        );
        assert_eq!(
            exit::summary(),
            "Exit status: 0 success, 1 failure, 2 usage error, 3 not found, 4 cannot connect, 130 interrupted."
        );
    }

    #[test]
    fn lost_connections_exit_4() {
        assert!(is_connection_class("08006"));
        assert!(is_connection_class("57P01"));
        assert!(!is_connection_class("42P01"));
        let lost = Error::Connect {
            context: "cannot list: lost the connection to the server".into(),
            failure: DbFailure {
                code: None,
                message: "Connection reset by peer (os error 104)".into(),
                detail: None,
                hint: None,
            },
        };
        assert_eq!(lost.exit_code(), exit::CONNECT);
    }
}
