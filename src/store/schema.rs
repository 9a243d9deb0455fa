//! The sessions table's DDL exactly as SCS's postgresstore documents it, creating it safely,
//! and checking an existing table's shape.

use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use crate::error::{Error, Result};
use crate::table::{TableName, quote_ident};

/// The statements that create the table, in order: the schema when the name is qualified,
/// the table and the expiry index, each `IF NOT EXISTS`.
pub fn create_sql(table: &TableName) -> Vec<String> {
    let mut sql = Vec::new();
    if let Some(schema) = table.quoted_schema() {
        sql.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
    }
    sql.push(format!(
        "CREATE TABLE IF NOT EXISTS {} (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)",
        table.quoted()
    ));
    sql.push(format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} (expiry)",
        quote_ident(&table.index_name()),
        table.quoted()
    ));
    sql
}

/// The statements that let `role` use the table as an SCS app does.
pub fn grant_sql(table: &TableName, role: &str) -> Vec<String> {
    let mut sql = Vec::new();
    if let Some(schema) = table.quoted_schema() {
        sql.push(format!(
            "GRANT USAGE ON SCHEMA {schema} TO {}",
            quote_ident(role)
        ));
    }
    sql.push(format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}",
        table.quoted(),
        quote_ident(role)
    ));
    sql
}

/// The outcome of checking a table against what SCS needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaCheck {
    /// Whether the table existed before this run.
    pub existed: bool,
    /// Differences that break SCS (wrong type, missing column, no primary key, …).
    pub problems: Vec<String>,
    /// Differences that SCS survives but an operator should fix (no index on expiry, …).
    pub warnings: Vec<String>,
}

impl SchemaCheck {
    /// Whether SCS can use the table.
    pub fn compatible(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The columns SCS needs: name, the type `format_type` prints, and its description.
const COLUMNS: [(&str, &str, &str); 3] = [
    ("token", "text", "TEXT"),
    ("data", "bytea", "BYTEA"),
    ("expiry", "timestamp with time zone", "TIMESTAMPTZ"),
];

/// Arbitrary first key for the advisory lock that serialises concurrent `init-schema` runs.
const SCHEMA_LOCK_CLASS: i32 = 0x0073_6374;

impl Store {
    /// Creates the table and its index when missing, safely against concurrent runs (an
    /// advisory lock serialises them, since `IF NOT EXISTS` alone races in the catalog), then
    /// checks the shape of what is there. An existing table is never altered.
    pub fn init_schema(&mut self, grants: &[String]) -> Result<SchemaCheck> {
        let table = self.table.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| table_error(&table, "cannot start a transaction", e))?;
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[
                (&SCHEMA_LOCK_CLASS, Type::INT4),
                (&table.quoted(), Type::TEXT),
            ],
        )
        .map_err(|e| Error::db("cannot take the schema lock", e))?;
        let found = regclass(&mut tx, &table)?;
        let existed = found.is_some();
        if !existed {
            for sql in create_sql(&table) {
                tx.batch_execute(&sql)
                    .map_err(|e| Error::db(format!("cannot create table \"{table}\""), e))?;
            }
        }
        for role in grants {
            for sql in grant_sql(&table, role) {
                tx.batch_execute(&sql)
                    .map_err(|e| Error::db(format!("cannot grant access to role {role:?}"), e))?;
            }
            check_granted(&mut tx, &table, role)?;
        }
        let oid = match found {
            Some(oid) => oid,
            None => regclass(&mut tx, &table)?.ok_or_else(|| missing(&table))?,
        };
        let mut check = check_shape(&mut tx, &table, oid)?;
        check.existed = existed;
        tx.commit()
            .map_err(|e| Error::db(format!("cannot create table \"{table}\""), e))?;
        Ok(check)
    }

    /// Checks the shape of the table without changing anything. A missing table is an error
    /// that says how to create it.
    pub fn check_schema(&mut self) -> Result<SchemaCheck> {
        let table = self.table.clone();
        let mut tx = self
            .client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| table_error(&table, "cannot start a transaction", e))?;
        let oid = regclass(&mut tx, &table)?.ok_or_else(|| missing(&table))?;
        let mut check = check_shape(&mut tx, &table, oid)?;
        check.existed = true;
        Ok(check)
    }
}

/// A GRANT by a role that may not grant on the table is only a WARNING ("no privileges were
/// granted"), so what the role holds afterwards is checked rather than assumed.
fn check_granted(tx: &mut postgres::Transaction<'_>, table: &TableName, role: &str) -> Result<()> {
    let row = tx
        .query_typed_one(
            "SELECT bool_and(has_table_privilege($1, $2::text::regclass, p)) \
             FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p",
            &[(&role, Type::TEXT), (&table.quoted(), Type::TEXT)],
        )
        .map_err(|e| Error::db(format!("cannot grant access to role {role:?}"), e))?;
    if row.get::<_, Option<bool>>(0) == Some(true) {
        return Ok(());
    }
    Err(Error::Database {
        context: format!("cannot grant access to role {role:?}"),
        failure: crate::error::DbFailure {
            code: Some("42501".into()),
            message: format!(
                "permission denied: the server granted nothing, as only the owner of table \"{table}\" (or a superuser) may grant on it"
            ),
            detail: None,
            hint: Some("run init-schema --grant as the table's owner".into()),
        },
    })
}

