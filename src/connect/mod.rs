//! The one connection path: every subcommand, the store's background cleanup and the daemon
//! connect through [`Target`].
//!
//! rust-postgres is not libpq, so this module does libpq's part itself: it parses URLs and
//! conninfo strings, fills the gaps from the `PG*` environment and libpq's defaults, reads the
//! password file, and gives every `sslmode` its libpq meaning on top of native-tls. Resolution
//! happens once ([`Target::resolve`]); [`Target::connect`] can then be called again and again.

mod conninfo;
mod env;
mod pgpass;
mod tls;

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use postgres::config::{SslMode as DriverSslMode, TargetSessionAttrs};
use postgres::{Client, NoTls};
use postgres_native_tls::MakeTlsConnector;

use crate::error::{DbFailure, Error, Result};
use conninfo::Params;

pub use env::Env;

/// The connection-string keys and the environment variables that fill them when absent.
const ENV_VARS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("application_name", "PGAPPNAME"),
    ("options", "PGOPTIONS"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
];

const DEFAULT_PORT: u16 = 5432;
/// How a failure message made from a TLS error starts.
const TLS_FAILED: &str = "TLS handshake failed";
const DEFAULT_APPLICATION_NAME: &str = "scsctl";
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// `host` as given (a name, an address or a socket directory) for messages.
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

/// Looks a key up in the connection string, then in the environment; remembers where the
/// value came from for error messages.
struct Lookup<'a> {
    params: &'a Params,
    env: &'a Env,
}

impl<'a> Lookup<'a> {
    /// The value and its origin ("PGPORT", or the key itself for the connection string).
    fn get(&self, key: &'static str) -> Option<(&'a str, &'static str)> {
        if let Some(value) = self.params.get(key) {
            return Some((value, key));
        }
        let var = ENV_VARS.iter().find(|(k, _)| *k == key)?.1;
        self.env.get(var).map(|value| (value, var))
    }

    /// The value, with an empty one counting as absent (libpq then uses the default).
    fn value(&self, key: &'static str) -> Option<&'a str> {
        self.get(key).map(|(v, _)| v).filter(|v| !v.is_empty())
    }
}

fn invalid(key: &str, value: &str, origin: &str, expected: &str) -> Error {
    let from = if origin == key {
        String::new()
    } else {
        format!(" (from {origin})")
    };
    Error::Usage(format!(
        "invalid {key} value \"{value}\"{from}: expected {expected}"
    ))
}

fn parse_seconds(look: &Lookup<'_>, key: &'static str) -> Result<Option<i64>> {
    match look.get(key) {
        Some((value, origin)) if !value.trim().is_empty() => value
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(key, value, origin, "a whole number of seconds")),
        _ => Ok(None),
    }
}

/// Splits a comma-separated list; an absent value is no entries, an empty one is one entry.
fn list(value: Option<&str>) -> Vec<&str> {
    value.map(|v| v.split(',').collect()).unwrap_or_default()
}

