//! scsctl: operate the PostgreSQL sessions table of Go apps that use SCS
//! (`alexedwards/scs` with `postgresstore`).
//!
//! The library promises two things, usable without the `scsctl` binary:
//!
//! - **The store**: [`store::Store`], the Rust twin of SCS's postgresstore, with its exact
//!   semantics (`find`, `commit`, `delete`, `all`, and a background cleanup started by
//!   [`store::Store::open`]). A Rust web app can share the sessions table with a Go app through
//!   it. [`connect`] resolves connection settings the way libpq does; [`table`] names the table.
//! - **The codec**: [`session`] reads and writes SCS's session envelope (a deadline and a map of
//!   values) on top of [`gob`], Go's gob encoding; [`token`] makes and hashes tokens as SCS does.
//!
//! Around them: [`cleaner`], the batched purge engine behind `scsctl purge`; [`error`], the one
//! error type, whose variants know their exit codes; [`sanitize`], the escaping that keeps
//! stored bytes from driving a terminal. The command line itself (argument parsing, the
//! subcommands, output) is private to the crate.
//!
//! # The store
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//!
//! use scsctl::connect::{Env, Target};
//! use scsctl::store::Store;
//! use scsctl::table::TableName;
//!
//! # fn main() -> scsctl::Result<()> {
//! let target = Target::resolve(Some("postgres://app@db/app"), &Env::from_process())?;
//! // Like postgresstore.New: a background cleanup every five minutes.
//! let mut store = Store::open(&target, TableName::parse("sessions")?, Duration::from_secs(300))?;
//! store.commit("token", b"data", SystemTime::now() + Duration::from_secs(3600))?;
//! assert_eq!(store.find("token")?, Some(b"data".to_vec()));
//! assert!(store.delete("token")?);
//! # Ok(())
//! # }
//! ```
//!
//! # The codec
//!
//! ```
//! use std::time::{Duration, SystemTime};
//!
//! use scsctl::session::{self, Decoded, Session};
//!
//! let mut s = Session::new(SystemTime::now() + Duration::from_secs(3600));
//! let (key, value) = session::parse_set("userID:int=42").unwrap();
//! s.set(key, value);
//! let data = s.encode().unwrap(); // what a Go app's SCS reads from the `data` column
//! match session::decode(&data) {
//!     Decoded::Gob(back) => assert_eq!(back.values_json()["userID"]["value"], 42),
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! Data flows one way: `main` → `cli` → `config` → `commands` → [`connect`] → [`store`]
//! (→ [`session`] → [`gob`]) → `output`. Nothing below `commands` prints, and nothing
//! below `main` exits the process.

pub mod cleaner;
mod cli;
mod commands;
mod config;
pub mod connect;
mod duration;
pub mod error;
mod examples;
pub mod gob;
mod output;
pub mod sanitize;
pub mod session;
pub mod store;
pub mod table;
pub mod token;

pub use error::{Error, Result};

/// What the `scsctl` binary calls: not part of the library's promise.
#[doc(hidden)]
pub mod binary {
    pub use crate::cli::{OutputFormat, parse_from, usage_error, wants_json};
    pub use crate::commands::run;
    pub use crate::output::report_error;
}
