//! Turns driver errors into scsctl errors that say what to do about the sessions table.

use crate::error::{DbFailure, Error};
use crate::table::TableName;

/// Wraps a driver error met while doing `context` on `table`, recognising the failures an
/// operator can fix: a missing table, a table of the wrong shape, a lost connection.
pub(crate) fn table_error(table: &TableName, context: &str, err: postgres::Error) -> Error {
    let failure = DbFailure::from_postgres(&err);
    match failure.code.as_deref() {
        Some("42P01") | Some("3F000") => {
            return Error::Incompatible(format!(
                "table \"{table}\" does not exist — run: scsctl init-schema{}",
                table_flag(table)
            ));
        }
        Some("42703") | Some("42804") | Some("42P10") => {
            return incompatible(table, &failure.message);
        }
        _ => {}
    }
    Error::db(context, err)
}

/// The table exists but is not the shape SCS needs; `why` says how it differs.
pub(crate) fn incompatible(table: &TableName, why: &str) -> Error {
    Error::Incompatible(format!(
        "table \"{table}\" does not have the shape SCS needs ({why}) — run: scsctl init-schema{} to see every difference",
        table_flag(table)
    ))
}

fn table_flag(table: &TableName) -> String {
    if table.schema().is_none() && table.name() == "sessions" {
        String::new()
    } else {
        format!(" --table '{}'", table.to_string().replace('\'', r"'\''"))
    }
}
