//! The tables that really hold a sessions table's rows. A plain table holds its own; a table
//! partitioned by `token` holds none and its leaf partitions hold them all; an inheritance
//! parent holds some itself and its children the rest. Purging works on each of these leaves
//! with `ONLY`, where a row's `ctid` names exactly one row: across the leaves of one logical
//! table, `ctid`s repeat.

use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use crate::error::{Error, Result};
use crate::table::quote_ident;

/// One table that stores rows of the sessions table: the table itself when it is plain, each
/// leaf partition of a partitioned table, and an inheritance parent and each of its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The relation's OID.
    pub oid: u32,
    /// `schema.name`, for people (not quoted).
    pub name: String,
    /// `"schema"."name"`, quoted for SQL.
    pub quoted: String,
    /// Pages in its heap now.
    pub pages: i64,
    /// Whether a valid, non-partial B-tree index is led by `expiry`, so that expired rows can
    /// be read oldest first without a sort or a scan of the whole table.
    pub expiry_index: bool,
    /// Whether this role may select, lock (`FOR UPDATE` needs UPDATE on a column) and delete
    /// its rows when naming it directly.
    pub accessible: bool,
}

/// What the sessions table is, as far as purging is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// How the table keeps its rows.
    pub kind: TableKind,
    /// The tables that hold its rows, in catalog order.
    pub leaves: Vec<Leaf>,
    /// Whether row-level security on the named table applies to this role: its policies
    /// would then not apply when a leaf other than the table itself is named directly.
    pub row_security: bool,
}

/// How a sessions table keeps its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// An ordinary table without inheritance children.
    Plain,
    /// A partitioned table (`PARTITION BY …`); its leaf partitions hold the rows.
    Partitioned,
    /// An ordinary table with inheritance children; rows live in it and in them.
    Inherited,
}

impl TableKind {
    /// A short name for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Plain => "plain",
            TableKind::Partitioned => "partitioned",
            TableKind::Inherited => "inherited",
        }
    }
}

/// What `relkind` letters mean, for errors about relations scsctl cannot purge.
fn relkind_name(kind: &str) -> &'static str {
    match kind {
        "v" => "a view",
        "m" => "a materialized view",
        "f" => "a foreign table",
        "S" => "a sequence",
        "i" | "I" => "an index",
        "c" => "a composite type",
        "t" => "a TOAST table",
        _ => "not a table",
    }
}

/// Every relation in the table's inheritance tree (partitions are inheritance children in the
/// catalog), with what purging needs to know of each. `UNION` rather than `UNION ALL`: with
/// multiple inheritance a child can be reached twice.
pub(super) const LAYOUT_SQL: &str = "\
WITH RECURSIVE tree(relid, depth) AS ( \
    SELECT $1::text::regclass::oid, 0 \
  UNION \
    SELECT i.inhrelid, t.depth + 1 FROM pg_inherits i JOIN tree t ON i.inhparent = t.relid) \
SELECT c.oid, c.relkind::text, n.nspname::text, c.relname::text, t.depth, \
       CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) / current_setting('block_size')::int8 ELSE 0 END, \
       EXISTS (SELECT 1 FROM pg_index i \
                 JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_am am ON am.oid = ic.relam \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
               WHERE i.indrelid = c.oid AND am.amname = 'btree' AND a.attname = 'expiry' \
                 AND i.indisvalid AND i.indisready AND i.indpred IS NULL), \
       has_any_column_privilege(c.oid, 'SELECT') AND has_any_column_privilege(c.oid, 'UPDATE') \
         AND has_table_privilege(c.oid, 'DELETE'), \
       t.depth = 0 AND c.relrowsecurity AND row_security_active(c.oid) \
FROM (SELECT relid, min(depth) AS depth FROM tree GROUP BY relid) t \
JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace \
ORDER BY t.depth, n.nspname, c.relname";

impl Store {
    /// The table's layout: what kind of table it is and the leaves that hold its rows. A view,
    /// a materialized view or a foreign table (or a partition that is one) is refused with an
    /// error that says so, before anything is read or deleted.
    pub fn layout(&mut self) -> Result<Layout> {
        let rows = self
            .client
            .query_typed(LAYOUT_SQL, &[(&self.table.quoted(), Type::TEXT)])
            .map_err(|e| table_error(&self.table, "cannot read the table's layout", e))?;
        let mut kind = TableKind::Plain;
        let mut leaves = Vec::new();
        let mut row_security = false;
        for row in &rows {
            let relkind: String = row.get(1);
            let (schema, name): (String, String) = (row.get(2), row.get(3));
            let depth: i32 = row.get(4);
            if depth == 0 {
                row_security = row.get(8);
            }
            match (depth, relkind.as_str()) {
                (0, "p") => kind = TableKind::Partitioned,
                (0, "r") => {}
                (0, other) => {
                    return Err(Error::Incompatible(format!(
                        "\"{}\" is {}, not a table: scsctl purges and counts the table that \
                         holds the sessions — name it with --table",
                        self.table,
                        relkind_name(other)
                    )));
                }
                (_, "p") => {}
                (_, "r") => {
                    if kind == TableKind::Plain {
                        kind = TableKind::Inherited;
                    }
                }
                (_, other) => {
                    return Err(Error::Incompatible(format!(
                        "\"{schema}.{name}\", which holds rows of table \"{}\", is {}: scsctl \
                         can only purge partitions and children that are tables",
                        self.table,
                        relkind_name(other)
                    )));
                }
            }
            if relkind == "r" {
                leaves.push(Leaf {
                    oid: row.get(0),
                    quoted: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
                    name: format!("{schema}.{name}"),
                    pages: row.get(5),
                    expiry_index: row.get(6),
                    accessible: row.get(7),
                });
            }
        }
        Ok(Layout {
            kind,
            leaves,
            row_security,
        })
    }

    /// The size of `leaf` (quoted) in pages now.
    pub fn leaf_pages(&mut self, leaf: &str) -> Result<i64> {
        let row = self
            .client
            .query_typed_one(
                "SELECT pg_relation_size($1::text::regclass) / current_setting('block_size')::int8",
                &[(&leaf, Type::TEXT)],
            )
            .map_err(|e| table_error(&self.table, "cannot read the table's size", e))?;
        Ok(row.get(0))
    }

    /// [`Store::layout`], checked for purging leaf by leaf: every leaf other than the table
    /// itself must be one this role may delete from directly, and the table's own row-level
    /// security must not be one its leaves would bypass.
    pub fn purge_layout(&mut self) -> Result<Layout> {
        let layout = self.layout()?;
        let named_directly = layout.kind != TableKind::Plain;
        if named_directly && layout.row_security {
            return Err(Error::Incompatible(format!(
                "table \"{}\" has row-level security that applies to this role, and its rows \
                 live in partitions or child tables whose policies are their own: scsctl deletes \
                 from each of those directly, which would bypass the policies — purge as the \
                 table's owner or a role with BYPASSRLS",
                self.table
            )));
        }
        // A plain table is named as given, and the server's own "permission denied" says it.
        let denied = layout
            .leaves
            .iter()
            .find(|l| named_directly && !l.accessible);
        if let Some(leaf) = denied {
            return Err(Error::Incompatible(format!(
                "permission denied: this role may not select, update and delete in \"{}\", \
                 which holds rows of table \"{}\": scsctl purges each partition or child \
                 table directly — grant SELECT, UPDATE, DELETE on every one (scsctl \
                 init-schema --grant ROLE does)",
                leaf.name, self.table
            )));
        }
        Ok(layout)
    }
}
