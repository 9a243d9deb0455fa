//! `scsctl migrate hash-tokens`: stop-and-switch and the rolling way (`--copy`, `--finish`) on
//! every table shape, partitioned ones included; a run killed, interrupted or cut off halfway
//! resumes and ends with every token hashed exactly once; a second run changes nothing; the
//! refusals (not SCS tokens, mixing the two ways, a concurrent migration, a table other
//! tables reference or a rule rewrites) change nothing; later commands warn about hashed
//! tokens. With the Go peer's `db` subcommand, an SCS app without hashing and one with
//! `HashTokenInStore` find the same sessions.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::seed::wait_until;
use crate::shapes::{Shape, create_sql};
use crate::support::{Scsctl, TestDb, cluster};

/// `hash_sql` applied to `expr`: what SCS's HashTokenInStore stores for the token `expr`.
fn h(expr: &str) -> String {
    scsctl::store::hash_sql(expr)
}

/// SCS-like tokens (43 characters of base64url) for row `i`: the hash of a seed, which has
/// the same shape as a token SCS makes.
fn token_sql(tag: &str) -> String {
    h(&format!("'{tag}-' || i"))
}

/// Fills `t` (schema.name) of `shape` with `n` rows, a third expired, tokens SCS-like, data of
/// varied sizes, in random order on disk; an inheritance table gets a third in each member.
fn fill(db: &TestDb, shape: Shape, t: &str, n: u32) {
    let rows = |target: &str, filter: &str| {
        format!(
            "INSERT INTO {target} (token, data, expiry) \
             SELECT {}, decode(repeat(to_hex(i % 200 + 16), 20 + i % 100), 'hex'), \
                    current_timestamp + CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END \
                      * (interval '1 hour' + random() * interval '1 hour') \
             FROM generate_series(1, {n}) i WHERE {filter} ORDER BY random();",
            token_sql("seed")
        )
    };
    let sql = match shape {
        Shape::Inherited => format!(
            "{}{}{}",
            rows(t, "i % 3 = 0"),
            rows(&format!("{t}_old"), "i % 3 = 1"),
            rows(&format!("{t}_older"), "i % 3 = 2")
        ),
        _ => rows(t, "true"),
    };
    db.psql(&sql);
}

/// A database with `shape` as `m.sessions`, `n` rows, and a copy of them in `public.orig`.
fn table_with(shape: Shape, n: u32) -> TestDb {
    let db = cluster().new_database();
    db.psql(&create_sql(shape, "m", "sessions"));
    fill(&db, shape, "m.sessions", n);
    db.psql("CREATE TABLE public.orig AS SELECT token, data, expiry FROM m.sessions");
    db
}

fn migrate(db: &TestDb, table: &str, args: &[&str]) -> crate::support::Output {
    Scsctl::new()
        .db(db)
        .args(["-t", table, "migrate", "hash-tokens"])
        .args(args)
        .run()
}

fn migrate_json(db: &TestDb, table: &str, args: &[&str]) -> Json {
    let out = migrate(db, table, &[args, &["-o", "json"]].concat());
    out.success();
    out.json()
}

fn one(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).unwrap().get(0)
}

/// Whether `t` holds, for every row of `orig` (those in `filter`), exactly one row under the
/// token's hash with the same data and expiry, and no row under the raw token.
fn assert_hashed_exactly(db: &TestDb, t: &str, filter: &str) {
    let missing = one(
        db,
        &format!(
            "SELECT count(*) FROM orig o WHERE {filter} AND NOT EXISTS (SELECT 1 FROM {t} s \
             WHERE s.token = {} AND s.data = o.data AND s.expiry = o.expiry)",
            h("o.token")
        ),
    );
    assert_eq!(missing, 0, "rows of orig without their hashed row in {t}");
    let raw_left = one(
        db,
        &format!("SELECT count(*) FROM orig o JOIN {t} s USING (token) WHERE {filter}"),
    );
    assert_eq!(raw_left, 0, "raw tokens left in {t}");
    // Nothing hashed twice: no row is the hash of a hash.
    let twice = one(
        db,
        &format!(
            "SELECT count(*) FROM orig o JOIN {t} s ON s.token = {}",
            h(&h("o.token"))
        ),
    );
    assert_eq!(twice, 0, "tokens hashed twice in {t}");
}

/// Whether `m.sessions` still holds its `rows` raw tokens of `orig` and no migration was
/// recorded: what a refusal must leave.
fn assert_untouched(db: &TestDb, rows: i64) {
    let raw = one(
        db,
        "SELECT count(*) FROM m.sessions s JOIN orig USING (token)",
    );
    assert_eq!(raw, rows, "raw tokens gone from m.sessions");
    let state = one(
        db,
        "SELECT count(*) FROM pg_class WHERE relname = 'scsctl_token_migration'",
    );
    assert_eq!(state, 0, "a migration was recorded");
}