impl Target {
    /// Resolves a URL or conninfo string (or none) plus the environment into a target.
    ///
    /// Malformed input is [`Error::Usage`]; unusable TLS files (a missing root certificate, an
    /// unreadable client key) are [`Error::Connect`], as libpq reports them when connecting.
    pub fn resolve(database_url: Option<&str>, env: &Env) -> Result<Target> {
        let params = conninfo::parse(database_url.unwrap_or(""))?;
        let look = Lookup {
            params: &params,
            env,
        };
        let mut warnings = Vec::new();

        let ssl_mode = match look.get("sslmode") {
            Some((value, origin)) if !value.is_empty() => {
                SslMode::parse(value).ok_or_else(|| {
                    invalid(
                        "sslmode",
                        value,
                        origin,
                        "disable, allow, prefer, require, verify-ca or verify-full",
                    )
                })?
            }
            _ => SslMode::Prefer,
        };
        let user = look
            .value("user")
            .or(env.os_user())
            .ok_or_else(|| {
                Error::Usage("no user name: give one in the connection string or PGUSER".into())
            })?
            .to_owned();
        let dbname = look.value("dbname").unwrap_or(&user).to_owned();
        let password = look.value("password");

        let mut base = postgres::Config::new();
        base.user(&user).dbname(&dbname);
        if let Some(password) = password {
            base.password(password);
        }
        base.application_name(
            look.get("application_name")
                .map_or(DEFAULT_APPLICATION_NAME, |(v, _)| v),
        );
        if let Some(options) = look.value("options") {
            base.options(options);
        }
        match parse_seconds(&look, "connect_timeout")? {
            None => {
                base.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
            }
            Some(secs) if secs <= 0 => {}
            Some(secs) => {
                // As libpq: a one-second timeout is too short to mean anything; use two.
                base.connect_timeout(Duration::from_secs(secs.max(2) as u64));
            }
        }
        if let Some(on) = parse_seconds(&look, "keepalives")? {
            base.keepalives(on != 0);
        }
        if let Some(secs) = parse_seconds(&look, "keepalives_idle")?.filter(|s| *s > 0) {
            base.keepalives_idle(Duration::from_secs(secs as u64));
        }
        if let Some(secs) = parse_seconds(&look, "keepalives_interval")?.filter(|s| *s > 0) {
            base.keepalives_interval(Duration::from_secs(secs as u64));
        }
        if let Some(count) = parse_seconds(&look, "keepalives_count")?.filter(|s| *s > 0) {
            base.keepalives_retries(u32::try_from(count).unwrap_or(u32::MAX));
        }
        if let Some((value, origin)) = look.get("target_session_attrs") {
            let attrs = match value {
                "" | "any" => TargetSessionAttrs::Any,
                "read-write" => TargetSessionAttrs::ReadWrite,
                "read-only" => TargetSessionAttrs::ReadOnly,
                _ => {
                    return Err(invalid(
                        "target_session_attrs",
                        value,
                        origin,
                        "any, read-write or read-only",
                    ));
                }
            };
            base.target_session_attrs(attrs);
        }

        // Hosts, their addresses and ports, matched up as libpq does.
        let hosts = list(look.get("host").map(|(v, _)| v));
        let hostaddrs = list(look.get("hostaddr").map(|(v, _)| v));
        let ports_given = look.get("port");
        let ports = list(ports_given.map(|(v, _)| v));
        if !hosts.is_empty() && !hostaddrs.is_empty() && hosts.len() != hostaddrs.len() {
            return Err(Error::Usage(format!(
                "could not match {} host names to {} hostaddr values",
                hosts.len(),
                hostaddrs.len()
            )));
        }
        let count = hosts.len().max(hostaddrs.len()).max(1);
        if ports.len() > 1 && ports.len() != count {
            return Err(Error::Usage(format!(
                "could not match {} port numbers to {count} hosts",
                ports.len()
            )));
        }

        let passfile = match password {
            Some(_) => None,
            None => {
                let path = look
                    .value("passfile")
                    .map(PathBuf::from)
                    .or_else(|| env.home().map(|home| home.join(".pgpass")));
                match path.as_deref().map(pgpass::load) {
                    Some(pgpass::Loaded::File(file)) => Some(file),
                    Some(pgpass::Loaded::Ignored(warning)) => {
                        warnings.push(warning);
                        None
                    }
                    Some(pgpass::Loaded::Absent) | None => None,
                }
            }
        };

        let mut endpoints = Vec::with_capacity(count);
        for i in 0..count {
            let host = hosts.get(i).copied().unwrap_or("");
            let hostaddr = hostaddrs.get(i).copied().unwrap_or("");
            let port_text = ports.get(i).or(ports.first()).copied().unwrap_or("");
            let port = if port_text.trim().is_empty() {
                DEFAULT_PORT
            } else {
                port_text
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| {
                        let origin = ports_given.map_or("port", |(_, o)| o);
                        invalid("port", port_text, origin, "a port number (1-65535)")
                    })?
            };
            let mut config = base.clone();
            config.port(port);
            let (label, unix, pgpass_host) = if !hostaddr.is_empty() {
                let addr: IpAddr = hostaddr.parse().map_err(|_| {
                    let origin = look.get("hostaddr").map_or("hostaddr", |(_, o)| o);
                    invalid("hostaddr", hostaddr, origin, "a numeric IP address")
                })?;
                if host.is_empty() || host.starts_with('/') {
                    // The address doubles as the name TLS checks, as in libpq.
                    config.host(hostaddr);
                    (hostaddr.to_owned(), false, hostaddr)
                } else {
                    config.host(host).hostaddr(addr);
                    (host.to_owned(), false, host)
                }
            } else if host.is_empty() || host.starts_with('/') {
                let dir = if host.is_empty() {
                    env.default_socket_dir()
                } else {
                    PathBuf::from(host)
                };
                config.host_path(&dir);
                (dir.display().to_string(), true, "")
            } else {
                config.host(host);
                (host.to_owned(), false, host)
            };
            let mut found_in = None;
            if let Some(file) = &passfile {
                let (host_key, socket_dir) = if unix {
                    (None, Some(label.as_str()))
                } else {
                    (Some(pgpass_host), None)
                };
                if let Some(pw) = file.find(host_key, socket_dir, port, &dbname, &user) {
                    config.password(pw);
                    found_in = Some(file.path().to_owned());
                }
            }
            endpoints.push(Endpoint {
                label: format!("{label}:{port}"),
                unix,
                config,
                passfile: found_in,
            });
        }

        let description = describe(&look, &endpoints, &user, &dbname, ssl_mode);
        let needs_tls = ssl_mode != SslMode::Disable && endpoints.iter().any(|e| !e.unix);
        let mut verify = tls::Verify::Nothing;
        let tls = if needs_tls {
            let settings =
                tls_settings(&look, env, ssl_mode).map_err(|failure| Error::Connect {
                    context: format!("cannot set up TLS for {description}"),
                    failure,
                })?;
            verify = settings.verify;
            let connector = tls::connector(&settings).map_err(|message| Error::Connect {
                context: format!("cannot set up TLS for {description}"),
                failure: plain_failure(message, None),
            })?;
            Some(connector)
        } else {
            None
        };

