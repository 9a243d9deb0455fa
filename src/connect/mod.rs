//! The one connection path: every subcommand, the store's background cleanup and the daemon
//! connect through [`Target`].
//!
//! rust-postgres is not libpq, so this module does libpq's part itself: it parses URLs and
//! conninfo strings, fills the gaps from the `PG*` environment and libpq's defaults, reads the
//! password file, and gives every `sslmode` its libpq meaning on top of OpenSSL. Resolution
//! happens once ([`Target::resolve`]); [`Target::connect`] can then be called again and again.
//!
//! Each host is tried on its own (one single-host driver `Config` per host), so that a Unix
//! socket never negotiates TLS while a TCP host in the same list does. Per host:
//!
//! | sslmode | first attempt | then |
//! |---|---|---|
//! | `disable` | plaintext | — |
//! | `allow` | plaintext | TLS, if the server answered with an error (e.g. a `hostssl` rule) |
//! | `prefer` | TLS if offered, certificate unchecked | plaintext, if the TLS attempt failed in the handshake or the server refused it |
//! | `require` | TLS, certificate unchecked (checked as `verify-ca` when `sslrootcert` is given) | — |
//! | `verify-ca` | TLS, chain checked against `sslrootcert` | — |
//! | `verify-full` | TLS, chain and host name checked | — |

mod aside;
mod conninfo;
mod env;
mod pgpass;
mod resolve;
mod service;
mod tls;

use std::fmt;
use std::path::PathBuf;

use postgres::config::SslMode as DriverSslMode;
use postgres::{Client, NoTls};

use crate::error::{DbFailure, Error, Result};
use tls::MakeTlsConnector;

pub(crate) use aside::{Aside, run_aside};
pub use env::Env;
pub(crate) use resolve::ENV_VARS;

/// How a failure message made from a TLS error starts.
const TLS_FAILED: &str = "TLS handshake failed";

/// libpq's `sslmode`: whether to encrypt, and how much of the server's certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// Plaintext first; TLS only if the server refuses the plaintext connection.
    Allow,
    /// TLS if the server offers it, plaintext otherwise; nothing verified.
    Prefer,
    /// TLS or nothing; the certificate is not verified (unless `sslrootcert` is given).
    Require,
    /// TLS; the chain is checked against the root certificates, the host name is not.
    VerifyCa,
    /// TLS; chain and host name checked.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// One host to try: how to reach it and the driver configuration for it.
#[derive(Clone)]
struct Endpoint {
    /// `host:port` (the host a name, an address or a socket directory), for messages.
    label: String,
    unix: bool,
    config: postgres::Config,
    /// The password file the password came from, if it did.
    passfile: Option<PathBuf>,
}

/// A resolved connection target: everything needed to connect, and to connect again.
#[derive(Clone)]
pub struct Target {
    endpoints: Vec<Endpoint>,
    ssl_mode: SslMode,
    tls: Option<MakeTlsConnector>,
    /// What the connector checks (for messages): `require` with sslrootcert checks the chain.
    verify: tls::Verify,
    description: String,
    warnings: Vec<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    /// Resolves a URL or conninfo string (or none) plus the environment into a target.
    ///
    /// Malformed input is [`Error::Usage`]; unusable TLS files (a missing root certificate, an
    /// unreadable client key) are [`Error::Connect`], as libpq reports them when connecting.
    pub fn resolve(database_url: Option<&str>, env: &Env) -> Result<Target> {
        resolve::resolve(database_url, env)
    }

    /// Opens a new connection, trying each host in turn until one accepts.
    pub fn connect(&self) -> Result<Client> {
        let mut failures = Vec::new();
        for endpoint in &self.endpoints {
            match self.connect_endpoint(endpoint) {
                Ok(client) => return Ok(client),
                Err(failure) => failures.push((endpoint.label.as_str(), failure)),
            }
        }
        let failure = if failures.len() == 1 {
            failures.remove(0).1
        } else {
            let message = failures
                .iter()
                .map(|(label, f)| format!("{label}: {}", f.message))
                .collect::<Vec<_>>()
                .join("; ");
            let last = failures.pop().map(|(_, f)| f);
            DbFailure {
                message,
                ..last.unwrap_or_else(|| plain_failure(String::new(), None))
            }
        };
        Err(Error::Connect {
            context: format!("cannot connect to {}", self.description),
            failure,
        })
    }

