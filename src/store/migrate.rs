//! The SQL of `scsctl migrate hash-tokens`: turning a table of raw SCS tokens into one of
//! `HashTokenInStore` tokens (base64url without padding of SHA-256), in short batches, leaf by
//! leaf, with what each batch did recorded in the same transaction as the batch.
//!
//! # The state record
//!
//! Raw and hashed tokens look alike (43 characters of base64url), so the table cannot say by
//! itself what has been done to it. The record is a small table, [`STATE_TABLE`], in the
//! sessions table's schema, one row per sessions table (keyed `schema.name`):
//!
//! - `phase`: `switching` (stop-and-switch under way), `copying`, `copied`, `finishing` (the
//!   rolling way) or `hashed` (done);
//! - `leaves`, `leaf_pages`: the leaves of the table and their sizes in pages when the phase
//!   began, in the order the phase works through them; `leaf`, `next_page`: the cursor;
//! - `first_xid`: the transaction id of the first batch of the stop-and-switch or `--copy`.
//!
//! Beside it, [`BATCHES_TABLE`] holds the transaction id of every committed batch of the
//! stop-and-switch (`switch`) and of `--copy` (`copy`), one row each. A row the migration
//! wrote carries its batch's transaction id as `xmin`, and that id is recorded exactly when
//! the batch committed, because the batch records it in the same statement. That tells
//! rewritten rows from raw ones exactly, wherever the rewrite put them: later in the same
//! leaf, or in another partition. A row whose `xmin` is older than `first_xid` (compared as
//! the server compares transaction ids, by age) cannot be one, so only rows written since
//! the phase began are looked up among the batches: the check costs almost nothing per row,
//! and nothing grows with the number of batches.

use std::time::SystemTime;

use postgres::types::Type;

use super::Store;
use super::errors::table_error;
use super::leaves::TableKind;
use super::purge::{CleanerLock, LockMode};
use crate::error::{Error, Result};
use crate::table::quote_ident;

/// The table that records token migrations, created in the sessions table's schema.
pub const STATE_TABLE: &str = "scsctl_token_migration";

/// The table of the migration batches' transaction ids, beside [`STATE_TABLE`].
pub const BATCHES_TABLE: &str = "scsctl_token_migration_batches";

/// The first key of the migration's advisory lock: "scm" in ASCII. The cleaner's is "scs", so
/// a purge and a migration do not exclude each other; two migrations of one table do.
const MIGRATION_LOCK_CLASS: i32 = 0x0073_636d;

/// The SQL expression SCS's `HashTokenInStore` computes, for a text expression `token`:
/// base64url without padding of SHA-256 of the token's UTF-8 bytes.
///
/// The base64 of 32 bytes is always 44 characters, the last one the only `=`, so `left(…, 43)`
/// drops the padding; with two `replace`s it is a quarter faster than `rtrim(translate(…))`,
/// and `--finish` hashes every raw row once more.
pub fn hash_sql(token: &str) -> String {
    format!(
        "replace(replace(left(encode(sha256(convert_to({token}, 'UTF8')), 'base64'), 43), \
         '+', '-'), '/', '_')"
    )
}

/// The SQL condition that `token` is not what SCS makes: 43 characters of base64url (32
/// random bytes, no padding). Every base64url character is one byte, so this is exactly
/// `token !~ '^[A-Za-z0-9_-]{43}$'`, and about eight times faster than that anchored pattern,
/// which PostgreSQL's regex engine runs as a backtracking match on every row.
const NOT_A_TOKEN: &str = "(octet_length(token) <> 43 OR token ~ '[^A-Za-z0-9_-]')";

/// Where a table's migration to hashed tokens stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Stop-and-switch under way: some rows are hashed, the others raw.
    Switching,
    /// `--copy` under way: some live rows have their hashed twin.
    Copying,
    /// `--copy` done: every live raw row (when it ran) has its hashed twin.
    Copied,
    /// `--finish` under way: some raw rows with a twin are gone.
    Finishing,
    /// Done: the table holds hashed tokens.
    Hashed,
}

impl Phase {
    /// The word stored in the state table.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Switching => "switching",
            Phase::Copying => "copying",
            Phase::Copied => "copied",
            Phase::Finishing => "finishing",
            Phase::Hashed => "hashed",
        }
    }

    fn parse(text: &str) -> Option<Phase> {
        Some(match text {
            "switching" => Phase::Switching,
            "copying" => Phase::Copying,
            "copied" => Phase::Copied,
            "finishing" => Phase::Finishing,
            "hashed" => Phase::Hashed,
            _ => return None,
        })
    }
}