#[test]
fn the_sql_hash_is_scs_hash_token_in_store() {
    let db = cluster().new_database();
    let tokens = [
        "abc".to_owned(),
        "-x3Jq9v_Xn2-AbCdEfGhIjKlMnOpQrStUvWxYz01234".to_owned(),
        "héllo wörld ☃".to_owned(),
        String::new(),
        scsctl::token::generate().unwrap(),
        scsctl::token::generate().unwrap(),
    ];
    let mut client = db.client();
    for t in &tokens {
        let row = client
            .query_one(&format!("SELECT {}", h("$1::text")), &[t])
            .unwrap();
        let server: String = row.get(0);
        assert_eq!(server, scsctl::token::hash(t), "token {t:?}");
    }
    // Enough tokens that their hashes hold every base64url character, '-' and '_' included.
    let many: Vec<String> = (0..2_000).map(|i| format!("seed-{i}")).collect();
    let server: Vec<String> = client
        .query_one(
            &format!("SELECT array_agg({} ORDER BY n) FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)", h("t")),
            &[&many],
        )
        .unwrap()
        .get(0);
    let local: Vec<String> = many.iter().map(|t| scsctl::token::hash(t)).collect();
    assert_eq!(server, local);
    assert!(local.iter().any(|t| t.contains('-')) && local.iter().any(|t| t.contains('_')));
}

#[test]
fn stop_and_switch_hashes_every_row_once_on_every_shape() {
    let shapes = [
        Shape::Plain,
        Shape::Hash(8, crate::shapes::Index::Parent),
        Shape::TwoLevel,
        Shape::Inherited,
        Shape::ExtraColumns,
        Shape::NoIndex,
    ];
    for shape in shapes {
        let db = table_with(shape, 3_000);
        let extra = shape == Shape::ExtraColumns;
        if extra {
            db.psql("UPDATE m.sessions SET note = 'n' || left(token, 5), user_id = 7");
        }
        let doc = migrate_json(&db, "m.sessions", &["--batch-pages", "4"]);
        assert_eq!(doc["outcome"], "completed", "{shape:?}: {doc}");
        assert_eq!(doc["changed"], 3_000, "{shape:?}: {doc}");
        assert_eq!(doc["rows_before"], 3_000, "{shape:?}: {doc}");
        assert_eq!(doc["rows_after"], 3_000, "{shape:?}: {doc}");
        assert!(doc["batches"].as_u64().unwrap() > 3, "{shape:?}: {doc}");
        assert_hashed_exactly(&db, "m.sessions", "true");
        if extra {
            let kept = one(
                &db,
                &format!(
                    "SELECT count(*) FROM m.sessions s JOIN orig o ON s.token = {} \
                     WHERE s.note = 'n' || left(o.token, 5) AND s.user_id = 7",
                    h("o.token")
                ),
            );
            assert_eq!(kept, 3_000, "extra columns kept");
        }
        if shape == Shape::Inherited {
            // A row stays in the member of the inheritance tree it was in.
            for member in ["ONLY m.sessions", "m.sessions_old", "m.sessions_older"] {
                assert_eq!(one(&db, &format!("SELECT count(*) FROM {member}")), 1_000);
            }
        }
        // A second run changes nothing and says so.
        let again = migrate(&db, "m.sessions", &[]);
        again.success();
        assert!(
            again.stdout_str().contains("already holds hashed tokens"),
            "{}",
            again.stdout_str()
        );
        assert_hashed_exactly(&db, "m.sessions", "true");
        let phase: String = db
            .client()
            .query_one(
                "SELECT phase FROM m.scsctl_token_migration WHERE table_name = 'm.sessions'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(phase, "hashed");
    }
}

#[test]
fn rolling_copy_then_finish_keeps_what_the_apps_wrote() {
    for shape in [Shape::Plain, Shape::Hash(8, crate::shapes::Index::Parent)] {
        let db = table_with(shape, 3_000);
        let live = one(&db, "SELECT count(*) FROM orig WHERE expiry > now()");
        let doc = migrate_json(&db, "m.sessions", &["--copy", "--batch-pages", "4"]);
        assert_eq!(doc["changed"], live, "{shape:?}: {doc}");
        // Twin count: every row, plus one twin per live row.
        assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 3_000 + live);
        // A second --copy changes nothing.
        migrate(&db, "m.sessions", &["--copy"])
            .success()
            .stdout_contains("already has its hashed twin");
        assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 3_000 + live);

        // The raw app writes sessions A after the copy; the hashing app writes session B's
        // twin; both apps then leave each other's rows alone.
        let (a, b): (String, String) = {
            let rows = db
                .client()
                .query(
                    "SELECT token FROM orig WHERE expiry > now() ORDER BY token LIMIT 2",
                    &[],
                )
                .unwrap();
            (rows[0].get(0), rows[1].get(0))
        };
        let mut c = db.client();
        c.execute(
            "UPDATE m.sessions SET data = '\\x0a', expiry = expiry + interval '1 day' WHERE token = $1",
            &[&a],
        )
        .unwrap();
        c.execute(
            &format!(
                "UPDATE m.sessions SET data = '\\x0b' WHERE token = {}",
                h("$1::text")
            ),
            &[&b],
        )
        .unwrap();
        // --finish without changing anything first.
        let dry = migrate_json(&db, "m.sessions", &["--finish", "--dry-run"]);
        assert_eq!(dry["would_change"], live, "{dry}");
        assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 3_000 + live);

        let doc = migrate_json(&db, "m.sessions", &["--finish", "--batch-pages", "4"]);
        assert_eq!(doc["changed"], live, "{shape:?}: {doc}");
        assert_eq!(doc["carried"], 1, "{shape:?}: {doc}");
        // Every live session under its hash; expired raw rows, which had no twin, stay for
        // purge: the count is back to the rows before.
        assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 3_000);
        let data_of = |token: &str| -> (Vec<u8>, bool) {
            let row = db
                .client()
                .query_one(
                    &format!(
                        "SELECT s.data, s.expiry > o.expiry + interval '23 hours' FROM m.sessions s, orig o \
                         WHERE o.token = $1 AND s.token = {}",
                        h("$1::text")
                    ),
                    &[&token],
                )
                .unwrap();
            (row.get(0), row.get(1))
        };
        assert_eq!(
            data_of(&a),
            (vec![0x0a], true),
            "the raw app's write carried over"
        );
        assert_eq!(
            data_of(&b),
            (vec![0x0b], false),
            "the hashing app's write kept"
        );
        let missing = one(
            &db,
            &format!(
                "SELECT count(*) FROM orig o WHERE o.expiry > now() AND NOT EXISTS \
                 (SELECT 1 FROM m.sessions s WHERE s.token = {})",
                h("o.token")
            ),
        );
        assert_eq!(missing, 0);
        let raw_live = one(
            &db,
            "SELECT count(*) FROM orig o JOIN m.sessions s USING (token) WHERE o.expiry > now()",
        );
        assert_eq!(raw_live, 0, "no live raw row left");
        migrate(&db, "m.sessions", &["--finish"])
            .success()
            .stdout_contains("already holds hashed tokens");
    }
}