    fn connect_endpoint(&self, endpoint: &Endpoint) -> Result<Client, DbFailure> {
        let tls = match &self.tls {
            Some(tls) if !endpoint.unix => tls,
            _ => return self.attempt(endpoint, DriverSslMode::Disable),
        };
        match self.ssl_mode {
            SslMode::Disable => self.attempt(endpoint, DriverSslMode::Disable),
            SslMode::Allow => {
                self.attempt(endpoint, DriverSslMode::Disable)
                    .or_else(|plain| match plain.code {
                        // The server answered but refused us: maybe it insists on TLS.
                        Some(_) => self
                            .attempt_tls(endpoint, DriverSslMode::Require, tls)
                            .map_err(|secure| pick(plain, secure)),
                        None => Err(plain),
                    })
            }
            SslMode::Prefer => self
                .attempt_tls(endpoint, DriverSslMode::Prefer, tls)
                .or_else(|secure| {
                    if secure.code.is_some() || secure.message.starts_with(TLS_FAILED) {
                        // Refused over TLS (a hostnossl rule, a broken handshake): libpq
                        // tries again in plaintext.
                        self.attempt(endpoint, DriverSslMode::Disable)
                            .map_err(|plain| pick(secure, plain))
                    } else {
                        Err(secure)
                    }
                }),
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                self.attempt_tls(endpoint, DriverSslMode::Require, tls)
            }
        }
    }

    fn attempt(&self, endpoint: &Endpoint, mode: DriverSslMode) -> Result<Client, DbFailure> {
        let mut config = endpoint.config.clone();
        config.ssl_mode(mode);
        within_timeout(config, NoTls)?.map_err(|e| self.failure(endpoint, &e))
    }

    fn attempt_tls(
        &self,
        endpoint: &Endpoint,
        mode: DriverSslMode,
        tls: &MakeTlsConnector,
    ) -> Result<Client, DbFailure> {
        let mut config = endpoint.config.clone();
        config.ssl_mode(mode);
        within_timeout(config, tls.clone())?.map_err(|e| self.failure(endpoint, &e))
    }

    /// What went wrong, in words that name the sslmode when TLS was the problem.
    fn failure(&self, endpoint: &Endpoint, err: &postgres::Error) -> DbFailure {
        let mut failure = DbFailure::from_postgres(err);
        if failure.code.is_some() {
            if failure.hint.is_none() {
                failure.hint = match (failure.code.as_deref(), &endpoint.passfile) {
                    (Some("28P01"), Some(path)) => Some(format!(
                        "the password came from the password file \"{}\"; check it and the user name",
                        path.display()
                    )),
                    (Some("28P01"), None) => Some(
                        "check the user name and the password (in the URL, PGPASSWORD or the password file ~/.pgpass)"
                            .into(),
                    ),
                    (Some("28000"), _) => Some(
                        "the server's pg_hba.conf does not let this user reach this database from here (or with this sslmode)"
                            .into(),
                    ),
                    _ => None,
                };
            }
            return failure;
        }
        if let Some(kind) = io_kind(err)
            && (kind == std::io::ErrorKind::ConnectionRefused
                || (endpoint.unix && kind == std::io::ErrorKind::NotFound))
        {
            failure.hint = Some(if endpoint.unix {
                format!(
                    "is the server running locally and accepting connections on the Unix socket in {}?",
                    endpoint.label
                )
            } else {
                format!(
                    "is the server running at {} and accepting TCP/IP connections? Check the host and port",
                    endpoint.label
                )
            });
            return failure;
        }
        if speaks_another_protocol(&failure.message) {
            failure.message = format!(
                "the server at {} did not answer as PostgreSQL ({})",
                endpoint.label, failure.message
            );
            failure.hint = Some(
                "check the host and port: something other than PostgreSQL (or a proxy that does not speak its protocol) is listening there"
                    .into(),
            );
            return failure;
        }
        if let Some(tls_error) = tls_cause(err) {
            failure.message = format!("{TLS_FAILED} under sslmode={}: {tls_error}", self.ssl_mode);
            failure.hint = Some(match (self.verify, self.ssl_mode) {
                (tls::Verify::Full, _) => "the server certificate must be signed by a CA in sslrootcert and name the host connected to".into(),
                (tls::Verify::Chain, SslMode::Require) => "sslrootcert is given, so sslmode=require checks the server certificate against it, as verify-ca does".into(),
                (tls::Verify::Chain, _) => "the server certificate must be signed by a CA in sslrootcert".into(),
                (tls::Verify::Nothing, _) => "the server certificate is not checked in this sslmode; check the server's TLS setup and the client certificate".into(),
            });
        } else if failure.message.contains("server does not support TLS") {
            failure.message = format!(
                "the server does not support TLS, and sslmode={} forbids a plaintext connection",
                self.ssl_mode
            );
        } else if failure.message.contains("password missing") {
            failure.message = "the server asks for a password and none was given".into();
            failure.hint =
                Some("give one in the URL, PGPASSWORD or the password file (~/.pgpass)".into());
        }
        failure
    }

    /// Warnings met while resolving (for example an ignored, world-readable pgpass file).
    /// They are plain sentences, without a "WARNING:" prefix.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A description of the target for messages, in conninfo form:
    /// `host=127.0.0.1 port=5432 user=app dbname=app sslmode=prefer`; never a password.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// The port dialed for each host (for a Unix socket, the number in its file name).
    pub fn ports(&self) -> Vec<u16> {
        self.endpoints
            .iter()
            .filter_map(|e| e.config.get_ports().first().copied())
            .collect()
    }

    /// The sslmode in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// Asks the server to cancel whatever the connection behind `token` is running, over
    /// the same TLS setup as the connection itself.
    pub fn cancel(&self, token: &postgres::CancelToken) -> Result<()> {
        let result = match &self.tls {
            Some(tls) => token.cancel_query(tls.clone()),
            None => token.cancel_query(NoTls),
        };
        result.map_err(|e| Error::Connect {
            context: format!(
                "cannot cancel the running statement on {}",
                self.description
            ),
            failure: DbFailure::from_postgres(&e),
        })
    }
}