fn regclass(tx: &mut postgres::Transaction<'_>, table: &TableName) -> Result<Option<u32>> {
    let row = tx
        .query_typed_one(
            "SELECT to_regclass($1)::oid",
            &[(&table.quoted(), Type::TEXT)],
        )
        .map_err(|e| Error::db("cannot look up the table", e))?;
    Ok(row.get(0))
}

fn missing(table: &TableName) -> Error {
    Error::Incompatible(format!(
        "table \"{table}\" does not exist — run: scsctl init-schema"
    ))
}

/// The shape of `table`, whose relation is `oid`.
fn check_shape(
    tx: &mut postgres::Transaction<'_>,
    table: &TableName,
    oid: postgres::types::Oid,
) -> Result<SchemaCheck> {
    let mut check = SchemaCheck::default();
    let kind: i8 = tx
        .query_typed_one(
            "SELECT relkind FROM pg_class WHERE oid = $1",
            &[(&oid, Type::OID)],
        )
        .map_err(|e| Error::db("cannot inspect the table", e))?
        .get(0);
    if !matches!(kind as u8, b'r' | b'p') {
        check.problems.push(format!(
            "\"{table}\" is not a table (relkind '{}')",
            kind as u8 as char
        ));
        return Ok(check);
    }
    let columns = tx
        .query_typed(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                    a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', a.attnum \
             FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[(&oid, Type::OID)],
        )
        .map_err(|e| Error::db("cannot inspect the table's columns", e))?;
    for (name, want_type, shown) in COLUMNS {
        match columns.iter().find(|c| c.get::<_, String>(0) == name) {
            None => check.problems.push(format!(
                "column {name} is missing (SCS needs {name} {shown})"
            )),
            Some(col) => {
                let have: String = col.get(1);
                if have != want_type {
                    check
                        .problems
                        .push(format!("column {name} is {have}; SCS needs {shown}"));
                }
                if name != "token" && !col.get::<_, bool>(2) {
                    check.warnings.push(format!(
                        "column {name} allows NULL; SCS's schema has {name} {shown} NOT NULL"
                    ));
                }
            }
        }
    }
    for col in &columns {
        let name: String = col.get(0);
        let (not_null, has_default): (bool, bool) = (col.get(2), col.get(3));
        if !COLUMNS.iter().any(|(n, _, _)| *n == name) && not_null && !has_default {
            check.problems.push(format!(
                "extra column {name} is NOT NULL without a default, so SCS's inserts would fail"
            ));
        }
    }
    let token_attnum = columns
        .iter()
        .find(|c| c.get::<_, String>(0) == "token")
        .map(|c| c.get::<_, i16>(4));
    let expiry_attnum = columns
        .iter()
        .find(|c| c.get::<_, String>(0) == "expiry")
        .map(|c| c.get::<_, i16>(4));
    let indexes = tx
        .query_typed(
            "SELECT i.indisprimary, i.indisunique, i.indnatts::int4, i.indkey[0], i.indisvalid, \
                    i.indpred IS NULL, c.relname::text \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1",
            &[(&oid, Type::OID)],
        )
        .map_err(|e| Error::db("cannot inspect the table's indexes", e))?;
    let unique_on_token = indexes.iter().any(|i| {
        (i.get::<_, bool>(0) || i.get::<_, bool>(1))
            && i.get::<_, i32>(2) == 1
            && Some(i.get::<_, i16>(3)) == token_attnum
            && i.get::<_, bool>(5)
    });
    let primary_on_token = indexes.iter().any(|i| {
        i.get::<_, bool>(0) && i.get::<_, i32>(2) == 1 && Some(i.get::<_, i16>(3)) == token_attnum
    });
    if token_attnum.is_some() && !unique_on_token {
        check.problems.push(
            "token is not the primary key (SCS's upsert needs ON CONFLICT (token))".to_owned(),
        );
    } else if token_attnum.is_some() && !primary_on_token {
        check.warnings.push(
            "token has a unique index but is not the PRIMARY KEY SCS's schema declares".to_owned(),
        );
    }
    if expiry_attnum.is_some() {
        let indexed = indexes.iter().any(|i| {
            Some(i.get::<_, i16>(3)) == expiry_attnum && i.get::<_, bool>(4) && i.get::<_, bool>(5)
        });
        if !indexed {
            check.warnings.push(format!(
                "no index on expiry: every cleanup scans the whole table — run: CREATE INDEX CONCURRENTLY {} ON {} (expiry)",
                quote_ident(&table.index_name()),
                table.quoted()
            ));
        }
    }
    Ok(check)
}