/// The state record of one table's migration.
#[derive(Debug, Clone)]
pub struct MigrationState {
    /// Where it stands.
    pub phase: Phase,
    /// The leaves the phase works through (quoted), in order.
    pub leaves: Vec<String>,
    /// Their sizes in pages when the phase began: a leaf's raw rows are all below.
    pub leaf_pages: Vec<i64>,
    /// The cursor: the leaf being worked on (an index into `leaves`)…
    pub leaf: usize,
    /// …and the first page of it not yet done.
    pub next_page: i64,
    /// Batches the phase committed.
    pub batches: i64,
    /// Rows done in the phase: hashed, twins made, or raw rows removed.
    pub rows: i64,
    /// In `--finish`, twins that got a raw row's newer data and expiry.
    pub carried: i64,
    /// When the phase began.
    pub started_at: SystemTime,
    /// When the state last changed.
    pub updated_at: SystemTime,
}

impl MigrationState {
    /// Pages of the phase left to work through.
    pub fn pages_left(&self) -> i64 {
        self.leaf_pages
            .iter()
            .enumerate()
            .skip(self.leaf)
            .map(|(i, &p)| {
                if i == self.leaf {
                    (p - self.next_page).max(0)
                } else {
                    p
                }
            })
            .sum()
    }

    /// Pages of the phase in all.
    pub fn pages_total(&self) -> i64 {
        self.leaf_pages.iter().sum()
    }
}

/// What the migration of one table needs to know of it, resolved once.
#[derive(Debug, Clone)]
pub struct Migration {
    /// `schema.name`, unquoted: the key in the state table.
    pub key: String,
    /// The state table, quoted.
    state: String,
    /// The batches table, quoted.
    batches: String,
    /// Where rewritten rows and twins are inserted: the table itself when it is partitioned
    /// (the server routes each to its partition), else the leaf they came from.
    partitioned: bool,
    /// The table, quoted and schema-qualified.
    root: String,
    /// The columns a row is copied with (all but generated ones), quoted, `token` first.
    columns: Vec<String>,
    /// The migration's advisory lock.
    pub lock: CleanerLock,
    /// How the lock is held: for the whole run ([`LockMode::Session`]), or by each batch for
    /// itself ([`LockMode::Transaction`], behind a pooler). Set by [`Store::lock_migration`].
    mode: LockMode,
    /// What opens each batch in [`LockMode::Transaction`]: its guards and its try of the lock
    /// (empty in session mode). Set by [`Store::migration_guards`].
    begin: String,
}

/// One batch's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateStep {
    /// Stop-and-switch: every row of the pages not yet rewritten is replaced by its hash.
    Switch,
    /// `--copy`: the hashed twin of every live row of the pages, except twins.
    Copy,
    /// `--finish`: every row of the pages whose twin exists is removed, after carrying its
    /// data and expiry over to the twin when the raw app wrote it later.
    Finish,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrateOutcome {
    /// Rows hashed, twins made or raw rows removed.
    pub rows: u64,
    /// Twins that got a raw row's data and expiry (`--finish`).
    pub carried: u64,
}

/// Counts that say what a phase would change, for `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrateCounts {
    /// All rows.
    pub rows: i64,
    /// Live rows.
    pub live: i64,
    /// Rows whose token is not 43 characters of base64url.
    pub not_tokens: i64,
}

impl Migration {
    /// Whether row `r` (an alias and a dot, or empty) is not one the batches of `step`
    /// (`switch`, `copy`) wrote: older than the phase's first batch (a cheap test that settles
    /// nearly every raw row), or else not among them. The batches are looked up in a hash
    /// table built once per statement (`NOT IN` a sub-select becomes a hashed SubPlan), not
    /// with a probe per row, whatever the planner believes of the batches table's size. `$5`
    /// is the state key.
    fn not_ours(&self, r: &str, step: &str) -> String {
        format!(
            "(age({r}xmin) > (SELECT age((f.first_xid % 4294967296)::text::xid) FROM {st} f \
                              WHERE f.table_name = $5) \
              OR {r}xmin::text::int8 NOT IN (SELECT b.xid FROM {b} b \
                              WHERE b.table_name = $5 AND b.step = '{step}'))",
            st = self.state,
            b = self.batches
        )
    }

    /// Whether row `r` was written by a batch of `step`.
    fn written_by(&self, r: &str, step: &str) -> String {
        format!(
            "{r}xmin::text::int8 IN (SELECT b.xid FROM {b} b \
                       WHERE b.table_name = $5 AND b.step = '{step}')",
            b = self.batches
        )
    }

