//! The sessions table's DDL exactly as SCS's postgresstore documents it, creating it safely,
//! and checking an existing table's shape.

use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use crate::error::{Error, Result};
use crate::table::{TableName, quote_ident};

/// The most leaf partitions `init-schema --partitions` makes.
pub const MAX_PARTITIONS: u32 = 1024;

/// The statements that create the table, in order: the schema when the name is qualified,
/// the table and the expiry index, each `IF NOT EXISTS`. With `partitions`, the table is
/// partitioned by hash of `token` (the only partitioning SCS's SQL allows: the primary key
/// must hold the partition key, and `ON CONFLICT (token)` must keep working) into that many
/// leaves named `<table>_p<i>`, the expiry index on the parent (so on every leaf).
pub fn create_sql(table: &TableName, partitions: Option<u32>) -> Vec<String> {
    let mut sql = Vec::new();
    if let Some(schema) = table.quoted_schema() {
        sql.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
    }
    let columns = "(token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)";
    match partitions {
        None => sql.push(format!(
            "CREATE TABLE IF NOT EXISTS {} {columns}",
            table.quoted()
        )),
        Some(n) => {
            sql.push(format!(
                "CREATE TABLE IF NOT EXISTS {} {columns} PARTITION BY HASH (token)",
                table.quoted()
            ));
            for (i, leaf) in partition_names(table, n).iter().enumerate() {
                sql.push(format!(
                    "CREATE TABLE IF NOT EXISTS {leaf} PARTITION OF {} FOR VALUES WITH (MODULUS {n}, REMAINDER {i})",
                    table.quoted()
                ));
            }
        }
    }
    sql.push(format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} (expiry)",
        quote_ident(&table.index_name()),
        table.quoted()
    ));
    sql
}

/// The leaf partitions `init-schema --partitions n` makes, quoted: `<table>_p0` … in the
/// table's schema.
pub fn partition_names(table: &TableName, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let leaf = quote_ident(&format!("{}_p{i}", table.name()));
            match table.quoted_schema() {
                Some(schema) => format!("{schema}.{leaf}"),
                None => leaf,
            }
        })
        .collect()
}

/// Checks `--partitions`: a count PostgreSQL can hash into, and leaf names it will not
/// truncate.
pub fn check_partitions(table: &TableName, n: u32) -> Result<()> {
    if !(1..=MAX_PARTITIONS).contains(&n) {
        return Err(Error::Usage(format!(
            "--partitions takes a number from 1 to {MAX_PARTITIONS}, not {n}"
        )));
    }
    let longest = format!("{}_p{}", table.name(), n - 1);
    if longest.len() > 63 {
        return Err(Error::Usage(format!(
            "the partitions of \"{table}\" would be named like {longest:?}, longer than the 63 bytes PostgreSQL keeps: use a shorter table name"
        )));
    }
    Ok(())
}