#[test]
fn refusals_change_nothing() {
    // Values that are not SCS tokens.
    let db = table_with(Shape::Plain, 200);
    db.psql("INSERT INTO m.sessions VALUES ('user-42', '\\x00', now() + interval '1 hour')");
    for args in [&[][..], &["--copy"], &["--dry-run"]] {
        let out = migrate(&db, "m.sessions", args);
        out.code(1).stderr_contains("not an SCS token");
        assert!(out.stderr.contains("\"user-42\""), "{}", out.stderr);
    }
    assert_untouched(&db, 200);

    // Near misses of an SCS token, each counted: 43 characters that are not all base64url
    // (two-byte characters, standard base64's '+', padding, a dot), one short, one long.
    let db = table_with(Shape::Plain, 200);
    db.psql(&format!(
        "INSERT INTO m.sessions VALUES ('{}', '\\x00', now() + interval '1 hour'), \
           ('{}+', '\\x00', now() + interval '1 hour'), ('{}=', '\\x00', now() + interval '1 hour'), \
           ('{}.', '\\x00', now() + interval '1 hour'), ('{}', '\\x00', now() + interval '1 hour'), \
           ('{}', '\\x00', now() + interval '1 hour')",
        "é".repeat(43),
        "A".repeat(42),
        "B".repeat(42),
        "C".repeat(42),
        "D".repeat(42),
        "E".repeat(44)
    ));
    migrate(&db, "m.sessions", &["--dry-run"])
        .code(1)
        .stderr_contains("6 of 206 rows have a token that is not an SCS token");

    // --finish with nothing to finish; the stop-and-switch while a rolling one is half done;
    // --copy while a stop-and-switch is half done.
    let db = table_with(Shape::Plain, 200);
    migrate(&db, "m.sessions", &["--finish"])
        .code(1)
        .stderr_contains("--copy first");
    migrate(&db, "m.sessions", &["--copy"]).success();
    let rows = one(&db, "SELECT count(*) FROM m.sessions");
    for args in [&[][..], &["--dry-run"]] {
        migrate(&db, "m.sessions", args)
            .code(1)
            .stderr_contains("rolling migration is half done");
    }
    assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), rows);
    let db2 = table_with(Shape::Plain, 3_000);
    let run = start_slowly(&db2, &[], 3);
    run.kill();
    let _ = run.wait_with_output(Duration::from_secs(10));
    assert_eq!(recorded(&db2).0, "switching");
    for args in [&["--copy"][..], &["--finish"]] {
        migrate(&db2, "m.sessions", args)
            .code(1)
            .stderr_contains("stop-and-switch migration is half done");
    }

    // A concurrent second migration fails at once, naming the holder.
    let db = table_with(Shape::Plain, 200);
    let mut holder = db.client();
    holder
        .batch_execute(
            "SET application_name = 'first-migration'; \
             SELECT pg_advisory_lock(x'73636d'::int, hashtext('m.sessions'))",
        )
        .unwrap();
    let started = std::time::Instant::now();
    let out = migrate(&db, "m.sessions", &[]);
    out.code(1)
        .stderr_contains("another scsctl migrate hash-tokens is running")
        .stderr_contains("first-migration");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM m.sessions s JOIN orig USING (token)"
        ),
        200
    );
}