        Ok(Target {
            endpoints,
            ssl_mode,
            tls,
            verify,
            description,
            warnings,
        })
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
        config
            .connect(NoTls)
            .map_err(|e| self.failure(endpoint, &e))
    }

    fn attempt_tls(
        &self,
        endpoint: &Endpoint,
        mode: DriverSslMode,
        tls: &MakeTlsConnector,
    ) -> Result<Client, DbFailure> {
        let mut config = endpoint.config.clone();
        config.ssl_mode(mode);
        config
            .connect(tls.clone())
            .map_err(|e| self.failure(endpoint, &e))
    }

    /// What went wrong, in words that name the sslmode when TLS was the problem.
    fn failure(&self, endpoint: &Endpoint, err: &postgres::Error) -> DbFailure {
        let mut failure = DbFailure::from_postgres(err);
        if failure.code.is_some() {
            if failure.code.as_deref() == Some("28P01")
                && failure.hint.is_none()
                && let Some(path) = &endpoint.passfile
            {
                failure.hint = Some(format!(
                    "the password came from the password file \"{}\"",
                    path.display()
                ));
            }
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

/// The native-tls error (or the TLS-layer message) in the error's chain, if TLS failed.
fn tls_cause(err: &postgres::Error) -> Option<String> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(native) = cause.downcast_ref::<native_tls::Error>() {
            return Some(tidy_tls_error(&native.to_string()));
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

fn plain_failure(message: String, hint: Option<String>) -> DbFailure {
    DbFailure {
        code: None,
        message,
        detail: None,
        hint,
    }
}

/// Which certificates to trust and to present, from sslmode, sslrootcert, sslcert, sslkey
/// and the `~/.postgresql` defaults.
fn tls_settings(
    look: &Lookup<'_>,
    env: &Env,
    ssl_mode: SslMode,
) -> Result<tls::Settings, DbFailure> {
    let dot_postgresql = env.home().map(|home| home.join(".postgresql"));
    let explicit_root = look.value("sslrootcert");
    let verify = match ssl_mode {
        SslMode::VerifyFull => tls::Verify::Full,
        SslMode::VerifyCa => tls::Verify::Chain,
        SslMode::Require if explicit_root.is_some() => tls::Verify::Chain,
        _ => tls::Verify::Nothing,
    };
    let roots = if verify == tls::Verify::Nothing {
        None
    } else {
        Some(match explicit_root {
            Some("system") => tls::Roots::System,
            Some(path) => tls::Roots::File(PathBuf::from(path)),
            None => {
                let default = dot_postgresql.as_deref().map(|d| d.join("root.crt"));
                match default {
                    Some(path) if path.exists() => tls::Roots::File(path),
                    other => {
                        let shown = other.map_or_else(
                            || "~/.postgresql/root.crt".to_owned(),
                            |p| p.display().to_string(),
                        );
                        return Err(plain_failure(
                            format!("root certificate file \"{shown}\" does not exist"),
                            Some(format!(
                                "sslmode={ssl_mode} verifies the server certificate: provide the CA with sslrootcert, use the system's trusted roots with sslrootcert=system, or use sslmode=require"
                            )),
                        ));
                    }
                }
            }
        })
    };
    let default_file = |name: &str| dot_postgresql.as_deref().map(|d| d.join(name));
    let cert = match look.value("sslcert") {
        Some(path) => Some(PathBuf::from(path)),
        None => default_file("postgresql.crt").filter(|p| p.exists()),
    };
    let client = cert.and_then(|cert| {
        let key = look
            .value("sslkey")
            .map(PathBuf::from)
            .or_else(|| default_file("postgresql.key"))?;
        Some((cert, key))
    });
    Ok(tls::Settings {
        verify,
        roots,
        client,
    })
}

/// `host=… port=… user=… dbname=… sslmode=…`, values quoted as conninfo wants them.
fn describe(
    look: &Lookup<'_>,
    endpoints: &[Endpoint],
    user: &str,
    dbname: &str,
    ssl_mode: SslMode,
) -> String {
    let join =
        |f: &dyn Fn(&Endpoint) -> String| endpoints.iter().map(f).collect::<Vec<_>>().join(",");
    let hosts = join(&|e| match e.config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(name)) => name.clone(),
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => String::new(),
    });
    let ports = join(&|e| {
        e.config
            .get_ports()
            .first()
            .copied()
            .unwrap_or(DEFAULT_PORT)
            .to_string()
    });
    let mut out = format!("host={}", conninfo::quote(&hosts));
    if let Some(addrs) = look.value("hostaddr") {
        out.push_str(&format!(" hostaddr={}", conninfo::quote(addrs)));
    }
    out.push_str(&format!(
        " port={ports} user={} dbname={} sslmode={ssl_mode}",
        conninfo::quote(user),
        conninfo::quote(dbname)
    ));
    out
}

#[cfg(test)]
mod tests;
