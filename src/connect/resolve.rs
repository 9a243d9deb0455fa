//! From a connection string and an [`Env`] to a [`Target`]: the connection string first,
//! then the service file's section (`service=`, `PGSERVICE`), then the `PG*` variables, then
//! libpq's defaults; the password file; the TLS files.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use postgres::config::TargetSessionAttrs;

use super::conninfo::{self, Params};
use super::{Endpoint, Env, SslMode, Target, pgpass, plain_failure, service, tls};
use crate::error::{DbFailure, Error, Result};

/// The connection-string keys, the environment variables that fill them when absent, and
/// what each variable means: the one list of them, from which the man pages' ENVIRONMENT
/// section is written (consecutive variables with the same meaning share one entry there).
pub(crate) const ENV_VARS: &[(&str, &str, &str)] = &[
    ("host", "PGHOST", FILL),
    ("hostaddr", "PGHOSTADDR", FILL),
    ("port", "PGPORT", FILL),
    ("user", "PGUSER", FILL),
    ("password", "PGPASSWORD", FILL),
    ("dbname", "PGDATABASE", FILL),
    ("sslmode", "PGSSLMODE", TLS),
    ("sslrootcert", "PGSSLROOTCERT", TLS),
    ("sslcert", "PGSSLCERT", TLS),
    ("sslkey", "PGSSLKEY", TLS),
    ("connect_timeout", "PGCONNECT_TIMEOUT", MISC),
    ("application_name", "PGAPPNAME", MISC),
    ("passfile", "PGPASSFILE", MISC),
    (
        "options",
        "PGOPTIONS",
        "Command-line options sent to the server at connection start, as in libpq.",
    ),
    (
        "target_session_attrs",
        "PGTARGETSESSIONATTRS",
        "Which server of a multi-host connection to use: any, read-write or read-only, as in libpq.",
    ),
];
const FILL: &str = "Fill what the URL leaves out, as in libpq. Defaults: the Unix socket in /var/run/postgresql or /tmp, port 5432, the OS user, a database named after the user.";
const TLS: &str =
    "TLS settings with libpq's meaning (disable, allow, prefer, require, verify-ca, verify-full).";
const MISC: &str = "Connect timeout (default 10 s), application name (default scsctl), password file (default ~/.pgpass, ignored when group or world readable).";

pub(super) const DEFAULT_PORT: u16 = 5432;
const DEFAULT_APPLICATION_NAME: &str = "scsctl";
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a value found in the service file came from, for error messages.
const FROM_SERVICE: &str = "the service file";

/// Looks a key up in the connection string, then in the service's settings, then in the
/// environment (libpq's order); remembers where the value came from for error messages.
pub(super) struct Lookup<'a> {
    pub(super) params: &'a Params,
    pub(super) service: Option<&'a service::Service>,
    pub(super) env: &'a Env,
}

impl<'a> Lookup<'a> {
    /// The value and its origin ("PGPORT", "the service file", or the key itself for the
    /// connection string).
    fn get(&self, key: &'static str) -> Option<(&'a str, &'static str)> {
        if let Some(value) = self.params.get(key) {
            return Some((value, key));
        }
        if let Some(value) = self.service.and_then(|s| s.params.get(key)) {
            return Some((value, FROM_SERVICE));
        }
        let var = ENV_VARS.iter().find(|(k, _, _)| *k == key)?.1;
        self.env.get(var).map(|value| (value, var))
    }

    /// The value, with an empty one counting as absent (libpq then uses the default).
    fn value(&self, key: &'static str) -> Option<&'a str> {
        self.get(key).map(|(v, _)| v).filter(|v| !v.is_empty())
    }

    /// A usage error for a bad value of `key`, naming the variable it came from if any.
    fn invalid(&self, key: &'static str, value: &str, expected: &str) -> Error {
        let from = match (self.get(key), self.service) {
            (Some((_, FROM_SERVICE)), Some(service)) => format!(
                " (from service \"{}\" in \"{}\")",
                service.name,
                service.path.display()
            ),
            (Some((_, origin)), _) if origin != key => format!(" (from {origin})"),
            _ => String::new(),
        };
        Error::Usage(format!(
            "invalid {key} value \"{value}\"{from}: expected {expected}"
        ))
    }

    fn seconds(&self, key: &'static str) -> Result<Option<i64>> {
        match self.value(key).map(str::trim).filter(|v| !v.is_empty()) {
            Some(value) => value
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.invalid(key, value, "a whole number of seconds")),
            None => Ok(None),
        }
    }
}