    /// The statement one batch runs on `leaf` (quoted): the change, the batch's transaction id
    /// and the state update in one statement, so one transaction. Parameters: `$1`, `$2` the
    /// TID range, `$3`, `$4` the cursor after the batch, `$5` the state key, `$6`, `$7`, `$8`
    /// the cursor and phase this run last recorded. Returns rows changed and twins carried
    /// over, or no row when the record is no longer what this run last wrote.
    ///
    /// That check (`guard`) locks the state row and is evaluated before any row is changed
    /// (an uncorrelated sub-select runs once, first): a batch changes nothing unless the
    /// record still says what this run last wrote, so two runs can never work from two
    /// cursors, even where no session lock can keep the second out (behind a pooler).
    fn step_sql(&self, kind: MigrateStep, leaf: &str) -> String {
        let cols = self.columns.join(", ");
        let hashed: Vec<String> = std::iter::once(format!("{} AS token", hash_sql("token")))
            .chain(self.columns.iter().skip(1).cloned())
            .collect();
        let hashed = hashed.join(", ");
        let target = if self.partitioned { &self.root } else { leaf };
        let range = "ctid >= $1::text::tid AND ctid < $2::text::tid AND EXISTS (SELECT FROM guard)";
        let state = &self.state;
        let record = |step: &str| {
            format!(
                ", recorded AS (INSERT INTO {} (table_name, step, xid) \
                   SELECT $5, '{step}', pg_current_xact_id()::text::int8 % 4294967296 \
                   WHERE EXISTS (SELECT FROM guard))",
                self.batches
            )
        };
        let (body, carried) = match kind {
            MigrateStep::Switch => (
                format!(
                    "gone AS (DELETE FROM ONLY {leaf} WHERE {range} AND {} RETURNING {cols}), \
                     done AS (INSERT INTO {target} ({cols}) OVERRIDING SYSTEM VALUE \
                              SELECT {hashed} FROM gone RETURNING 1){}",
                    self.not_ours("", "switch"),
                    record("switch")
                ),
                "0::int8",
            ),
            // A twin may exist already: the app rewrote a copied row to a later page, or a
            // hashing instance runs early. The probe (a LATERAL sub-select, for the reason
            // given at --finish) skips those; `ON CONFLICT DO NOTHING`
            // would too, but its speculative insertion made the whole copy 40 % slower. It
            // looks where the twin goes, as the unique index would: the whole partitioned
            // table (pruned to one partition), else the leaf alone. A twin inserted between
            // the probe and the insert fails the batch with a unique violation, and the batch
            // is retried.
            MigrateStep::Copy => (
                format!(
                    "src AS (SELECT {hashed} FROM ONLY {leaf} WHERE {range} AND {} \
                              AND current_timestamp < expiry), \
                     done AS (INSERT INTO {target} ({cols}) OVERRIDING SYSTEM VALUE \
                              SELECT src.* FROM src LEFT JOIN LATERAL \
                                (SELECT true AS found FROM {probe} t WHERE t.token = src.token \
                                 LIMIT 1) twin ON true \
                              WHERE twin.found IS NULL RETURNING 1){}",
                    self.not_ours("", "copy"),
                    record("copy"),
                    probe = if self.partitioned {
                        self.root.clone()
                    } else {
                        format!("ONLY {leaf}")
                    },
                ),
                "0::int8",
            ),
            MigrateStep::Finish => {
                let root = &self.root;
                // Each probe for a twin is a LATERAL sub-select with LIMIT, which the planner
                // cannot turn into a join: on a partitioned table it would merge-join the batch
                // against every partition's whole index (270 s instead of 20 for 300,000 rows
                // in 16 partitions), where a probe per row reaches one partition. The UPDATE's
                // `= ANY` keeps it to the rows that carry, by index.
                // Whether twin `t` takes raw row `r`'s data and expiry: they differ, and the
                // twin is as --copy made it or older than the raw row's last write. One probe
                // of the twin decides it for every row; the UPDATE probes again only for the
                // few rows the raw app changed during the rollout, and decides it again on the
                // twin as it is when locked.
                let carry = |r: &str| {
                    format!(
                        "((t.data, t.expiry) IS DISTINCT FROM ({r}.data, {r}.expiry) \
                          AND ({} OR age({r}.rxmin) < age(t.xmin)))",
                        self.written_by("t.", "copy")
                    )
                };
                (
                    format!(
                        "raw AS MATERIALIZED (SELECT ctid AS rctid, xmin AS rxmin, data, expiry, \
                                {} AS h FROM ONLY {leaf} WHERE {range} AND {}), \
                         pairs AS MATERIALIZED (SELECT r.*, {} AS carry \
                                FROM raw r CROSS JOIN LATERAL (SELECT t.data, t.expiry, t.xmin \
                                  FROM {root} t WHERE t.token = r.h LIMIT 1) t), \
                         carried AS (UPDATE {root} t SET data = p.data, expiry = p.expiry \
                                FROM pairs p \
                                WHERE t.token = ANY(ARRAY(SELECT h FROM pairs WHERE carry)) \
                                  AND p.carry AND t.token = p.h AND {} \
                                RETURNING 1), \
                         done AS (DELETE FROM ONLY {leaf} \
                                WHERE ctid = ANY(ARRAY(SELECT rctid FROM pairs)) RETURNING 1)",
                        hash_sql("token"),
                        // Twins --copy made and nobody wrote since are not hashed again: the
                        // hash of a twin is no row's token.
                        self.not_ours("", "copy"),
                        carry("r"),
                        carry("p"),
                    ),
                    "(SELECT count(*) FROM carried)",
                )
            }
        };
        let rows = "(SELECT count(*) FROM done)";
        format!(
            "WITH guard AS MATERIALIZED (SELECT FROM {state} g WHERE g.table_name = $5 \
                    AND g.leaf = $6 AND g.next_page = $7 AND g.phase = $8 FOR UPDATE), {body} \
             UPDATE {state} s SET leaf = $3, next_page = $4, rows_done = s.rows_done + {rows}, \
                    carried = s.carried + {carried}, batches = s.batches + 1, updated_at = now(), \
                    first_xid = coalesce(s.first_xid, pg_current_xact_id()::text::int8) \
             WHERE s.table_name = $5 AND EXISTS (SELECT FROM guard) RETURNING {rows}, {carried}"
        )
    }
}

