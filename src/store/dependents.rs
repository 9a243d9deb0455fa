//! What else reacts when rows of a sessions table are deleted or inserted: foreign keys of
//! other tables that reference it, and triggers and rules on it. Purging and revoking delete
//! rows as the app does, so these act as the app expects; `migrate hash-tokens` replaces every
//! token, so it must know of them first.

use postgres::Row;
use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use crate::error::Result;

/// Every relation in the table's inheritance tree, the table itself and its partitions (at any
/// depth) included: a foreign key or a trigger may be on any of them.
const TREE: &str = "\
WITH RECURSIVE tree(relid) AS ( \
    SELECT $1::text::regclass::oid \
  UNION \
    SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.relid)";

/// A foreign key of another table (or of the sessions table itself) that references a row of
/// the sessions table by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencingKey {
    /// The constraint's name.
    pub name: String,
    /// The referencing table, `schema.name` (not quoted).
    pub table: String,
    /// What deleting a referenced row does, in words that follow "deleting a session": `deletes
    /// the rows that reference it (ON DELETE CASCADE)`, and so on.
    pub on_delete: &'static str,
}

/// A trigger on the sessions table or one of its partitions or children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTrigger {
    /// The trigger's name.
    pub name: String,
    /// The table it is on, `schema.name` (not quoted).
    pub table: String,
    /// The events it fires on, lower case: `insert`, `update`, `delete`.
    pub events: Vec<&'static str>,
    /// Whether it fires for each row (`FOR EACH ROW`) rather than once per statement.
    pub per_row: bool,
}

/// A rule (`CREATE RULE`) on the sessions table or one of its partitions or children that
/// rewrites inserts, updates or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRule {
    /// The rule's name.
    pub name: String,
    /// The table it is on, `schema.name` (not quoted).
    pub table: String,
    /// The event it rewrites, lower case: `insert`, `update` or `delete`.
    pub event: &'static str,
    /// Whether it runs instead of the statement (`DO INSTEAD`) rather than as well (`DO ALSO`).
    pub instead: bool,
}

impl Store {
    /// The foreign keys that reference the table or any of its partitions or children. A key
    /// on a partitioned table appears once, not once for each partition it was cloned to.
    pub fn referencing_keys(&mut self) -> Result<Vec<ReferencingKey>> {
        let rows = self.query_tree(
            "SELECT c.conname::text, n.nspname || '.' || r.relname, c.confdeltype::text \
             FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE c.contype = 'f' AND c.conparentid = 0 \
               AND c.confrelid IN (SELECT relid FROM tree) \
             ORDER BY 2, 1",
            "cannot read the foreign keys to the table",
        )?;
        Ok(rows
            .iter()
            .map(|r| ReferencingKey {
                name: r.get(0),
                table: r.get(1),
                on_delete: match r.get::<_, String>(2).as_str() {
                    "c" => "deletes the rows that reference it (ON DELETE CASCADE)",
                    "n" => "sets the references to it to NULL (ON DELETE SET NULL)",
                    "d" => "sets the references to it to their default (ON DELETE SET DEFAULT)",
                    "r" => "fails while rows reference it (ON DELETE RESTRICT)",
                    _ => "fails while rows reference it (ON DELETE NO ACTION)",
                },
            })
            .collect())
    }

    /// The triggers that fire on insert, update or delete, other than those the server makes
    /// for constraints, on the table and its partitions and children. A trigger on a
    /// partitioned table appears once, not once for each partition it was cloned to.
    pub fn user_triggers(&mut self) -> Result<Vec<UserTrigger>> {
        // tgtype bits: 1 row-level, 4 insert, 8 delete, 16 update.
        let rows = self.query_tree(
            "SELECT t.tgname::text, n.nspname || '.' || c.relname, t.tgtype::int4 \
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE t.tgrelid IN (SELECT relid FROM tree) AND NOT t.tgisinternal \
               AND t.tgparentid = 0 AND t.tgenabled IN ('O', 'A') AND t.tgtype & 28 <> 0 \
             ORDER BY 2, 1",
            "cannot read the table's triggers",
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let bits: i32 = r.get(2);
                UserTrigger {
                    name: r.get(0),
                    table: r.get(1),
                    events: [(4, "insert"), (16, "update"), (8, "delete")]
                        .into_iter()
                        .filter(|(bit, _)| bits & bit != 0)
                        .map(|(_, event)| event)
                        .collect(),
                    per_row: bits & 1 != 0,
                }
            })
            .collect())
    }

    /// The enabled rules that rewrite inserts, updates or deletes on the table and its
    /// partitions and children.
    pub fn user_rules(&mut self) -> Result<Vec<UserRule>> {
        // ev_type: '2' update, '3' insert, '4' delete ('1', select, is a view's).
        let rows = self.query_tree(
            "SELECT r.rulename::text, n.nspname || '.' || c.relname, r.ev_type::text, \
                    r.is_instead \
             FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE r.ev_class IN (SELECT relid FROM tree) AND r.ev_type IN ('2', '3', '4') \
               AND r.ev_enabled IN ('O', 'A') \
             ORDER BY 2, 1",
            "cannot read the table's rules",
        )?;
        Ok(rows
            .iter()
            .map(|r| UserRule {
                name: r.get(0),
                table: r.get(1),
                event: match r.get::<_, String>(2).as_str() {
                    "2" => "update",
                    "3" => "insert",
                    _ => "delete",
                },
                instead: r.get(3),
            })
            .collect())
    }

    /// Runs `select`, which names the relations of the table's tree as `tree`; `what` says
    /// what failed.
    fn query_tree(&mut self, select: &str, what: &str) -> Result<Vec<Row>> {
        self.client
            .query_typed(
                &format!("{TREE} {select}"),
                &[(&self.table.quoted(), Type::TEXT)],
            )
            .map_err(|e| table_error(&self.table, what, e))
    }
}