/// Resolves once; the [`Target`] then connects as often as asked.
pub(super) fn resolve(database_url: Option<&str>, env: &Env) -> Result<Target> {
    let params = conninfo::parse(database_url.unwrap_or(""))?;
    let service = service::find(&params, env)?;
    let look = Lookup {
        params: &params,
        service: service.as_ref(),
        env,
    };
    let ssl_mode = ssl_mode(&look)?;
    let user = look
        .value("user")
        .or(env.os_user())
        .ok_or_else(|| {
            Error::Usage("no user name: give one in the connection string or PGUSER".into())
        })?
        .to_owned();
    let dbname = look.value("dbname").unwrap_or(&user).to_owned();
    let base = driver_config(&look, &user, &dbname)?;

    let mut warnings = Vec::new();
    let passfile = match look.value("password") {
        Some(_) => None,
        None => password_file(&look, &mut warnings),
    };
    let endpoints = endpoints(&look, &base, passfile.as_ref())?;
    let description = describe(&look, &endpoints, &user, &dbname, ssl_mode);

    let mut verify = tls::Verify::Nothing;
    let needs_tls = ssl_mode != SslMode::Disable && endpoints.iter().any(|e| !e.unix);
    let tls = if needs_tls {
        let context = || format!("cannot set up TLS for {description}");
        let settings = tls_settings(&look, ssl_mode).map_err(|failure| Error::Connect {
            context: context(),
            failure,
        })?;
        verify = settings.verify;
        let connector = tls::connector(&settings).map_err(|message| Error::Connect {
            context: context(),
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

fn ssl_mode(look: &Lookup<'_>) -> Result<SslMode> {
    match look.value("sslmode") {
        Some(value) => SslMode::parse(value).ok_or_else(|| {
            look.invalid(
                "sslmode",
                value,
                "disable, allow, prefer, require, verify-ca or verify-full",
            )
        }),
        None => Ok(SslMode::Prefer),
    }
}

/// Everything but host, port and password: the same for every host.
fn driver_config(look: &Lookup<'_>, user: &str, dbname: &str) -> Result<postgres::Config> {
    let mut config = postgres::Config::new();
    config.user(user).dbname(dbname);
    if let Some(password) = look.value("password") {
        config.password(password);
    }
    config.application_name(
        look.get("application_name")
            .map_or(DEFAULT_APPLICATION_NAME, |(v, _)| v),
    );
    if let Some(options) = look.value("options") {
        config.options(options);
    }
    match look.seconds("connect_timeout")? {
        None => {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        Some(secs) if secs <= 0 => {}
        // As libpq: one second is too short to mean anything; it becomes two.
        Some(secs) => {
            config.connect_timeout(Duration::from_secs(secs.max(2).unsigned_abs()));
        }
    }
    if let Some(on) = look.seconds("keepalives")? {
        config.keepalives(on != 0);
    }
    if let Some(secs) = look.seconds("keepalives_idle")?.filter(|s| *s > 0) {
        config.keepalives_idle(Duration::from_secs(secs.unsigned_abs()));
    }
    if let Some(secs) = look.seconds("keepalives_interval")?.filter(|s| *s > 0) {
        config.keepalives_interval(Duration::from_secs(secs.unsigned_abs()));
    }
    if let Some(count) = look.seconds("keepalives_count")?.filter(|s| *s > 0) {
        config.keepalives_retries(u32::try_from(count).unwrap_or(u32::MAX));
    }
    if let Some(value) = look.value("target_session_attrs") {
        config.target_session_attrs(match value {
            "any" => TargetSessionAttrs::Any,
            "read-write" => TargetSessionAttrs::ReadWrite,
            "read-only" => TargetSessionAttrs::ReadOnly,
            _ => {
                return Err(look.invalid(
                    "target_session_attrs",
                    value,
                    "any, read-write or read-only",
                ));
            }
        });
    }
    Ok(config)
}

/// The password file, read once, when no password was given; a warning if it is ignored.
fn password_file(look: &Lookup<'_>, warnings: &mut Vec<String>) -> Option<pgpass::PassFile> {
    let path = look
        .value("passfile")
        .map(PathBuf::from)
        .or_else(|| look.env.home().map(|home| home.join(".pgpass")))?;
    match pgpass::load(&path) {
        pgpass::Loaded::File(file) => Some(file),
        pgpass::Loaded::Ignored(warning) => {
            warnings.push(warning);
            None
        }
        pgpass::Loaded::Absent => None,
    }
}

/// Splits a comma-separated list; an absent value is no entries, an empty one is one entry.
fn list(value: Option<&str>) -> Vec<&str> {
    value.map(|v| v.split(',').collect()).unwrap_or_default()
}

/// One endpoint per host (or hostaddr), with its port and its password-file password.
fn endpoints(
    look: &Lookup<'_>,
    base: &postgres::Config,
    passfile: Option<&pgpass::PassFile>,
) -> Result<Vec<Endpoint>> {
    let hosts = list(look.get("host").map(|(v, _)| v));
    let hostaddrs = list(look.get("hostaddr").map(|(v, _)| v));
    let ports = list(look.get("port").map(|(v, _)| v));
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
    (0..count)
        .map(|i| {
            let host = hosts.get(i).copied().unwrap_or("");
            let hostaddr = hostaddrs.get(i).copied().unwrap_or("");
            let port = ports.get(i).or(ports.first()).copied().unwrap_or("");
            endpoint(look, base, passfile, host, hostaddr, port)
        })
        .collect()
}

fn endpoint(
    look: &Lookup<'_>,
    base: &postgres::Config,
    passfile: Option<&pgpass::PassFile>,
    host: &str,
    hostaddr: &str,
    port: &str,
) -> Result<Endpoint> {
    let port = match port.trim() {
        "" => DEFAULT_PORT,
        text => text
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| look.invalid("port", port, "a port number (1-65535)"))?,
    };
    let mut config = base.clone();
    config.port(port);
    // `name` is what messages show and what the password file matches.
    let (name, unix) = if !hostaddr.is_empty() {
        let addr: IpAddr = hostaddr
            .parse()
            .map_err(|_| look.invalid("hostaddr", hostaddr, "a numeric IP address"))?;
        if host.is_empty() || host.starts_with('/') {
            // The address doubles as the name TLS checks, as in libpq.
            config.host(hostaddr);
            (hostaddr.to_owned(), false)
        } else {
            config.host(host).hostaddr(addr);
            (host.to_owned(), false)
        }
    } else if host.is_empty() || host.starts_with('/') {
        let dir = match host {
            "" => look.env.default_socket_dir(),
            dir => PathBuf::from(dir),
        };
        config.host_path(&dir);
        (dir.display().to_string(), true)
    } else {
        config.host(host);
        (host.to_owned(), false)
    };

    let mut found_in = None;
    if let Some(file) = passfile {
        let user = base.get_user().unwrap_or_default();
        let dbname = base.get_dbname().unwrap_or_default();
        let (host_key, socket_dir) = match unix {
            true => (None, Some(name.as_str())),
            false => (Some(name.as_str()), None),
        };
        if let Some(password) = file.find(host_key, socket_dir, port, dbname, user) {
            config.password(password);
            found_in = Some(file.path().to_owned());
        }
    }
    Ok(Endpoint {
        label: match name.contains(':') {
            true => format!("[{name}]:{port}"),
            false => format!("{name}:{port}"),
        },
        unix,
        config,
        passfile: found_in,
    })
}

/// Which certificates to trust and to present, from sslmode, sslrootcert, sslcert, sslkey
/// and the `~/.postgresql` defaults.
pub(super) fn tls_settings(
    look: &Lookup<'_>,
    ssl_mode: SslMode,
) -> Result<tls::Settings, DbFailure> {
    let dot_postgresql = look.env.home().map(|home| home.join(".postgresql"));
    let default_file = |name: &str| dot_postgresql.as_deref().map(|d| d.join(name));
    let explicit_root = look.value("sslrootcert");
    let verify = match ssl_mode {
        SslMode::VerifyFull => tls::Verify::Full,
        SslMode::VerifyCa => tls::Verify::Chain,
        SslMode::Require if explicit_root.is_some() => tls::Verify::Chain,
        _ => tls::Verify::Nothing,
    };
    let roots = match (verify, explicit_root) {
        (tls::Verify::Nothing, _) => None,
        (_, Some("system")) => Some(tls::Roots::System),
        (_, Some(path)) => Some(tls::Roots::File(PathBuf::from(path))),
        (_, None) => match default_file("root.crt") {
            Some(path) if path.exists() => Some(tls::Roots::File(path)),
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
        },
    };
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
        let port = e.config.get_ports().first().copied();
        port.unwrap_or(DEFAULT_PORT).to_string()
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