/// The statements that let `role` use the table as an SCS app does. `leaves` are the table's
/// partitions or inheritance children (quoted), granted the same: scsctl's purge deletes from
/// each directly, where the parent's privileges do not reach.
pub fn grant_sql(table: &TableName, leaves: &[String], role: &str) -> Vec<String> {
    let mut sql = Vec::new();
    if let Some(schema) = table.quoted_schema() {
        sql.push(format!(
            "GRANT USAGE ON SCHEMA {schema} TO {}",
            quote_ident(role)
        ));
    }
    for name in std::iter::once(&table.quoted()).chain(leaves) {
        sql.push(format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {}",
            quote_ident(role)
        ));
    }
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
    /// The leaf partitions or inheritance children that hold rows besides the table itself
    /// (`schema.name`), empty for a plain table.
    pub leaves: Vec<String>,
    /// Whether the table is partitioned.
    pub partitioned: bool,
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
        self.init_schema_with(grants, None)
    }

    /// [`Store::init_schema`], creating a table hash-partitioned by `token` into `partitions`
    /// leaves when it is missing ([`create_sql`]). An existing table that is not partitioned is
    /// refused rather than converted.
    pub fn init_schema_with(
        &mut self,
        grants: &[String],
        partitions: Option<u32>,
    ) -> Result<SchemaCheck> {
        if let Some(n) = partitions {
            check_partitions(&self.table, n)?;
        }
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
            for sql in create_sql(&table, partitions) {
                tx.batch_execute(&sql)
                    .map_err(|e| Error::db(format!("cannot create table \"{table}\""), e))?;
            }
        }
        if let (Some(oid), Some(_)) = (found, partitions)
            && relkind(&mut tx, oid)? == b'r'
        {
            return Err(Error::Incompatible(format!(
                "table \"{table}\" exists and is not partitioned; scsctl does not convert a \
                 table in place — create the partitioned table under another name \
                 (scsctl init-schema --partitions N --table NEW), copy the rows \
                 (INSERT INTO NEW SELECT token, data, expiry FROM {table}), then swap the \
                 names in one transaction (ALTER TABLE … RENAME TO …) while the app is stopped"
            )));
        }
        let leaves = leaves_of(&mut tx, &table)?;
        for role in grants {
            let quoted: Vec<String> = leaves.iter().map(|l| l.quoted.clone()).collect();
            for sql in grant_sql(&table, &quoted, role) {
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
        check.leaves = leaves.iter().map(|l| l.name.clone()).collect();
        warn_of_unindexed(&leaves, &mut check);
        tx.commit()
            .map_err(|e| Error::db(format!("cannot create table \"{table}\""), e))?;
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

/// The relation's `relkind` letter.
fn relkind(tx: &mut postgres::Transaction<'_>, oid: postgres::types::Oid) -> Result<u8> {
    let kind: i8 = tx
        .query_typed_one(
            "SELECT relkind FROM pg_class WHERE oid = $1",
            &[(&oid, Type::OID)],
        )
        .map_err(|e| Error::db("cannot inspect the table", e))?
        .get(0);
    Ok(kind as u8)
}

/// A table holding rows of the sessions table besides the table itself.
struct LeafRow {
    /// `"schema"."name"`.
    quoted: String,
    /// `schema.name`.
    name: String,
    /// Whether an index is led by `expiry` ([`super::Leaf::expiry_index`]).
    expiry_index: bool,
}

/// The tables holding rows of `table` besides itself (leaf partitions, inheritance children,
/// at any depth), read once for the grants, the report and the index check.
fn leaves_of(tx: &mut postgres::Transaction<'_>, table: &TableName) -> Result<Vec<LeafRow>> {
    let rows = tx
        .query_typed(super::leaves::LAYOUT_SQL, &[(&table.quoted(), Type::TEXT)])
        .map_err(|e| Error::db("cannot read the table's partitions", e))?;
    Ok(rows
        .iter()
        .filter(|r| r.get::<_, i32>(4) > 0 && r.get::<_, String>(1) == "r")
        .map(|r| {
            let (schema, name): (String, String) = (r.get(2), r.get(3));
            LeafRow {
                quoted: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
                name: format!("{schema}.{name}"),
                expiry_index: r.get(6),
            }
        })
        .collect())
}

/// Warns of each leaf (partition or child) without an index led by `expiry`: the parent's
/// index does not cover a child table, and a partition can be attached without one.
fn warn_of_unindexed(leaves: &[LeafRow], check: &mut SchemaCheck) {
    let bare: Vec<&str> = leaves
        .iter()
        .filter(|l| !l.expiry_index)
        .map(|l| l.name.as_str())
        .collect();
    if !bare.is_empty() {
        check.warnings.push(format!(
            "{} of {} leaf tables have no index led by expiry ({}): scsctl purges them in page order, reading each whole — create one on each (CREATE INDEX CONCURRENTLY … ON <leaf> (expiry))",
            bare.len(),
            leaves.len(),
            bare.join(", ")
        ));
    }
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
    let kind = relkind(tx, oid)?;
    check.partitioned = kind == b'p';
    if !matches!(kind, b'r' | b'p') {
        check.problems.push(format!(
            "\"{table}\" is not a table (relkind '{}')",
            kind as char
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
    // A partitioned table's own index is only a template; its leaves are checked one by one.
    if expiry_attnum.is_some() && !check.partitioned {
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