#[test]
fn a_table_referenced_by_a_foreign_key_is_refused_and_triggers_are_named() {
    // On a partitioned table the key and the trigger are cloned to every partition: each is
    // named once.
    let db = table_with(Shape::Hash(4, crate::shapes::Index::Parent), 200);
    db.psql(
        "CREATE TABLE public.user_sessions (user_id int, \
           token text REFERENCES m.sessions (token) ON DELETE CASCADE); \
         INSERT INTO public.user_sessions SELECT row_number() OVER (), token FROM orig;",
    );
    for args in [&[][..], &["--copy"], &["--dry-run"]] {
        let out = migrate(&db, "m.sessions", args);
        out.code(1)
            .stderr_contains(
                "foreign key \"user_sessions_token_fkey\" of table public.user_sessions",
            )
            .stderr_contains("deletes the rows that reference it (ON DELETE CASCADE)")
            .stderr_contains("nothing changed");
        assert!(!out.stderr.contains("more foreign keys"), "{}", out.stderr);
    }
    assert_eq!(one(&db, "SELECT count(*) FROM public.user_sessions"), 200);
    assert_untouched(&db, 200);

    db.psql(
        "ALTER TABLE public.user_sessions DROP CONSTRAINT user_sessions_token_fkey; \
         CREATE TABLE m.audit (op text); \
         CREATE FUNCTION m.audit() RETURNS trigger LANGUAGE plpgsql AS \
           $$BEGIN INSERT INTO m.audit VALUES (TG_OP); RETURN NULL; END$$; \
         CREATE TRIGGER sessions_audit AFTER DELETE ON m.sessions \
           FOR EACH ROW EXECUTE FUNCTION m.audit();",
    );
    let warning = "trigger \"sessions_audit\" on m.sessions fires on delete for every row";
    let out = migrate(&db, "m.sessions", &["--dry-run"]);
    out.success();
    assert_eq!(out.stderr.matches(warning).count(), 1, "{}", out.stderr);
    // --copy only inserts: a trigger on delete is not its concern.
    let out = migrate(&db, "m.sessions", &["--copy"]);
    out.success();
    assert!(!out.stderr.contains("trigger"), "{}", out.stderr);
    let out = migrate(&db, "m.sessions", &["--finish"]);
    out.success();
    assert_eq!(out.stderr.matches(warning).count(), 1, "{}", out.stderr);
    // Each raw row --finish removed (those with a twin: the live ones) fired it once.
    assert_eq!(
        one(&db, "SELECT count(*) FROM m.audit"),
        one(&db, "SELECT count(*) FROM orig WHERE expiry > now()")
    );
}

#[test]
fn a_rule_on_the_table_is_refused_until_disabled() {
    // The rule is on one partition: the migration writes there, so it counts.
    let db = table_with(Shape::Hash(4, crate::shapes::Index::Parent), 200);
    db.psql(
        "CREATE TABLE public.log (token text); \
         CREATE RULE log_deletes AS ON DELETE TO m.sessions_2 \
           DO ALSO INSERT INTO public.log VALUES (old.token);",
    );
    for args in [&[][..], &["--copy"], &["--dry-run"]] {
        migrate(&db, "m.sessions", args)
            .code(1)
            .stderr_contains(
                "rule \"log_deletes\" on m.sessions_2 rewrites every delete on table \
                 \"m.sessions\" (DO ALSO)",
            )
            .stderr_contains("nothing changed");
    }
    assert_untouched(&db, 200);
    // Disabled, as the error says, it neither blocks the migration nor runs.
    db.psql("ALTER TABLE m.sessions_2 DISABLE RULE log_deletes");
    migrate(&db, "m.sessions", &[]).success();
    assert_hashed_exactly(&db, "m.sessions", "true");
    assert_eq!(one(&db, "SELECT count(*) FROM public.log"), 0);
}

#[test]
fn large_sessions_are_migrated_a_page_at_a_time_given_more_time() {
    // 64 KiB of data a session, incompressible, so kept in TOAST: a heap page holds dozens of
    // sessions, megabytes of data, and no batch of one page fits a 5 ms target.
    for way in [&["--copy"][..], &[]] {
        let db = cluster().new_database();
        db.psql(&format!(
            "CREATE SCHEMA m; CREATE TABLE m.sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, \
               expiry TIMESTAMPTZ NOT NULL); \
             INSERT INTO m.sessions SELECT {}, \
               (SELECT string_agg(sha256((i * 10000 + j)::text::bytea), ''::bytea) \
                FROM generate_series(1, 2048) j), now() + interval '1 hour' \
             FROM generate_series(1, 300) i; \
             CREATE TABLE public.orig AS SELECT token, data, expiry FROM m.sessions;",
            token_sql("big")
        ));
        let pages = one(&db, "SELECT pg_relation_size('m.sessions') / 8192");
        assert!(pages < 20, "the sessions are not in TOAST: {pages} pages");
        let target = ["--target-batch-time", "5ms"];
        let out = migrate(&db, "m.sessions", &[way, &target].concat());
        out.success();
        out.stderr_contains(
            "takes longer than the target batch time (5ms): its sessions are large",
        );
        if way == ["--copy"] {
            migrate(&db, "m.sessions", &[&["--finish"][..], &target].concat()).success();
        }
        assert_hashed_exactly(&db, "m.sessions", "true");
        assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 300);
    }
}