impl Store {
    /// Resolves what a migration of this table needs: its qualified name, the state table
    /// beside it, its columns and the lock.
    pub fn migration(&mut self, kind: TableKind) -> Result<Migration> {
        let row = self
            .client
            .query_typed_one(
                "SELECT n.nspname::text, c.relname::text, hashtext(n.nspname || '.' || c.relname), \
                        array(SELECT quote_ident(a.attname) FROM pg_attribute a \
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                                AND a.attgenerated = '' \
                              ORDER BY a.attname <> 'token', a.attnum) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.oid = $1::text::regclass",
                &[(&self.table.quoted(), Type::TEXT)],
            )
            .map_err(|e| table_error(&self.table, "cannot find the sessions table", e))?;
        let (schema, name): (String, String) = (row.get(0), row.get(1));
        Ok(Migration {
            key: format!("{schema}.{name}"),
            state: format!("{}.{}", quote_ident(&schema), quote_ident(STATE_TABLE)),
            batches: format!("{}.{}", quote_ident(&schema), quote_ident(BATCHES_TABLE)),
            partitioned: kind == TableKind::Partitioned,
            root: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
            columns: row.get(3),
            lock: CleanerLock {
                class: MIGRATION_LOCK_CLASS,
                key: row.get(2),
            },
            mode: LockMode::Session,
            begin: String::new(),
        })
    }

