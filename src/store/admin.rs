//! scsctl's administrative queries on the sessions table: rows whatever their state, counts,
//! streaming scans, bulk deletes, batched purge, the cleaner lock and table statistics.

use std::ops::ControlFlow;
use std::time::SystemTime;

use postgres::types::Type;
use postgres::{Row, Transaction};

use super::Store;
use super::errors::{incompatible, table_error};
use crate::error::{Error, Result};
use crate::table::TableName;

/// Rows fetched per round trip while streaming a scan: large enough that round trips don't
/// dominate, small enough that memory stays flat whatever the table size.
const SCAN_BATCH: i32 = 2000;

/// One row of the sessions table, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The `token` column (hashed, when the app hashes tokens).
    pub token: String,
    /// The stored session data (empty when a scan was asked to leave it out).
    pub data: Vec<u8>,
    /// The length of the stored data in bytes, whether or not `data` was fetched.
    pub size: usize,
    /// The `expiry` column.
    pub expiry: SystemTime,
    /// Whether the row is live by the database clock (`current_timestamp < expiry`).
    pub live: bool,
}

/// The columns a [`SessionRow`] is read from: token, data, expiry, live, size.
const ROW_COLUMNS: &str = "token, data, expiry, current_timestamp < expiry, octet_length(data)";

/// The same columns without the data, which is the bulk of a row: a listing that shows only
/// sizes transfers and sorts a fifth as much, and the server picks a sequential scan and sort
/// over an index scan that would visit the heap in random order.
const ROW_COLUMNS_NO_DATA: &str =
    "token, ''::bytea, expiry, current_timestamp < expiry, octet_length(data)";

impl SessionRow {
    /// Reads a row of [`ROW_COLUMNS`] (or [`ROW_COLUMNS_NO_DATA`]). A column of
    /// another type (a hand-made table with `data TEXT`, say) is an incompatibility, not a
    /// panic.
    fn from_row(row: &Row, table: &TableName) -> Result<SessionRow> {
        let shape = |e: postgres::Error| incompatible(table, &format!("cannot read a row: {e}"));
        Ok(SessionRow {
            token: row.try_get(0).map_err(shape)?,
            data: row.try_get(1).map_err(shape)?,
            expiry: row.try_get(2).map_err(shape)?,
            live: row.try_get(3).map_err(shape)?,
            size: usize::try_from(row.try_get::<_, i32>(4).map_err(shape)?).unwrap_or(0),
        })
    }
}

/// Which rows a scan returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    /// Rows with `current_timestamp < expiry`.
    #[default]
    Live,
    /// Rows with `expiry <= current_timestamp`.
    Expired,
    /// Every row.
    All,
}

impl State {
    fn predicate(self) -> &'static str {
        match self {
            State::Live => "WHERE current_timestamp < expiry",
            State::Expired => "WHERE expiry <= current_timestamp",
            State::All => "",
        }
    }
}

/// Where the buckets of [`Stats::live_by_time_left`] start, in seconds of time left: by the hour
/// for the first day, then 1–2 days, 2–7 days, 7–30 days and 30 days or more.
pub const LIVE_BUCKETS: [i64; 28] = [
    0, 3_600, 7_200, 10_800, 14_400, 18_000, 21_600, 25_200, 28_800, 32_400, 36_000, 39_600,
    43_200, 46_800, 50_400, 54_000, 57_600, 61_200, 64_800, 68_400, 72_000, 75_600, 79_200, 82_800,
    86_400, 172_800, 604_800, 2_592_000,
];

/// Where the buckets of [`Stats::expired_by_age`] start, in seconds since expiry: within the
/// hour, 1–6 hours, 6–24 hours, 1–7 days, 7 days or more.
pub const EXPIRED_BUCKETS: [i64; 5] = [0, 3_600, 21_600, 86_400, 604_800];