#[test]
fn dry_run_says_what_would_change_and_changes_nothing() {
    let db = table_with(Shape::Hash(4, crate::shapes::Index::Parent), 300);
    let doc = migrate_json(&db, "m.sessions", &["--dry-run"]);
    assert_eq!(doc["would_change"], 300, "{doc}");
    assert_eq!(doc["changed"], 0);
    let live = one(&db, "SELECT count(*) FROM orig WHERE expiry > now()");
    let doc = migrate_json(&db, "m.sessions", &["--copy", "--dry-run"]);
    assert_eq!(doc["would_change"], live, "{doc}");
    migrate(&db, "m.sessions", &["--dry-run"])
        .success()
        .stdout_contains("would hash 300 tokens");
    assert_untouched(&db, 300);
}

/// The migration's recorded phase and rows done.
fn recorded(db: &TestDb) -> (String, i64) {
    let row = db
        .client()
        .query_one(
            "SELECT phase, rows_done FROM m.scsctl_token_migration WHERE table_name = 'm.sessions'",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Starts a stop-and-switch (or `extra`) of one page per batch and waits for `batches`
/// batches to be reported.
fn start_slowly(db: &TestDb, extra: &[&str], batches: usize) -> crate::support::Running {
    let run = Scsctl::new()
        .db(db)
        .args([
            "-t",
            "m.sessions",
            "-v",
            "migrate",
            "hash-tokens",
            "--batch-pages",
            "1",
        ])
        .args(extra)
        .spawn();
    assert!(
        wait_until(Duration::from_secs(60), || {
            run.stderr_so_far().matches("scsctl: batch:").count() >= batches
        }),
        "no batches: {}",
        run.stderr_so_far()
    );
    run
}

#[test]
fn killed_halfway_resumes_and_hashes_each_token_once() {
    let db = table_with(Shape::Hash(8, crate::shapes::Index::Parent), 20_000);
    let run = start_slowly(&db, &[], 30);
    run.kill();
    let _ = run.wait_with_output(Duration::from_secs(10));
    let (phase, done) = recorded(&db);
    assert_eq!(phase, "switching");
    assert!(done > 0 && done < 20_000, "{done}");
    assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 20_000);
    // Later commands say the table is half migrated.
    Scsctl::new()
        .db(&db)
        .args(["-t", "m.sessions", "stats"])
        .run()
        .success()
        .stderr_contains("is being migrated to hashed tokens (phase switching)");

    // Cut off by the server this time (as if it restarted).
    let run = start_slowly(&db, &[], 10);
    db.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'scsctl' AND datname = current_database() \
           AND pid <> pg_backend_pid()",
    );
    let out = run.wait_with_output(Duration::from_secs(30));
    assert_ne!(out.code, 0, "{}", out.stderr);
    let (_, done_again) = recorded(&db);
    assert!(done_again > done, "{done_again} after {done}");

    // And interrupted with SIGINT: exit 130, says how far it went.
    let run = start_slowly(&db, &[], 5);
    run.interrupt();
    let out = run.wait_with_output(Duration::from_secs(30));
    out.code(130)
        .stdout_contains("interrupted — run the same command again");

    let doc = migrate_json(&db, "m.sessions", &[]);
    assert_eq!(doc["resumed"], true, "{doc}");
    assert_eq!(doc["rows_after"], 20_000, "{doc}");
    assert_eq!(
        doc["changed"].as_i64().unwrap() + doc["changed_earlier"].as_i64().unwrap(),
        20_000,
        "{doc}"
    );
    assert_hashed_exactly(&db, "m.sessions", "true");
    assert_eq!(recorded(&db), ("hashed".to_owned(), 20_000));
}

#[test]
fn copy_killed_halfway_resumes_without_twins_of_twins() {
    let db = table_with(Shape::Plain, 12_000);
    let live = one(&db, "SELECT count(*) FROM orig WHERE expiry > now()");
    let run = start_slowly(&db, &["--copy"], 20);
    run.kill();
    let _ = run.wait_with_output(Duration::from_secs(10));
    assert_eq!(recorded(&db).0, "copying");
    // Refused: finishing a copy that has not completed.
    migrate(&db, "m.sessions", &["--finish"])
        .code(1)
        .stderr_contains("--copy has not completed");
    let doc = migrate_json(&db, "m.sessions", &["--copy"]);
    assert_eq!(doc["resumed"], true, "{doc}");
    assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 12_000 + live);
    migrate_json(&db, "m.sessions", &["--finish"]);
    assert_hashed_exactly(&db, "m.sessions", "o.expiry > now()");
    assert_eq!(one(&db, "SELECT count(*) FROM m.sessions"), 12_000);
}

