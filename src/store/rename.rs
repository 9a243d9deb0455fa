//! The queries of `rename-type`: short windows over every row (pages of a plain table, else
//! primary-key order) returning those whose data holds a byte pattern, and updates that write
//! a row only if its data is still what was read.

use postgres::Row;
use postgres::types::{ToSql, Type};

use super::errors::table_error;
use super::{Store, TableKind};
use crate::error::Result;

/// Where a pass over the sessions stands: the next window starts here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// At heap page `at` of a plain table, read in the order the rows lie on disk, up to page
    /// `end` (the size when last looked at; the pass looks again before it stops).
    Page {
        /// The first page of the next window.
        at: i64,
        /// Where the table ended when last looked at.
        end: i64,
    },
    /// After this token in the primary key's order: a partitioned or inherited table, whose
    /// pages several relations hold.
    Token(String),
}

/// What [`Store::window_containing`] read.
#[derive(Debug, Default)]
pub struct Window {
    /// The rows whose data holds a pattern: (token, data).
    pub matches: Vec<(String, Vec<u8>)>,
    /// Where the next window starts; `None` past the end.
    pub next: Option<Cursor>,
    /// How many units (pages, or rows in token order) the window held.
    pub units: i64,
}

impl Store {
    /// Where a pass over every row begins: page 0 of a plain table, which is read in the
    /// order its rows lie on disk (a read in token order visits the heap at random and took
    /// three times as long); else the first token.
    pub fn first_cursor(&mut self) -> Result<Cursor> {
        let layout = self.layout()?;
        Ok(match (layout.kind, layout.leaves.first()) {
            (TableKind::Plain, Some(leaf)) => Cursor::Page {
                at: 0,
                end: leaf.pages,
            },
            _ => Cursor::Token(String::new()),
        })
    }

    /// Reads the window of `size` units at `at` and returns the rows whose data holds any of
    /// `patterns` (one or two). A window is bounded by its size, whatever share of it holds a
    /// pattern, so a batch's time follows the window and not the planner's guess of how
    /// selective `position()` is (guessed wrong, a `LIMIT` on the matches alone becomes a
    /// read of the whole table in one statement). Only the matches cross the wire.
    pub fn window_containing(
        &mut self,
        patterns: &[&[u8]],
        at: &Cursor,
        size: i64,
    ) -> Result<Window> {
        let holds: Vec<String> = (0..patterns.len())
            .map(|i| format!("position(${}::bytea in data) > 0", i + 3))
            .collect();
        let holds = holds.join(" OR ");
        let table = self.table.quoted();
        match at {
            Cursor::Page { at, end } => {
                let (from, to) = (format!("({at},0)"), format!("({},0)", at + size));
                let sql = format!(
                    "SELECT token, data FROM {table} \
                     WHERE ctid >= $1::text::tid AND ctid < $2::text::tid AND ({holds})"
                );
                let rows = self.query_window(&sql, &from, &to, patterns)?;
                let matches = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
                let mut end = *end;
                if at + size >= end {
                    // Rows written since the pass began may lie past the end it knew.
                    end = self.leaf_pages(&table)?;
                }
                Ok(Window {
                    matches,
                    next: (at + size < end).then_some(Cursor::Page { at: at + size, end }),
                    units: size,
                })
            }
            Cursor::Token(after) => {
                // The window keeps the data of the matches only (the rest would spill to
                // disk). Its last row, with a count, says where it ended; it is told apart
                // by the count, which the matches lack.
                let sql = format!(
                    "WITH w AS MATERIALIZED \
                       (SELECT token, CASE WHEN {holds} THEN data END AS data FROM {table} \
                        WHERE token > $1 ORDER BY token LIMIT $2::text::int8) \
                     SELECT token, data, NULL::int8 FROM w WHERE data IS NOT NULL \
                     UNION ALL SELECT max(token), NULL, count(*) FROM w"
                );
                let rows = self.query_window(&sql, after, &size.to_string(), patterns)?;
                let mut window = Window::default();
                for r in rows {
                    match r.get::<_, Option<i64>>(2) {
                        Some(n) => {
                            window.units = n;
                            window.next = r
                                .get::<_, Option<String>>(0)
                                .filter(|_| n == size)
                                .map(Cursor::Token);
                        }
                        None => window.matches.push((r.get(0), r.get(1))),
                    }
                }
                Ok(window)
            }
        }
    }

    /// Runs a window's statement: `$1`, `$2` its bounds (as text), then the patterns.
    fn query_window(
        &mut self,
        sql: &str,
        from: &str,
        to: &str,
        patterns: &[&[u8]],
    ) -> Result<Vec<Row>> {
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> =
            vec![(&from, Type::TEXT), (&to, Type::TEXT)];
        params.extend(
            patterns
                .iter()
                .map(|p| (p as &(dyn ToSql + Sync), Type::BYTEA)),
        );
        self.client
            .query_typed(sql, &params)
            .map_err(|e| table_error(&self.table, "cannot read the sessions", e))
    }

    /// The rows of these tokens: (token, data).
    pub fn rows_of(&mut self, tokens: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        let sql = format!(
            "SELECT token, data FROM {} WHERE token = ANY($1) ORDER BY token",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&tokens, Type::TEXT_ARRAY)])
            .map_err(|e| table_error(&self.table, "cannot read the sessions", e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Sets `data[i]` on the row of `tokens[i]` only where that row's data still has the
    /// SHA-256 digest `digests[i]`, in one statement; returns the tokens updated. A row the
    /// app rewrote since it was read is left as the app wrote it.
    pub fn update_unchanged(
        &mut self,
        tokens: &[String],
        digests: &[Vec<u8>],
        data: &[Vec<u8>],
    ) -> Result<Vec<String>> {
        let sql = format!(
            "UPDATE {} s SET data = d.data \
             FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS d(token, digest, data) \
             WHERE s.token = d.token AND sha256(s.data) = d.digest RETURNING s.token",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(
                &sql,
                &[
                    (&tokens, Type::TEXT_ARRAY),
                    (&digests, Type::BYTEA_ARRAY),
                    (&data, Type::BYTEA_ARRAY),
                ],
            )
            .map_err(|e| table_error(&self.table, "cannot update the sessions", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