/// Statistics of the sessions table, for `scsctl stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Live rows.
    pub live: i64,
    /// Expired rows.
    pub expired: i64,
    /// The earliest expiry in the table.
    pub oldest_expiry: Option<SystemTime>,
    /// The latest expiry in the table.
    pub newest_expiry: Option<SystemTime>,
    /// Sum of `octet_length(data)`.
    pub data_bytes_total: i64,
    /// Average `octet_length(data)`, 0 for an empty table.
    pub data_bytes_avg: f64,
    /// Size of the table on disk (heap and TOAST).
    pub table_bytes: i64,
    /// Size of the table's indexes on disk.
    pub index_bytes: i64,
    /// Dead tuples, as the statistics collector counts them.
    pub dead_tuples: i64,
    /// Last manual VACUUM.
    pub last_vacuum: Option<SystemTime>,
    /// Last autovacuum.
    pub last_autovacuum: Option<SystemTime>,
    /// The database clock when the statistics were read.
    pub now: SystemTime,
    /// Live sessions by time left, one count per bucket of [`LIVE_BUCKETS`]: every live
    /// session is in one (an `infinity` expiry in the last).
    pub live_by_time_left: Vec<i64>,
    /// Expired sessions by age, one count per bucket of [`EXPIRED_BUCKETS`].
    pub expired_by_age: Vec<i64>,
    /// Each table that holds rows (the table itself when plain; each leaf partition of a
    /// partitioned table; an inheritance parent and each child). The sizes, dead tuples and
    /// vacuum times above are over all of them: sums, and for the vacuum times the least
    /// recent (`None` when one never was).
    pub leaves: Vec<LeafStats>,
}

/// Statistics of one table holding rows of the sessions table.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafStats {
    /// `schema.name`.
    pub name: String,
    /// Live rows in it.
    pub live: i64,
    /// Expired rows in it.
    pub expired: i64,
    /// Its size on disk (heap and TOAST).
    pub table_bytes: i64,
    /// Its indexes' size on disk.
    pub index_bytes: i64,
    /// Its dead tuples.
    pub dead_tuples: i64,
    /// Its last manual VACUUM.
    pub last_vacuum: Option<SystemTime>,
    /// Its last autovacuum.
    pub last_autovacuum: Option<SystemTime>,
}

impl Store {
    /// The database's current time (`current_timestamp`), the clock that decides expiry.
    pub fn now(&mut self) -> Result<SystemTime> {
        let row = self
            .client
            .query_typed_one("SELECT current_timestamp", &[])
            .map_err(|e| Error::db("cannot read the database clock", e))?;
        Ok(row.get(0))
    }

    /// One row whatever its state, with whether it is live by the database clock.
    pub fn fetch(&mut self, token: &str) -> Result<Option<SessionRow>> {
        Ok(self.fetch_with_clock(token)?.map(|(row, _)| row))
    }

