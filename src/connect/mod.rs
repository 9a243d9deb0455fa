//! The one connection path: every subcommand, the store's background cleanup and the daemon
//! connect through [`Target`].
//!
//! PLACEHOLDER: a minimal implementation so the rest of the crate can be built; the full libpq
//! behaviour (conninfo, PG* environment, pgpass, sslmode) replaces it.

use std::collections::HashMap;
use std::str::FromStr;

use crate::error::{DbFailure, Error, Result};

/// A snapshot of the environment variables the connection path reads, so that resolution is a
/// pure function of its inputs (and testable without touching the process environment).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// Takes the current process environment.
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    /// Builds an environment from explicit pairs.
    pub fn from_vars<I, K, V>(vars: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// A resolved connection target: everything needed to connect, and to connect again.
#[derive(Clone)]
pub struct Target {
    config: postgres::Config,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    /// Resolves a URL or conninfo string (or none) plus the environment into a target.
    pub fn resolve(database_url: Option<&str>, _env: &Env) -> Result<Target> {
        let mut config = postgres::Config::from_str(database_url.unwrap_or(""))
            .map_err(|e| Error::Usage(format!("invalid connection string: {e}")))?;
        config.application_name("scsctl");
        Ok(Target {
            config,
            warnings: Vec::new(),
        })
    }

    /// Opens a new connection.
    pub fn connect(&self) -> Result<postgres::Client> {
        self.config
            .connect(postgres::NoTls)
            .map_err(|e| Error::Connect {
                context: format!("cannot connect to {}", self.describe()),
                failure: DbFailure::from_postgres(&e),
            })
    }

    /// Warnings met while resolving (for example an ignored, world-readable pgpass file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A description of the target for messages: host, port, user, database; never a password.
    pub fn describe(&self) -> String {
        format!(
            "database {:?} as {:?}",
            self.config.get_dbname().unwrap_or(""),
            self.config.get_user().unwrap_or("")
        )
    }

    /// Asks the server to cancel whatever the connection behind `token` is running.
    pub fn cancel(&self, token: &postgres::CancelToken) -> Result<()> {
        token
            .cancel_query(postgres::NoTls)
            .map_err(|e| Error::Connect {
                context: "cannot cancel the running statement".into(),
                failure: DbFailure::from_postgres(&e),
            })
    }
}
