//! Integration tests of the `scsctl` binary against a private throwaway PostgreSQL cluster
//! (see `tests/support/mod.rs` for the harness and its environment variables).
//!
//! This is the one integration test binary: every test module is a `mod` here, so all
//! tests share one cluster (each with a database of its own) and run in parallel.

#[path = "../support/mod.rs"]
mod support;

mod codec;
mod concurrency;
mod connect;
mod contrib;
mod delete;
mod errors;
mod faults;
mod generated;
mod get;
mod go_store;
mod harness;
mod hostile;
mod init_schema;
mod input;
mod json_shapes;
mod list;
mod migrate;
mod pgbouncer;
mod pipes;
mod purge;
mod put;
mod scale_out;
mod security;
mod seed;
mod shapes;
mod stats;
mod store;
mod types;
mod values;
mod watch_cleanup;