#[test]
fn commands_warn_once_when_tokens_are_stored_the_other_way() {
    let db = crate::seed::fresh();
    let token = scsctl::token::generate().unwrap();
    Scsctl::new()
        .db(&db)
        .args(["put", &token, "--ttl", "1h", "--set", "user=ann"])
        .run()
        .success();
    migrate(&db, "sessions", &[]).success();
    let out = Scsctl::new().db(&db).args(["get", &token]).run();
    out.code(3);
    assert_eq!(
        out.stderr.matches("holds hashed tokens").count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_contains("hint: a session is stored under this token's SHA-256 hash");
    let out = Scsctl::new()
        .db(&db)
        .args(["--hashed-tokens", "get", &token])
        .run();
    out.success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let out = Scsctl::new().db(&db).args(["list"]).run();
    out.success();
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
    Scsctl::new()
        .db(&db)
        .arg("init-schema")
        .run()
        .success()
        .stdout_contains("tokens: hashed");
    // The reverse: --hashed-tokens on a table of raw tokens.
    let raw = crate::seed::fresh();
    Scsctl::new()
        .db(&raw)
        .args(["put", &token, "--ttl", "1h"])
        .run()
        .success();
    Scsctl::new()
        .db(&raw)
        .args(["--hashed-tokens", "get", &token])
        .run()
        .code(3)
        .stderr_contains("leave out --hashed-tokens");
}

// ---- Proof with the Go peer ----------------------------------------------------------------

/// The Go peer when it has its `db` subcommand (an SCS app's postgresstore); `None`, with a
/// note, when `go` is missing or the peer predates `db` (branch go-peer-store).
fn go_store_peer() -> Option<&'static Path> {
    let peer = crate::codec::go_peer()?;
    let out = std::process::Command::new(peer)
        .arg("db")
        .output()
        .expect("run go-peer");
    if String::from_utf8_lossy(&out.stderr).contains("unknown command") {
        eprintln!(
            "note: skipping the Go app proof of migrate hash-tokens: tests/go-peer has no `db` \
             subcommand yet"
        );
        return None;
    }
    Some(peer)
}

/// The Go app on `db`'s `sessions`, raw or with HashTokenInStore.
fn go(peer: &Path, db: &TestDb, hashed: bool, op: &[&str]) -> Scsctl {
    let mut cmd = Scsctl::command(peer).arg("db").arg(db.url());
    if hashed {
        cmd = cmd.arg("--hash-tokens");
    }
    cmd.args(op)
}

/// Go's view of `tokens` (exit 3 fails the test: every one must be found), by token.
fn go_find(peer: &Path, db: &TestDb, hashed: bool, tokens: &[String]) -> Vec<Json> {
    let args: Vec<&str> = std::iter::once("find")
        .chain(tokens.iter().map(String::as_str))
        .collect();
    let out = go(peer, db, hashed, &args).run();
    out.success();
    let mut rows = out.ndjson();
    rows.sort_by(|a, b| a["token"].as_str().cmp(&b["token"].as_str()));
    rows.iter()
        .map(|r| json!({"deadline": r["deadline"], "values": r["values"]}))
        .collect()
}

/// Sessions an app without hashing commits: `n` users, each with a few values.
fn go_sessions(peer: &Path, db: &TestDb, n: usize) -> Vec<String> {
    let mut tokens: Vec<String> = (0..n).map(|_| scsctl::token::generate().unwrap()).collect();
    tokens.sort();
    let lines: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let values =
                json!({"userID": i, "email": format!("u{i}@example.com"), "admin": i % 5 == 0});
            format!(
                "{}\n",
                json!({"token": t, "ttl_seconds": 3600, "values": values})
            )
        })
        .collect();
    go(peer, db, false, &["commit-batch"])
        .stdin(lines)
        .run()
        .success();
    tokens
}

#[test]
fn go_app_with_hash_token_in_store_finds_every_session_after_stop_and_switch() {
    let Some(peer) = go_store_peer() else { return };
    let db = crate::seed::fresh();
    let tokens = go_sessions(peer, &db, 300);
    let before = go_find(peer, &db, false, &tokens);
    let rows = crate::seed::count(&db);
    migrate(&db, "sessions", &["--batch-pages", "2"]).success();
    let after = go_find(peer, &db, true, &tokens);
    assert_eq!(
        before, after,
        "same values and deadlines, found by the same cookies"
    );
    assert_eq!(crate::seed::count(&db), rows);
}

