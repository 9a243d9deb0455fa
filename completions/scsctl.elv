
use builtin;
use str;

set edit:completion:arg-completer[scsctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'scsctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'scsctl'= {
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init-schema 'Create the sessions table and its expiry index, or check an existing one'
            cand get 'Show one session, live or expired'
            cand put 'Create or replace one session'
            cand delete 'Revoke sessions'
            cand list 'List sessions, ordered by expiry'
            cand purge 'Delete expired sessions in short batches'
            cand watch-cleanup 'Run a foreground daemon that purges expired sessions every interval'
            cand stats 'Show counts, sizes and vacuum state of the sessions table'
            cand types 'List the Go type names the sessions hold, with counts, keys and struct fields'
            cand rename-type 'Rename a registered gob type inside every session that holds it'
            cand migrate 'Migrate the sessions table (hash-tokens: move it to SCS''s HashTokenInStore)'
            cand completions 'Print shell completions'
            cand man 'Write man pages into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'scsctl;init-schema'= {
            cand --grant 'Grant ROLE SELECT, INSERT, UPDATE, DELETE on the table and on each of its partitions (repeatable)'
            cand --partitions 'Create the table hash-partitioned by token into N leaf partitions (<TABLE>_p0 …), the expiry index on the parent; an existing table is checked, never converted'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --dry-run 'Print the SQL and change nothing'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;get'= {
            cand --registered 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --raw 'Write the stored bytes to stdout unchanged'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;put'= {
            cand --ttl 'Expire after this long, e.g. 30m, 24h, 7days'
            cand --expires-at 'Expire at this RFC 3339 time'
            cand --set 'Set a value, KEY[:TYPE]=VALUE; TYPE: string (default), int, int64, int32, uint, float64, bool, bytes, time. A key containing '':'' needs its type given: ''a:b:string=x'' sets the key a:b'
            cand --data-file 'Store the session data from this file (''-'' for stdin); it must be an SCS session in gob unless --raw is given'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --new-token 'Make a new token as SCS does (32 random bytes, base64url)'
            cand --raw 'With --data-file: store the bytes as they are, even when they are not SCS gob (which the Go app will then fail to decode); without it such data is refused'
            cand --merge 'Keep the existing values and set only the given keys, atomically'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;delete'= {
            cand --where 'Revoke the sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)'
            cand --registered 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --expired 'Revoke every expired session (one statement; see purge for large backlogs)'
            cand --dry-run 'Count what would be deleted and change nothing'
            cand -y 'Do not ask before deleting many sessions'
            cand --yes 'Do not ask before deleting many sessions'
            cand --undecodable 'Revoke the sessions the app cannot decode (needs --registered)'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;list'= {
            cand --state 'Which sessions to show'
            cand --where 'Show only sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)'
            cand --limit 'Show at most N sessions'
            cand --registered 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --values 'Decode and show each session''s values'
            cand --undecodable 'Show only the sessions the app cannot decode (needs --registered)'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;purge'= {
            cand --max-duration 'Stop cleanly between batches after this long'
            cand --vacuum-threshold 'With --vacuum: how many deleted rows make "many"'
            cand --batch-size 'Rows per batch; fixed when given, else adapted to keep each transaction short'
            cand --grace 'Keep sessions until they have been expired this long'
            cand --target-batch-time 'The longest a batch''s transaction should take, when sizes adapt'
            cand --lock-timeout 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller'
            cand --statement-timeout 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]'
            cand --jobs 'Connections deleting disjoint slices of the backlog at once'
            cand --lock-mode 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)'
            cand --scan 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --dry-run 'Count what would be deleted and change nothing'
            cand --vacuum 'Run VACUUM (ANALYZE) on the table after a run that deleted many rows (never VACUUM FULL)'
            cand --no-wal-compression 'Do not compress the purge''s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app''s commits wait far less. Use this if a standby''s build lacks lz4'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;watch-cleanup'= {
            cand --interval 'Time between purge passes, e.g. 5m; at least 100ms'
            cand --jitter 'Spread passes by up to this percentage of the interval'
            cand --log-format 'Log line format on stderr'
            cand --metrics-file 'Rewrite this Prometheus textfile after each pass'
            cand --max-duration 'Stop a pass between batches after this long (the next pass goes on)'
            cand --batch-size 'Rows per batch; fixed when given, else adapted to keep each transaction short'
            cand --grace 'Keep sessions until they have been expired this long'
            cand --target-batch-time 'The longest a batch''s transaction should take, when sizes adapt'
            cand --lock-timeout 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller'
            cand --statement-timeout 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]'
            cand --jobs 'Connections deleting disjoint slices of the backlog at once'
            cand --lock-mode 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)'
            cand --scan 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --no-wal-compression 'Do not compress the purge''s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app''s commits wait far less. Use this if a standby''s build lacks lz4'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;stats'= {
            cand --registered 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;types'= {
            cand --registered 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;rename-type'= {
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --dry-run 'Count what would be renamed and write nothing'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;migrate'= {
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand hash-tokens 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'scsctl;migrate;hash-tokens'= {
            cand --batch-pages 'Heap pages per batch; fixed when given, else adapted to keep each transaction short'
            cand --target-batch-time 'The longest a batch''s transaction may take, when sizes adapt: batches aim at a quarter of it, and one that runs longer is cancelled, rolled back and retried smaller (a batch of one page too slow for it gets twice the time, up to 30s, with a warning)'
            cand --lock-timeout 'Roll back a batch that waits this long for a lock, then retry it smaller'
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --dry-run 'Say what would change and change nothing'
            cand --copy 'Rolling, step 1: add the hashed twin of every live session (the app keeps running)'
            cand --finish 'Rolling, step 3 (after every app instance hashes): remove each raw row whose twin exists'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;migrate;help'= {
            cand hash-tokens 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'scsctl;migrate;help;hash-tokens'= {
        }
        &'scsctl;migrate;help;help'= {
        }
        &'scsctl;completions'= {
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;man'= {
            cand -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand --database-url 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)'
            cand -t 'The sessions table, NAME or SCHEMA.NAME'
            cand --table 'The sessions table, NAME or SCHEMA.NAME'
            cand -o 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --output 'Output format: a table for people, JSON or NDJSON for scripts'
            cand --color 'When to use colour; NO_COLOR in the environment turns it off'
            cand --hashed-tokens 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say what is being done on stderr (never a password)'
            cand --verbose 'Say what is being done on stderr (never a password)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'scsctl;help'= {
            cand init-schema 'Create the sessions table and its expiry index, or check an existing one'
            cand get 'Show one session, live or expired'
            cand put 'Create or replace one session'
            cand delete 'Revoke sessions'
            cand list 'List sessions, ordered by expiry'
            cand purge 'Delete expired sessions in short batches'
            cand watch-cleanup 'Run a foreground daemon that purges expired sessions every interval'
            cand stats 'Show counts, sizes and vacuum state of the sessions table'
            cand types 'List the Go type names the sessions hold, with counts, keys and struct fields'
            cand rename-type 'Rename a registered gob type inside every session that holds it'
            cand migrate 'Migrate the sessions table (hash-tokens: move it to SCS''s HashTokenInStore)'
            cand completions 'Print shell completions'
            cand man 'Write man pages into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'scsctl;help;init-schema'= {
        }
        &'scsctl;help;get'= {
        }
        &'scsctl;help;put'= {
        }
        &'scsctl;help;delete'= {
        }
        &'scsctl;help;list'= {
        }
        &'scsctl;help;purge'= {
        }
        &'scsctl;help;watch-cleanup'= {
        }
        &'scsctl;help;stats'= {
        }
        &'scsctl;help;types'= {
        }
        &'scsctl;help;rename-type'= {
        }
        &'scsctl;help;migrate'= {
            cand hash-tokens 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way'
        }
        &'scsctl;help;migrate;hash-tokens'= {
        }
        &'scsctl;help;completions'= {
        }
        &'scsctl;help;man'= {
        }
        &'scsctl;help;help'= {
        }
    ]
    $completions[$command]
}