    /// The migration's state, or `None` when no migration of this table ever began (or the
    /// state table is not there).
    pub fn migration_state(&mut self, m: &Migration) -> Result<Option<MigrationState>> {
        let exists: bool = self
            .client
            .query_typed_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[(&m.state, Type::TEXT)],
            )
            .map_err(|e| Error::db("cannot look for the migration state", e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let sql = format!(
            "SELECT phase, leaves, leaf_pages, leaf, next_page, batches, rows_done, \
                    carried, started_at, updated_at FROM {} WHERE table_name = $1",
            m.state
        );
        let row = self
            .client
            .query_typed_opt(&sql, &[(&m.key, Type::TEXT)])
            .map_err(|e| Error::db("cannot read the migration state", e))?;
        row.map(|r| {
            let phase: String = r.get(0);
            Ok(MigrationState {
                phase: Phase::parse(&phase).ok_or_else(|| {
                    Error::Data(format!(
                        "the migration state of table \"{}\" in {} has an unknown phase {phase:?}",
                        self.table, m.state
                    ))
                })?,
                leaves: r.get(1),
                leaf_pages: r.get(2),
                leaf: r.get::<_, i32>(3).max(0) as usize,
                next_page: r.get(4),
                batches: r.get(5),
                rows: r.get(6),
                carried: r.get(7),
                started_at: r.get(8),
                updated_at: r.get(9),
            })
        })
        .transpose()
    }

    /// The phase recorded for this table, for the warning other commands give; `None` when
    /// there is no record or this role cannot read it (the warning is then left out).
    pub fn token_phase(&mut self) -> Option<Phase> {
        // One round trip when there is no record (the common case), two when there is.
        let row = self
            .client
            .query_typed_one(
                "SELECT n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || $2, \
                        coalesce(has_table_privilege(to_regclass(quote_ident(n.nspname) || '.' || $2), 'SELECT'), false) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.oid = $1::text::regclass",
                &[
                    (&self.table.quoted(), Type::TEXT),
                    (&STATE_TABLE, Type::TEXT),
                ],
            )
            .ok()?;
        let (key, state, readable): (String, String, bool) = (row.get(0), row.get(1), row.get(2));
        if !readable {
            return None;
        }
        let sql = format!("SELECT phase FROM {state} WHERE table_name = $1");
        let row = self
            .client
            .query_typed_opt(&sql, &[(&key, Type::TEXT)])
            .ok()??;
        Phase::parse(&row.get::<_, String>(0))
    }

    /// Creates the state table if it is missing (safe to run concurrently).
    pub fn ensure_migration_table(&mut self, m: &Migration) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ( \
               table_name text PRIMARY KEY, \
               phase text NOT NULL CHECK (phase IN ('switching', 'copying', 'copied', 'finishing', 'hashed')), \
               leaves text[] NOT NULL DEFAULT '{{}}', \
               leaf_pages int8[] NOT NULL DEFAULT '{{}}', \
               leaf int4 NOT NULL DEFAULT 0, \
               next_page int8 NOT NULL DEFAULT 0, \
               first_xid int8, \
               batches int8 NOT NULL DEFAULT 0, \
               rows_done int8 NOT NULL DEFAULT 0, \
               carried int8 NOT NULL DEFAULT 0, \
               started_at timestamptz NOT NULL DEFAULT now(), \
               updated_at timestamptz NOT NULL DEFAULT now()); \
             COMMENT ON TABLE {} IS 'scsctl migrate hash-tokens: what each sessions table''s \
               migration to hashed tokens (SCS HashTokenInStore) has done; do not edit'; \
             CREATE TABLE IF NOT EXISTS {} ( \
               table_name text NOT NULL, \
               step text NOT NULL CHECK (step IN ('switch', 'copy')), \
               xid int8 NOT NULL, \
               PRIMARY KEY (table_name, step, xid)); \
             COMMENT ON TABLE {} IS 'scsctl migrate hash-tokens: the transaction id of each \
               committed batch, the xmin of every row it wrote; do not edit'",
            m.state, m.state, m.batches, m.batches
        );
        match self.client.batch_execute(&sql) {
            Ok(()) => Ok(()),
            // Two first runs at once: the other one created it.
            Err(e) if matches!(e.code().map(|c| c.code()), Some("23505" | "42P07")) => Ok(()),
            Err(e) => Err(Error::db(
                format!("cannot create the migration state table {}", m.state),
                e,
            )),
        }
    }

    /// Starts `phase` from its first page: records the leaves and their sizes now, an empty
    /// cursor and no batches, provided the record still says `from` (no record at all for
    /// `None`); else another run got there first, and nothing is changed. Entering
    /// `finishing` keeps `--copy`'s transaction ids; the other phases start from none.
    pub fn begin_phase(
        &mut self,
        m: &Migration,
        from: Option<Phase>,
        phase: Phase,
        leaves: &[String],
        pages: &[i64],
    ) -> Result<()> {
        let step = match phase {
            Phase::Switching => "switch",
            _ => "copy",
        };
        let st = &m.state;
        let sql = match from {
            // Batch ids of this table left by a record since dropped are forgotten with the
            // start, in the same statement, so only when this run made the record.
            None => format!(
                "WITH began AS (INSERT INTO {st} (table_name, phase, leaves, leaf_pages) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (table_name) DO NOTHING RETURNING 1), \
                 forgot AS (DELETE FROM {} WHERE table_name = $1 AND step = '{step}' \
                   AND EXISTS (SELECT FROM began)) \
                 SELECT count(*) FROM began WHERE $5::text IS NULL",
                m.batches
            ),
            // --finish keeps --copy's first batch: rows older than it are not twins.
            Some(_) => format!(
                "WITH began AS (UPDATE {st} SET phase = $2, leaves = $3, leaf_pages = $4, \
                   leaf = 0, next_page = 0, batches = 0, rows_done = 0, carried = 0, \
                   started_at = now(), updated_at = now() \
                   WHERE table_name = $1 AND phase = $5 RETURNING 1) \
                 SELECT count(*) FROM began"
            ),
        };
        // Both statements take the phase left as $5, the first only to say it is none.
        let from_text = from.map(Phase::as_str);
        let row = self
            .client
            .query_typed_one(
                &sql,
                &[
                    (&m.key, Type::TEXT),
                    (&phase.as_str(), Type::TEXT),
                    (&leaves, Type::TEXT_ARRAY),
                    (&pages, Type::INT8_ARRAY),
                    (&from_text, Type::TEXT),
                ],
            )
            .map_err(|e| Error::db("cannot record the migration's start", e))?;
        match row.get::<_, i64>(0) {
            1 => Ok(()),
            _ => Err(self.another_run()),
        }
    }

    /// Records that phase `from` is over, with the cursor where this run last left it, and the
    /// table is now in `to`; in its own transaction, which waits for every batch before it to
    /// reach disk. Fails, changing nothing, when another run moved the record meanwhile.
    pub fn end_phase(
        &mut self,
        m: &Migration,
        from: Phase,
        to: Phase,
        cursor: (usize, i64),
    ) -> Result<()> {
        // Once hashed, no row needs telling apart any more: the batches go.
        let tidy = if to == Phase::Hashed {
            format!(
                ", gone AS (DELETE FROM {} WHERE table_name = $1 AND EXISTS (SELECT FROM ended))",
                m.batches
            )
        } else {
            String::new()
        };
        let sql = format!(
            "WITH ended AS (UPDATE {} SET phase = $2, updated_at = now() \
               WHERE table_name = $1 AND phase = $3 AND leaf = $4 AND next_page = $5 RETURNING 1){tidy} \
             SELECT count(*) FROM ended",
            m.state
        );
        let leaf = cursor.0 as i32;
        let ended = self.in_batch(m, true, |client| {
            client
                .query_typed_one(
                    &sql,
                    &[
                        (&m.key, Type::TEXT),
                        (&to.as_str(), Type::TEXT),
                        (&from.as_str(), Type::TEXT),
                        (&leaf, Type::INT4),
                        (&cursor.1, Type::INT8),
                    ],
                )
                .map(|row| row.get::<_, i64>(0) == 1)
        });
        match ended {
            Ok(Some(true)) => Ok(()),
            Ok(_) => Err(self.another_run()),
            Err(e) => Err(Error::db("cannot record the migration's progress", e)),
        }
    }

    /// The error of a run whose record another run changed (or whose lock another run holds,
    /// behind a pooler): it stops, and what it did stays done.
    fn another_run(&self) -> Error {
        Error::Incompatible(format!(
            "another scsctl migrate hash-tokens is working on table \"{}\": the recorded \
             progress is no longer what this run last wrote; this run stopped, and what it \
             did stays done — wait for the other run to end, then run the same command again \
             if it did not complete",
            self.table
        ))
    }

    /// Runs `f` as one transaction that holds the migration lock. In session mode the
    /// session holds it already and `f`'s statement is its own transaction. In transaction
    /// mode the batch opens a transaction (with its guards, asynchronous commit unless
    /// `durable`) and tries the lock in the same message: `None` when another run holds it,
    /// and then nothing was done. A failure rolls back.
    fn in_batch<T>(
        &mut self,
        m: &Migration,
        durable: bool,
        f: impl FnOnce(&mut postgres::Client) -> std::result::Result<T, postgres::Error>,
    ) -> std::result::Result<Option<T>, postgres::Error> {
        if m.mode == LockMode::Session {
            return f(&mut self.client).map(Some);
        }
        let begin = if durable {
            format!(
                "BEGIN; SELECT pg_try_advisory_xact_lock({}, {})",
                m.lock.class, m.lock.key
            )
        } else {
            m.begin.clone()
        };
        let result = self.client.simple_query(&begin).and_then(|messages| {
            if super::purge::lock_granted(&messages) {
                f(&mut self.client).map(Some)
            } else {
                Ok(None)
            }
        });
        match result {
            Ok(Some(value)) => {
                self.client.batch_execute("COMMIT")?;
                Ok(Some(value))
            }
            Ok(None) => {
                let _ = self.client.batch_execute("ROLLBACK");
                Ok(None)
            }
            Err(e) => {
                // Best effort: when the connection is broken the server rolls back by itself.
                let _ = self.client.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Runs one batch of `kind` on pages `first..end` of leaf number `index` of `state`, and
    /// moves the recorded cursor from `recorded` (where this run last left it) to `cursor`,
    /// all in one transaction. Fails, changing nothing, when the record no longer says
    /// `recorded` or another run holds the lock: another run is at work.
    #[allow(clippy::too_many_arguments)]
    pub fn migrate_step(
        &mut self,
        m: &Migration,
        kind: MigrateStep,
        state: &MigrationState,
        index: usize,
        (first, end): (i64, i64),
        recorded: (usize, i64),
        cursor: (usize, i64),
    ) -> Result<MigrateOutcome> {
        let leaf = &state.leaves[index];
        let sql = m.step_sql(kind, leaf);
        let (first, end) = (format!("({first},0)"), format!("({end},0)"));
        let (cursor_leaf, recorded_leaf) = (cursor.0 as i32, recorded.0 as i32);
        let phase = state.phase.as_str();
        let row = self
            .in_batch(m, false, |client| {
                client.query_typed_opt(
                    &sql,
                    &[
                        (&first, Type::TEXT),
                        (&end, Type::TEXT),
                        (&cursor_leaf, Type::INT4),
                        (&cursor.1, Type::INT8),
                        (&m.key, Type::TEXT),
                        (&recorded_leaf, Type::INT4),
                        (&recorded.1, Type::INT8),
                        (&phase, Type::TEXT),
                    ],
                )
            })
            .map_err(|e| table_error(&self.table, "cannot rewrite tokens", e))?;
        match row.flatten() {
            Some(row) => Ok(MigrateOutcome {
                rows: row.get::<_, i64>(0) as u64,
                carried: row.get::<_, i64>(1) as u64,
            }),
            None => Err(self.another_run()),
        }
    }

    /// Records that leaf number `index` of the phase now ends at `pages`: `--copy` and
    /// `--finish` go on over pages the app filled while they ran, so that a session the app
    /// rewrote to a new page gets its twin, or loses its raw row, too. Fails, changing nothing,
    /// when the record no longer says `recorded` (another run is at work).
    pub fn extend_leaf(
        &mut self,
        m: &Migration,
        phase: Phase,
        recorded: (usize, i64),
        index: usize,
        pages: i64,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET leaf_pages[$2] = $3, updated_at = now() \
             WHERE table_name = $1 AND phase = $4 AND leaf = $5 AND next_page = $6",
            m.state
        );
        let position = index as i32 + 1;
        let recorded_leaf = recorded.0 as i32;
        let n = self
            .client
            .execute_typed(
                &sql,
                &[
                    (&m.key, Type::TEXT),
                    (&position, Type::INT4),
                    (&pages, Type::INT8),
                    (&phase.as_str(), Type::TEXT),
                    (&recorded_leaf, Type::INT4),
                    (&recorded.1, Type::INT8),
                ],
            )
            .map_err(|e| Error::db("cannot record the migration's progress", e))?;
        match n {
            1 => Ok(()),
            _ => Err(self.another_run()),
        }
    }

    /// Rows, live rows, and rows whose token is not an SCS token, with one of those (for the
    /// error message).
    pub fn token_census(&mut self) -> Result<(MigrateCounts, Option<String>)> {
        let sql = format!(
            "SELECT count(*), count(*) FILTER (WHERE current_timestamp < expiry), \
                    count(*) FILTER (WHERE {NOT_A_TOKEN}), \
                    min(token) FILTER (WHERE {NOT_A_TOKEN}) FROM {}",
            self.table.quoted()
        );
        let row = self
            .client
            .query_typed_one(&sql, &[])
            .map_err(|e| table_error(&self.table, "cannot count the sessions", e))?;
        Ok((
            MigrateCounts {
                rows: row.get(0),
                live: row.get(1),
                not_tokens: row.get(2),
            },
            row.get(3),
        ))
    }

    /// For `--finish --dry-run`: raw rows whose twin exists (what `--finish` would remove), and
    /// of those the ones whose data or expiry differ from their twin's.
    pub fn twin_census(&mut self) -> Result<(i64, i64)> {
        let t = self.table.quoted();
        let sql = format!(
            "SELECT count(*), count(*) FILTER (WHERE (r.data, r.expiry) IS DISTINCT FROM (w.data, w.expiry)) \
             FROM {t} r JOIN {t} w ON w.token = {}",
            hash_sql("r.token")
        );
        let row = self
            .client
            .query_typed_one(&sql, &[])
            .map_err(|e| table_error(&self.table, "cannot count the twins", e))?;
        Ok((row.get(0), row.get(1)))
    }

    /// Takes the migration lock of this table the way `mode` holds it; false when another
    /// run has it. [`LockMode::Session`]: for the whole session. [`LockMode::Transaction`]
    /// (behind a pooler, where a session lock would stay on a server connection for the next
    /// client): each batch takes it for its own transaction, so here the lock is only watched
    /// for a second, which a run working through its batches holds nearly all the time. A
    /// second run that slips past that is still stopped by its first batch, which finds the
    /// record moved or the lock taken.
    pub fn lock_migration(&mut self, m: &mut Migration, mode: LockMode) -> Result<bool> {
        m.mode = mode;
        if mode == LockMode::Session {
            return self.try_lock(m.lock);
        }
        for _ in 0..10 {
            if self.lock_holder(m.lock)?.is_some() {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(true)
    }

    /// Sets what every batch of a migration runs with: a statement timeout, a lock timeout
    /// (the app may hold a row lock), and asynchronous commit (a crash loses the last batches
    /// and their record together, and the next run redoes them). In session mode for the
    /// session; in transaction mode each batch sets them with `SET LOCAL`, and nothing stays
    /// on the server connection.
    pub fn migration_guards(
        &mut self,
        m: &mut Migration,
        lock_timeout: std::time::Duration,
        statement_timeout: std::time::Duration,
    ) -> Result<()> {
        let (lock_ms, statement_ms) = (
            lock_timeout.as_millis().max(1),
            statement_timeout.as_millis().max(1),
        );
        if m.mode == LockMode::Transaction {
            // The lock is tried in the same message as BEGIN: one round trip fewer per batch.
            m.begin = format!(
                "BEGIN; SET LOCAL lock_timeout = {lock_ms}; \
                 SET LOCAL statement_timeout = {statement_ms}; SET LOCAL synchronous_commit = off; \
                 SELECT pg_try_advisory_xact_lock({}, {})",
                m.lock.class, m.lock.key
            );
            return Ok(());
        }
        let sql = format!(
            "SET lock_timeout = {lock_ms}; SET statement_timeout = {statement_ms}; \
             SET synchronous_commit = off"
        );
        self.client
            .batch_execute(&sql)
            .map_err(|e| Error::db("cannot set timeouts", e))
    }

    /// Lifts the batches' statement timeout, for the count after the last batch (a scan of
    /// the whole table), and makes the next commit synchronous: the one that records the end of
    /// the phase then also waits for every batch before it to be on disk, so that a run that
    /// says it is done is done even if the server crashes right after. In transaction mode
    /// the session has nothing to lift, and [`Store::end_phase`] commits synchronously.
    pub fn migration_unguarded(&mut self, m: &Migration) -> Result<()> {
        if m.mode == LockMode::Transaction {
            return Ok(());
        }
        self.client
            .batch_execute("SET statement_timeout = 0; SET synchronous_commit = on")
            .map_err(|e| Error::db("cannot set timeouts", e))
    }

    /// The SQL `hash_sql` computes, run on the server for each token (for tests that check it
    /// against [`crate::token::hash`]).
    pub fn server_hash(&mut self, tokens: &[&str]) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT {} FROM unnest($1::text[]) AS t(token)",
            hash_sql("token")
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&tokens, Type::TEXT_ARRAY)])
            .map_err(|e| Error::db("cannot hash tokens", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_records_itself_in_the_same_statement() {
        let m = Migration {
            key: "public.sessions".into(),
            state: "\"public\".\"scsctl_token_migration\"".into(),
            batches: "\"public\".\"scsctl_token_migration_batches\"".into(),
            partitioned: true,
            root: "\"public\".\"sessions\"".into(),
            columns: vec!["token".into(), "data".into(), "expiry".into()],
            lock: CleanerLock { class: 1, key: 2 },
            mode: LockMode::Transaction,
            begin: String::new(),
        };
        for kind in [MigrateStep::Switch, MigrateStep::Copy, MigrateStep::Finish] {
            let sql = m.step_sql(kind, "\"public\".\"sessions_0\"");
            assert!(sql.starts_with("WITH "), "{sql}");
            assert!(sql.contains("UPDATE \"public\".\"scsctl_token_migration\" s SET leaf = $3"));
            assert!(sql.contains("FROM ONLY \"public\".\"sessions_0\""));
            let records_xid =
                sql.contains("INSERT INTO \"public\".\"scsctl_token_migration_batches\"");
            assert_eq!(records_xid, kind != MigrateStep::Finish, "{sql}");
        }
        let switch = m.step_sql(MigrateStep::Switch, "\"public\".\"sessions_0\"");
        // Partitioned: inserted through the parent, so a hash lands in its own partition.
        assert!(
            switch.contains("INSERT INTO \"public\".\"sessions\""),
            "{switch}"
        );
    }
}