#[test]
fn go_apps_find_sessions_throughout_the_rolling_way() {
    let Some(peer) = go_store_peer() else { return };
    let db = crate::seed::fresh();
    let tokens = go_sessions(peer, &db, 200);
    let before = go_find(peer, &db, false, &tokens);
    migrate(&db, "sessions", &["--copy"]).success();
    assert_eq!(crate::seed::count(&db), 400, "one twin per live session");
    // During the rollout both apps find every session, with the same values.
    assert_eq!(go_find(peer, &db, false, &tokens), before);
    assert_eq!(go_find(peer, &db, true, &tokens), before);
    // An old instance changes session 0; a new one changes session 1.
    let commit = |hashed: bool, token: &str, values: Json| {
        go(
            peer,
            &db,
            hashed,
            &["commit", token, "3600", &values.to_string()],
        )
        .run()
        .success();
    };
    commit(
        false,
        &tokens[0],
        json!({"userID": 0, "cart": "old instance"}),
    );
    commit(
        true,
        &tokens[1],
        json!({"userID": 1, "cart": "new instance"}),
    );
    migrate(&db, "sessions", &["--finish"]).success();
    assert_eq!(crate::seed::count(&db), 200);
    let after = go_find(peer, &db, true, &tokens);
    assert_eq!(after[2..], before[2..]);
    assert_eq!(after[0]["values"]["cart"]["value"], "old instance");
    assert_eq!(after[1]["values"]["cart"]["value"], "new instance");
    // The app without hashing finds none of them now.
    let out = go(peer, &db, false, &["find", &tokens[5]]).run();
    out.code(3);
}

#[test]
fn copy_gives_a_twin_to_sessions_the_app_moves_while_it_runs() {
    let db = table_with(Shape::Plain, 8_000);
    let run = start_slowly(&db, &["--copy"], 5);
    // The raw app rewrites sessions the copy has not reached yet: their new versions go to
    // pages past the end the copy recorded when it began.
    db.psql(
        "UPDATE m.sessions SET data = data || decode(repeat('ee', 200), 'hex') \
         WHERE token IN (SELECT token FROM orig WHERE expiry > now() ORDER BY token LIMIT 500)",
    );
    let out = run.wait_with_output(Duration::from_secs(120));
    out.success();
    let missing = one(
        &db,
        &format!(
            "SELECT count(*) FROM m.sessions r WHERE r.expiry > now() AND r.token IN \
               (SELECT token FROM orig) \
             AND NOT EXISTS (SELECT 1 FROM m.sessions t WHERE t.token = {} AND t.data = r.data)",
            h("r.token")
        ),
    );
    let moved = one(
        &db,
        "SELECT count(*) FROM m.sessions r JOIN orig o USING (token) WHERE r.data <> o.data",
    );
    // A row rewritten after the copy passed it has a twin with the older data (--finish
    // carries the newer over); none is without a twin at all.
    let without = one(
        &db,
        &format!(
            "SELECT count(*) FROM orig o WHERE o.expiry > now() AND NOT EXISTS \
             (SELECT 1 FROM m.sessions t WHERE t.token = {})",
            h("o.token")
        ),
    );
    assert_eq!(
        without, 0,
        "live sessions without a twin ({missing} with older data, {moved} moved)"
    );
    migrate_json(&db, "m.sessions", &["--finish"]);
    let stale = one(
        &db,
        &format!(
            "SELECT count(*) FROM m.sessions t JOIN orig o ON t.token = {} \
             WHERE o.expiry > now() AND o.token IN (SELECT token FROM orig WHERE expiry > now() \
               ORDER BY token LIMIT 500) AND octet_length(t.data) <> octet_length(o.data) + 200",
            h("o.token")
        ),
    );
    assert_eq!(stale, 0, "the app's rewrite reached every twin");
}

