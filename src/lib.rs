//! scsctl: operate the PostgreSQL sessions table of Go apps that use SCS
//! (`alexedwards/scs` with `postgresstore`).
//!
//! The library is usable on its own: [`store::Store`] is the Rust twin of SCS's postgresstore,
//! [`session`] and [`gob`] read and write SCS's session encoding, and [`connect`] resolves
//! connection settings the way libpq does. The `scsctl` binary is a thin layer over it.
//!
//! Data flows one way: `main` → [`cli`] → [`config`] → [`commands`] → [`connect`] → [`store`]
//! (→ [`session`] → [`gob`]) → [`output`]. Nothing below [`commands`] prints, and nothing
//! below `main` exits the process.

/// The purge engine: batched deletes of expired sessions, the one-cleaner lock, the daemon.
pub mod cleaner;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connect;
pub mod duration;
pub mod error;
pub mod gob;
pub mod output;
pub mod sanitize;
pub mod session;
pub mod store;
pub mod table;
pub mod token;

pub use error::{Error, Result};
