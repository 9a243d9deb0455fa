//! The queries of `rename-type`: short keyset batches of the rows whose data holds a byte
//! pattern, and updates that write a row only if its data is still what was read.

use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use crate::error::Result;

impl Store {
    /// Up to `limit` rows, in token order after `after`, whose data holds `pattern`:
    /// (token, data). One short statement of its own; the primary key's order makes it
    /// resumable from the last token seen.
    pub fn rows_containing(
        &mut self,
        pattern: &[u8],
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let sql = format!(
            "SELECT token, data FROM {} WHERE token > $1 AND position($2::bytea in data) > 0 \
             ORDER BY token LIMIT $3",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(
                &sql,
                &[
                    (&after, Type::TEXT),
                    (&pattern, Type::BYTEA),
                    (&limit, Type::INT8),
                ],
            )
            .map_err(|e| table_error(&self.table, "cannot read the sessions", e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The next `window` rows in token order after `after`, each as its token and, when its
    /// data holds `pattern`, its data. The window is read through the primary key and bounded
    /// by its size, whatever share of it holds the pattern, so a batch's time follows the
    /// window and not the planner's guess of how selective `position()` is (guessed wrong, a
    /// `LIMIT` on the matches alone can become a scan and sort of the whole table). The last
    /// token returned is where the next window starts.
    pub fn window_containing(
        &mut self,
        pattern: &[u8],
        after: &str,
        window: i64,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>> {
        let sql = format!(
            "SELECT token, CASE WHEN position($2::bytea in data) > 0 THEN data END \
             FROM (SELECT token, data FROM {} WHERE token > $1 ORDER BY token LIMIT $3) w \
             ORDER BY token",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(
                &sql,
                &[
                    (&after, Type::TEXT),
                    (&pattern, Type::BYTEA),
                    (&window, Type::INT8),
                ],
            )
            .map_err(|e| table_error(&self.table, "cannot read the sessions", e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
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