/// The kind of the I/O error in the error's chain, if there is one.
fn io_kind(err: &postgres::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// Whether the driver's words mean the peer answered, but not in PostgreSQL's protocol (a web
/// server, an SSH daemon, a Redis): its bytes did not parse as backend messages.
fn speaks_another_protocol(message: &str) -> bool {
    [
        "bytes remaining on stream",
        "unexpected message from server",
        "error parsing response from server",
        "unknown message tag",
        "unknown authentication tag",
        "invalid message length",
        "unexpected response to SSL request",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Of two failures for one host, the one worth showing: a pg_hba refusal caused by the
/// encryption choice says less than the other attempt's error.
fn pick(first: DbFailure, second: DbFailure) -> DbFailure {
    let hba = |f: &DbFailure| f.code.as_deref() == Some("28000");
    if hba(&second) && !hba(&first) {
        first
    } else {
        second
    }
}

/// The TLS handshake error in the error's chain, if TLS failed.
fn tls_cause(err: &postgres::Error) -> Option<String> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(handshake) = cause.downcast_ref::<tls::HandshakeError>() {
            return Some(tidy_tls_error(&handshake.to_string()));
        }
        source = cause.source();
    }
    None
}

/// OpenSSL's verification failures read `error:0A000086:SSL routines:…:certificate verify
/// failed:../ssl/statem/statem_clnt.c:1889: (IP address mismatch)`; keep the words.
fn tidy_tls_error(text: &str) -> String {
    match (text.find("certificate verify failed"), text.rfind(" (")) {
        (Some(_), Some(reason)) => format!("certificate verify failed{}", &text[reason..]),
        _ => text.to_owned(),
    }
}

/// Connects with `config`, giving up after its connect_timeout as libpq does. The driver's own
/// timeout covers only opening the socket, not the startup and authentication after it, so a
/// server that accepts and never answers (a stopped postmaster, a stuck pooler) would hang the
/// attempt for good. The attempt runs aside ([`run_aside`]).
fn within_timeout<T>(
    config: postgres::Config,
    tls: T,
) -> Result<Result<Client, postgres::Error>, DbFailure>
where
    T: postgres::tls::MakeTlsConnect<postgres::Socket> + Send + 'static,
    T::TlsConnect: Send,
    T::Stream: Send,
    <T::TlsConnect as postgres::tls::TlsConnect<postgres::Socket>>::Future: Send,
{
    let Some(limit) = config.get_connect_timeout().copied() else {
        return Ok(config.connect(tls));
    };
    let deadline = std::time::Instant::now() + limit;
    match run_aside(
        move || config.connect(tls),
        || std::time::Instant::now() >= deadline,
    ) {
        Aside::Done(result) => Ok(result),
        Aside::GaveUp => Err(plain_failure(
            format!(
                "timeout expired: no answer from the server within {} s (connect_timeout)",
                limit.as_secs()
            ),
            None,
        )),
        Aside::Failed(why) => Err(plain_failure(why, None)),
    }
}

fn plain_failure(message: String, hint: Option<String>) -> DbFailure {
    DbFailure {
        code: None,
        message,
        detail: None,
        hint,
    }
}

#[cfg(test)]
mod tests;