#[test]
fn copy_leaves_a_twin_a_hashing_app_wrote_while_the_batch_ran() {
    // A hashing instance, started too early (the README says not to), writes session X's
    // hashed row while --copy's batch is inserting X's twin: the batch waits on the app's
    // transaction, fails with a unique violation when it commits, is rolled back whole and
    // retried, and then leaves the app's row as it is. (The app's row itself looks like a raw
    // token, so it gets a twin too: the reason the README says not to.)
    let db = table_with(Shape::Plain, 300);
    let x: String = db
        .client()
        .query_one(
            "SELECT token FROM m.sessions WHERE expiry > now() ORDER BY token LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    let mut app = db.client();
    app.batch_execute("BEGIN").unwrap();
    app.execute(
        &format!(
            "INSERT INTO m.sessions VALUES ({}, '\\x0b', now() + interval '2 hours')",
            h("$1::text")
        ),
        &[&x],
    )
    .unwrap();
    let run = Scsctl::new()
        .db(&db)
        .args(["-t", "m.sessions", "-o", "json", "migrate", "hash-tokens"])
        .args(["--copy", "--lock-timeout", "60s"])
        .spawn();
    assert!(
        wait_until(Duration::from_secs(60), || one(
            &db,
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND query LIKE '%scsctl_token_migration_batches%'"
        ) == 1),
        "the copy never waited on the app's row: {}",
        run.stderr_so_far()
    );
    app.batch_execute("COMMIT").unwrap();
    let out = run.wait_with_output(Duration::from_secs(60));
    out.success();
    let doc = out.json();
    assert!(doc["retries"].as_i64().unwrap() >= 1, "{doc}");
    let without = one(
        &db,
        &format!(
            "SELECT count(*) FROM orig o WHERE o.expiry > now() AND \
             (SELECT count(*) FROM m.sessions t WHERE t.token = {}) <> 1",
            h("o.token")
        ),
    );
    assert_eq!(without, 0, "every live session has one twin: {doc}");
    let kept = one(
        &db,
        &format!(
            "SELECT count(*) FROM m.sessions t JOIN orig o ON t.token = {} \
             WHERE o.token = '{x}' AND t.data = '\\x0b'",
            h("o.token")
        ),
    );
    assert_eq!(kept, 1, "the app's write is kept");
}

#[test]
fn migrations_work_through_pgbouncer_run_after_run_and_leave_nothing_behind() {
    // Behind a pooler in transaction mode a session lock or SET would stay on a server
    // connection for the next client (the app's commits would turn asynchronous, and the lock
    // would refuse every later migration). Two pooled connections, so that a run and the next
    // get different ones; another client checks between the runs.
    use crate::pgbouncer::{poison_pool, settings, through};
    let c = cluster();
    let switch = table_with(Shape::Plain, 2_000);
    let rolling = table_with(Shape::Hash(4, crate::shapes::Index::Parent), 2_000);
    for db in [&switch, &rolling] {
        let Some(bouncer) = crate::support::PgBouncer::start(c, 2, &[]) else {
            return;
        };
        let url = through(&bouncer, db);
        let _poison = poison_pool(&url, 2);
        let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let clean = settings(&mut other);
        let run = |args: &[&str]| {
            Scsctl::new()
                .arg("-d")
                .arg(&url)
                .args([
                    "-t",
                    "m.sessions",
                    "-v",
                    "migrate",
                    "hash-tokens",
                    "--batch-pages",
                    "3",
                ])
                .args(args)
                .run()
        };
        let ways: &[&[&str]] = if std::ptr::eq(db, &switch) {
            &[&[]]
        } else {
            &[&["--copy"], &["--finish"]]
        };
        for way in ways {
            let out = run(way);
            out.success();
            assert!(
                out.stderr.contains("per batch"),
                "the run says it locks per batch: {}",
                out.stderr
            );
            for _ in 0..4 {
                assert_eq!(settings(&mut other), clean, "{way:?} left state behind");
            }
        }
        let filter = if std::ptr::eq(db, &switch) {
            "true"
        } else {
            "o.expiry > now()"
        };
        assert_hashed_exactly(db, "m.sessions", filter);
        // Run after run: the next run finds nothing left to do, on whichever connection.
        for _ in 0..3 {
            run(&[])
                .success()
                .stdout_contains("already holds hashed tokens");
        }
    }
}

#[test]
fn through_pgbouncer_a_second_run_is_stopped_and_a_moved_record_stops_a_run() {
    // Behind a pooler no lock lasts the whole run, so two things keep a second run from
    // working beside the first: it watches the lock before starting, and every batch checks
    // that the record still holds the cursor this run last wrote.
    use crate::pgbouncer::through;
    let c = cluster();
    // About 1,000 pages: the first run is still at work, a page per batch, while the second
    // one tries.
    let db = table_with(Shape::Plain, 20_000);
    let Some(bouncer) = crate::support::PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let pooled = |extra: &[&str]| {
        Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args([
                "-t",
                "m.sessions",
                "-v",
                "migrate",
                "hash-tokens",
                "--batch-pages",
                "1",
            ])
            .args(extra)
    };
    let first = pooled(&[]).spawn();
    assert!(
        wait_until(Duration::from_secs(60), || first
            .stderr_so_far()
            .matches("scsctl: batch:")
            .count()
            >= 5),
        "{}",
        first.stderr_so_far()
    );
    pooled(&[])
        .run()
        .code(1)
        .stderr_contains("another scsctl migrate hash-tokens is");
    // The record moves under the first run, as another run's batch would move it: the first
    // run's next batch changes nothing and the run stops, saying why. The rows are counted
    // while the record is locked, so no batch of the first run is halfway.
    let mut other = db.client();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "UPDATE m.scsctl_token_migration SET next_page = next_page + 1000 \
         WHERE table_name = 'm.sessions'",
        &[],
    )
    .unwrap();
    let before: i64 = tx
        .query_one(
            "SELECT count(*) FROM m.sessions s JOIN orig USING (token)",
            &[],
        )
        .unwrap()
        .get(0);
    tx.commit().unwrap();
    let out = first.wait_with_output(Duration::from_secs(60));
    out.code(1)
        .stderr_contains("the recorded progress is no longer what this run last wrote");
    let raw_left = one(
        &db,
        "SELECT count(*) FROM m.sessions s JOIN orig USING (token)",
    );
    assert_eq!(
        before, raw_left,
        "no batch changed anything after the record moved"
    );
    db.psql(
        "UPDATE m.scsctl_token_migration SET next_page = next_page - 1000 \
         WHERE table_name = 'm.sessions'",
    );
    Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["-t", "m.sessions", "migrate", "hash-tokens"])
        .run()
        .success();
    assert_hashed_exactly(&db, "m.sessions", "true");
}