    /// [`Store::fetch`], with the database clock (`current_timestamp`) read in the same round
    /// trip.
    pub fn fetch_with_clock(&mut self, token: &str) -> Result<Option<(SessionRow, SystemTime)>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, current_timestamp FROM {} WHERE token = $1",
            self.table.quoted()
        );
        let row = self
            .client
            .query_typed_opt(&sql, &[(&token, Type::TEXT)])
            .map_err(|e| table_error(&self.table, "cannot read the session", e))?;
        let Some(row) = row else { return Ok(None) };
        let now = row
            .try_get(5)
            .map_err(|e| Error::db("cannot read the database clock", e))?;
        Ok(Some((SessionRow::from_row(&row, &self.table)?, now)))
    }

    /// Checks, in one round trip that reads no rows, that the table exists, that this role may
    /// read its columns, and that they have the types SCS uses (`token text`, `data bytea`,
    /// `expiry timestamptz`). The error says what to do when they do not: a table with
    /// `expiry timestamp` (no time zone) would make "expired" depend on the session's time
    /// zone, so it is refused rather than purged.
    pub fn probe(&mut self) -> Result<()> {
        // The outer join yields exactly one all-NULL row whose columns carry the table's types.
        let sql = format!(
            "SELECT s.token, s.data, s.expiry FROM (SELECT) one \
             LEFT JOIN (SELECT token, data, expiry FROM {} LIMIT 0) s ON true",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(&sql, &[])
            .map_err(|e| table_error(&self.table, "cannot read the sessions table", e))?;
        let Some(row) = rows.first() else {
            return Ok(());
        };
        let expected = [
            ("token", Type::TEXT, "TEXT"),
            ("data", Type::BYTEA, "BYTEA"),
            ("expiry", Type::TIMESTAMPTZ, "TIMESTAMPTZ"),
        ];
        for (column, (name, want, shown)) in row.columns().iter().zip(expected) {
            if *column.type_() != want {
                return Err(incompatible(
                    &self.table,
                    &format!("column {name} is {}; SCS needs {shown}", column.type_()),
                ));
            }
        }
        Ok(())
    }

    /// Streams rows in `state`, ordered by expiry then token, at most `limit` of them, calling
    /// `visit` for each until it breaks. Memory stays flat: rows arrive in batches through a
    /// server-side cursor, inside one read-only transaction (one consistent snapshot).
    pub fn scan(
        &mut self,
        state: State,
        limit: Option<u64>,
        visit: impl FnMut(SessionRow) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        self.scan_rows(state, limit, true, visit)
    }

    /// Like [`Store::scan`], but when `with_data` is false the rows come without their data
    /// (`data` is empty, `size` is still set), which is much cheaper on large tables.
    pub fn scan_rows(
        &mut self,
        state: State,
        limit: Option<u64>,
        with_data: bool,
        mut visit: impl FnMut(SessionRow) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        let limit_clause = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        let columns = if with_data {
            ROW_COLUMNS
        } else {
            ROW_COLUMNS_NO_DATA
        };
        let sql = format!(
            "SELECT {columns} FROM {} {} ORDER BY expiry, token{}",
            self.table.quoted(),
            state.predicate(),
            limit_clause
        );
        let table = self.table.clone();
        let mut tx = self
            .client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| table_error(&table, "cannot start a transaction", e))?;
        // A whole listing reads every row of its state anyway. The planner likes the expiry
        // index (no sort; a cursor asks for a fast start, too), but on a table whose physical
        // order has nothing to do with expiry (every request rewrites its row) the index scan
        // visits the heap in random order, one page per row: several times slower than a
        // sequential scan and sort. Bitmap scans stay allowed for a selective state.
        let settings = if limit.is_none() {
            "SET LOCAL enable_indexscan = off; "
        } else {
            ""
        };
        // A cursor declared in SQL rather than a protocol-level portal: it lives in the
        // transaction, which a pooler in transaction mode keeps on one server connection. The
        // setting goes in the same message.
        tx.batch_execute(&format!(
            "{settings}DECLARE scsctl_scan NO SCROLL CURSOR FOR {sql}"
        ))
        .map_err(|e| table_error(&table, "cannot read the sessions", e))?;
        let fetch = format!("FETCH {SCAN_BATCH} FROM scsctl_scan");
        // The next batch is fetched on a thread of its own while this one visits the rows, so
        // that the server and the rendering work at the same time.
        let (batches, fetched) = std::sync::mpsc::sync_channel::<Result<Vec<Row>>>(1);
        let stopped = std::thread::scope(|scope| -> Result<bool> {
            let (tx, fetch, table) = (&mut tx, &fetch, &table);
            // The sender moves into the thread, so that the channel closes when it ends.
            let fetcher = scope.spawn(move || {
                loop {
                    let batch = tx
                        .query_typed(fetch, &[])
                        .map_err(|e| table_error(table, "cannot read the sessions", e));
                    let last = batch
                        .as_ref()
                        .map_or(true, |rows| rows.len() < SCAN_BATCH as usize);
                    // A closed channel means the visitor has stopped.
                    if batches.send(batch).is_err() || last {
                        break;
                    }
                }
            });
            let mut result = Ok(false);
            'batches: for batch in fetched.iter() {
                let rows = match batch {
                    Ok(rows) => rows,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                for row in &rows {
                    let flow = SessionRow::from_row(row, table).and_then(&mut visit);
                    match flow {
                        Ok(ControlFlow::Continue(())) => {}
                        Ok(ControlFlow::Break(())) => {
                            result = Ok(true);
                            break 'batches;
                        }
                        Err(e) => {
                            result = Err(e);
                            break 'batches;
                        }
                    }
                }
            }
            drop(fetched);
            fetcher.join().expect("the scan's fetch thread panicked");
            result
        })?;
        if stopped {
            return Ok(());
        }
        tx.commit()
            .map_err(|e| table_error(&table, "cannot finish reading the sessions", e))
    }

    /// Deletes the rows of these tokens in one statement (all or nothing) and returns the tokens
    /// that had a row.
    pub fn delete_tokens(&mut self, tokens: &[String]) -> Result<Vec<String>> {
        let sql = format!(
            "DELETE FROM {} WHERE token = ANY($1) RETURNING token",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&tokens, Type::TEXT_ARRAY)])
            .map_err(|e| table_error(&self.table, "cannot delete the sessions", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Deletes, in one statement, the rows of these tokens whose data still has the given
    /// SHA-256 digest (`digests[i]` for `tokens[i]`), and returns the tokens deleted. A row
    /// rewritten since it was read is kept.
    pub fn delete_unchanged(
        &mut self,
        tokens: &[String],
        digests: &[Vec<u8>],
    ) -> Result<Vec<String>> {
        let sql = format!(
            "DELETE FROM {} s USING unnest($1::text[], $2::bytea[]) AS d(token, digest) \
             WHERE s.token = d.token AND sha256(s.data) = d.digest RETURNING s.token",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(
                &sql,
                &[(&tokens, Type::TEXT_ARRAY), (&digests, Type::BYTEA_ARRAY)],
            )
            .map_err(|e| table_error(&self.table, "cannot delete the sessions", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The tokens among these that have a row (what [`Store::delete_tokens`] would delete).
    pub fn existing_tokens(&mut self, tokens: &[String]) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT token FROM {} WHERE token = ANY($1)",
            self.table.quoted()
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&tokens, Type::TEXT_ARRAY)])
            .map_err(|e| table_error(&self.table, "cannot read the sessions", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Deletes every expired row (`expiry < current_timestamp`) in one statement, as SCS's own
    /// cleanup does. For large backlogs prefer the batches of [`crate::cleaner`].
    pub fn delete_expired(&mut self) -> Result<u64> {
        let sql = format!(
            "DELETE FROM {} WHERE expiry < current_timestamp",
            self.table.quoted()
        );
        self.client
            .execute_typed(&sql, &[])
            .map_err(|e| table_error(&self.table, "cannot delete expired sessions", e))
    }

    /// Reads a session for a read-modify-write inside `tx`, locking its row until `tx` ends:
    /// its data, and whether it is live (`current_timestamp < expiry`, by the database clock
    /// at the start of `tx`, as SCS's `Find` decides) — an expired row is what SCS would not
    /// find, so a merge must not bring its values back.
    pub fn lock_for_update(
        tx: &mut Transaction<'_>,
        table: &crate::table::TableName,
        token: &str,
    ) -> Result<Option<(Vec<u8>, bool)>> {
        let sql = format!(
            "SELECT data, current_timestamp < expiry FROM {} WHERE token = $1 FOR UPDATE",
            table.quoted()
        );
        let row = tx
            .query_typed_opt(&sql, &[(&token, Type::TEXT)])
            .map_err(|e| table_error(table, "cannot lock the session", e))?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
            .map_err(|e: postgres::Error| incompatible(table, &format!("cannot read a row: {e}")))
    }

    /// Writes a session inside `tx` with the same upsert as [`Store::commit`].
    pub fn commit_in(
        tx: &mut Transaction<'_>,
        table: &crate::table::TableName,
        token: &str,
        data: &[u8],
        expiry: SystemTime,
    ) -> Result<()> {
        let sql = super::commit_sql(table);
        tx.execute_typed(&sql, &super::commit_params(&token, &data, &expiry))
            .map_err(|e| table_error(table, "cannot write the session", e))?;
        Ok(())
    }

    /// Inserts a session inside `tx` unless the token already has a row (which is left alone).
    /// A concurrent insert of the same token makes this wait for that transaction, then do
    /// nothing, so a following [`Store::lock_for_update`] reads what the other one wrote.
    pub fn insert_if_absent_in(
        tx: &mut Transaction<'_>,
        table: &crate::table::TableName,
        token: &str,
        data: &[u8],
        expiry: SystemTime,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (token, data, expiry) VALUES ($1, $2, $3) ON CONFLICT (token) DO NOTHING",
            table.quoted()
        );
        tx.execute_typed(&sql, &super::commit_params(&token, &data, &expiry))
            .map_err(|e| table_error(table, "cannot write the session", e))?;
        Ok(())
    }

    /// Runs `work` in a transaction on this store's connection; commits when it succeeds.
    pub fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut Transaction<'_>, &crate::table::TableName) -> Result<T>,
    ) -> Result<T> {
        let table = self.table.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| table_error(&table, "cannot start a transaction", e))?;
        let value = work(&mut tx, &table)?;
        tx.commit()
            .map_err(|e| table_error(&table, "cannot commit", e))?;
        Ok(value)
    }

    /// Statistics for `scsctl stats`: the rows in one statement (one scan of the table), the
    /// sizes and vacuum state of each leaf in another.
    pub fn stats(&mut self) -> Result<Stats> {
        // A view or a foreign table is refused by name rather than by a missing column; the
        // leaves it finds are the tables whose sizes are summed below.
        let leaf_oids: Vec<u32> = self.layout()?.leaves.iter().map(|l| l.oid).collect();
        let t = self.table.quoted();
        let sql = format!(
            "WITH s AS (SELECT tableoid, expiry, octet_length(data) AS len FROM {t}), \
                  b AS (SELECT \
                    count(*) FILTER (WHERE current_timestamp < expiry) AS live, \
                    count(*) FILTER (WHERE expiry <= current_timestamp) AS expired, \
                    min(expiry) AS oldest, max(expiry) AS newest, \
                    coalesce(sum(len), 0)::int8 AS total, coalesce(avg(len), 0)::float8 AS avg \
                  FROM s), \
                  h AS (SELECT array_agg(coalesce(c, 0) ORDER BY i) AS buckets FROM \
                    generate_series(1, {live_n}) i LEFT JOIN (\
                      SELECT width_bucket(extract(epoch FROM expiry) - extract(epoch FROM current_timestamp), \
                                          '{live_edges}'::float8[]) AS i, count(*) AS c \
                      FROM s WHERE current_timestamp < expiry GROUP BY 1) x USING (i)), \
                  a AS (SELECT array_agg(coalesce(c, 0) ORDER BY i) AS ages FROM \
                    generate_series(1, {age_n}) i LEFT JOIN (\
                      SELECT width_bucket(extract(epoch FROM current_timestamp) - extract(epoch FROM expiry), \
                                          '{age_edges}'::float8[]) AS i, count(*) AS c \
                      FROM s WHERE expiry <= current_timestamp GROUP BY 1) x USING (i)), \
                  l AS (SELECT coalesce(array_agg(relid), '{{}}') AS relids, \
                               coalesce(array_agg(live), '{{}}') AS live, \
                               coalesce(array_agg(expired), '{{}}') AS expired FROM ( \
                    SELECT tableoid AS relid, \
                           count(*) FILTER (WHERE current_timestamp < expiry) AS live, \
                           count(*) FILTER (WHERE expiry <= current_timestamp) AS expired \
                    FROM s GROUP BY 1) x) \
             SELECT b.live, b.expired, b.oldest, b.newest, b.total, b.avg, current_timestamp, \
                    h.buckets::int8[], a.ages::int8[], l.relids::oid[], l.live::int8[], l.expired::int8[] \
             FROM b, h, a, l",
            live_n = LIVE_BUCKETS.len(),
            live_edges = pg_array(&LIVE_BUCKETS),
            age_n = EXPIRED_BUCKETS.len(),
            age_edges = pg_array(&EXPIRED_BUCKETS),
        );
        let row = self
            .client
            .query_typed_one(&sql, &[])
            .map_err(|e| table_error(&self.table, "cannot read table statistics", e))?;
        let (relids, live, expired): (Vec<u32>, Vec<i64>, Vec<i64>) =
            (row.get(9), row.get(10), row.get(11));
        let count =
            |oid: u32, of: &[i64]| relids.iter().position(|r| *r == oid).map_or(0, |i| of[i]);
        let leaves: Vec<LeafStats> = self
            .client
            .query_typed(LEAF_STATS_SQL, &[(&leaf_oids, Type::OID_ARRAY)])
            .map_err(|e| table_error(&self.table, "cannot read table statistics", e))?
            .iter()
            .map(|r| LeafStats {
                name: r.get(1),
                live: count(r.get(0), &live),
                expired: count(r.get(0), &expired),
                table_bytes: r.get(2),
                index_bytes: r.get(3),
                dead_tuples: r.get(4),
                last_vacuum: r.get(5),
                last_autovacuum: r.get(6),
            })
            .collect();
        let least_recent = |of: fn(&LeafStats) -> Option<SystemTime>| {
            leaves
                .iter()
                .map(of)
                .collect::<Option<Vec<_>>>()?
                .into_iter()
                .min()
        };
        Ok(Stats {
            live: row.get(0),
            expired: row.get(1),
            oldest_expiry: row.get(2),
            newest_expiry: row.get(3),
            data_bytes_total: row.get(4),
            data_bytes_avg: row.get(5),
            table_bytes: leaves.iter().map(|l| l.table_bytes).sum(),
            index_bytes: leaves.iter().map(|l| l.index_bytes).sum(),
            dead_tuples: leaves.iter().map(|l| l.dead_tuples).sum(),
            last_vacuum: least_recent(|l| l.last_vacuum),
            last_autovacuum: least_recent(|l| l.last_autovacuum),
            now: row.get(6),
            live_by_time_left: row.get(7),
            expired_by_age: row.get(8),
            leaves,
        })
    }
}

/// `{a,b,c}`: an array literal of numbers.
fn pg_array(values: &[i64]) -> String {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("{{{}}}", items.join(","))
}

/// Sizes, dead tuples and vacuum times of the tables holding rows of the sessions table (their
/// OIDs, from [`Store::layout`]).
const LEAF_STATS_SQL: &str = "\
SELECT c.oid, n.nspname || '.' || c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), \
       coalesce(st.n_dead_tup, 0), st.last_vacuum, st.last_autovacuum \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid \
WHERE c.oid = ANY($1) ORDER BY 2";
