# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_scsctl_global_optspecs
    string join \n d/database-url= t/table= hashed-tokens o/output= q/quiet v/verbose color= h/help V/version
end

function __fish_scsctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_scsctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_scsctl_using_subcommand
    set -l cmd (__fish_scsctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c scsctl -n "__fish_scsctl_needs_command" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_needs_command" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_needs_command" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_needs_command" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_needs_command" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_needs_command" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_needs_command" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_needs_command" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "init-schema" -d 'Create the sessions table and its expiry index, or check an existing one'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "get" -d 'Show one session, live or expired'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "put" -d 'Create or replace one session'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "delete" -d 'Revoke sessions'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "list" -d 'List sessions, ordered by expiry'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "purge" -d 'Delete expired sessions in short batches'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "watch-cleanup" -d 'Run a foreground daemon that purges expired sessions every interval'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "stats" -d 'Show counts, sizes and vacuum state of the sessions table'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "types" -d 'List the Go type names the sessions hold, with counts, keys and struct fields'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "rename-type" -d 'Rename a registered gob type inside every session that holds it'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "migrate" -d 'Migrate the sessions table (hash-tokens: move it to SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "man" -d 'Write man pages into a directory'
complete -c scsctl -n "__fish_scsctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -l grant -d 'Grant ROLE SELECT, INSERT, UPDATE, DELETE on the table and on each of its partitions (repeatable)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -l partitions -d 'Create the table hash-partitioned by token into N leaf partitions (<TABLE>_p0 …), the expiry index on the parent; an existing table is checked, never converted' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -l dry-run -d 'Print the SQL and change nothing'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand init-schema" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -l registered -d 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -l raw -d 'Write the stored bytes to stdout unchanged'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand get" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l ttl -d 'Expire after this long, e.g. 30m, 24h, 7days' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l expires-at -d 'Expire at this RFC 3339 time' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l set -d 'Set a value, KEY[:TYPE]=VALUE; TYPE: string (default), int, int64, int32, uint, float64, bool, bytes, time. A key containing \':\' needs its type given: \'a:b:string=x\' sets the key a:b' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l data-file -d 'Store the session data from this file (\'-\' for stdin); it must be an SCS session in gob unless --raw is given' -r -F
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l new-token -d 'Make a new token as SCS does (32 random bytes, base64url)'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l raw -d 'With --data-file: store the bytes as they are, even when they are not SCS gob (which the Go app will then fail to decode); without it such data is refused'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l merge -d 'Keep the existing values and set only the given keys, atomically'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand put" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l where -d 'Revoke the sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l registered -d 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l expired -d 'Revoke every expired session (one statement; see purge for large backlogs)'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l dry-run -d 'Count what would be deleted and change nothing'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s y -l yes -d 'Do not ask before deleting many sessions'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l undecodable -d 'Revoke the sessions the app cannot decode (needs --registered)'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l state -d 'Which sessions to show' -r -f -a "live\t'Sessions that have not expired'
expired\t'Expired sessions not yet purged'
all\t'Both'"
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l where -d 'Show only sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l limit -d 'Show at most N sessions' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l registered -d 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l values -d 'Decode and show each session\'s values'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l undecodable -d 'Show only the sessions the app cannot decode (needs --registered)'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand list" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l max-duration -d 'Stop cleanly between batches after this long' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l vacuum-threshold -d 'With --vacuum: how many deleted rows make "many"' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l batch-size -d 'Rows per batch; fixed when given, else adapted to keep each transaction short' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l grace -d 'Keep sessions until they have been expired this long' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l target-batch-time -d 'The longest a batch\'s transaction should take, when sizes adapt' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l lock-timeout -d 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l statement-timeout -d 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l jobs -d 'Connections deleting disjoint slices of the backlog at once' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l lock-mode -d 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)' -r -f -a "auto\t'Session on a direct connection (or with --jobs), else transaction'
session\t'A session-level advisory lock held for the whole run'
transaction\t'A transaction-level advisory lock taken by each batch (behind a transaction pooler)'"
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l scan -d 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)' -r -f -a "auto\t'Blocks for a large backlog, else the index'
index\t'Through the expiry index, the oldest first'
blocks\t'Heap pages in physical order'"
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l dry-run -d 'Count what would be deleted and change nothing'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l vacuum -d 'Run VACUUM (ANALYZE) on the table after a run that deleted many rows (never VACUUM FULL)'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l no-wal-compression -d 'Do not compress the purge\'s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app\'s commits wait far less. Use this if a standby\'s build lacks lz4'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand purge" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l interval -d 'Time between purge passes, e.g. 5m; at least 100ms' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l jitter -d 'Spread passes by up to this percentage of the interval' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l log-format -d 'Log line format on stderr' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l metrics-file -d 'Rewrite this Prometheus textfile after each pass' -r -F
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l max-duration -d 'Stop a pass between batches after this long (the next pass goes on)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l batch-size -d 'Rows per batch; fixed when given, else adapted to keep each transaction short' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l grace -d 'Keep sessions until they have been expired this long' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l target-batch-time -d 'The longest a batch\'s transaction should take, when sizes adapt' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l lock-timeout -d 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l statement-timeout -d 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l jobs -d 'Connections deleting disjoint slices of the backlog at once' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l lock-mode -d 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)' -r -f -a "auto\t'Session on a direct connection (or with --jobs), else transaction'
session\t'A session-level advisory lock held for the whole run'
transaction\t'A transaction-level advisory lock taken by each batch (behind a transaction pooler)'"
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l scan -d 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)' -r -f -a "auto\t'Blocks for a large backlog, else the index'
index\t'Through the expiry index, the oldest first'
blocks\t'Heap pages in physical order'"
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l no-wal-compression -d 'Do not compress the purge\'s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app\'s commits wait far less. Use this if a standby\'s build lacks lz4'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand watch-cleanup" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -l registered -d 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand stats" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -l registered -d 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand types" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -l dry-run -d 'Count what would be renamed and write nothing'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand rename-type" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -f -a "hash-tokens" -d 'Replace raw tokens by their SHA-256 hashes (SCS\'s HashTokenInStore), without logging anyone out; one-way'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and not __fish_seen_subcommand_from hash-tokens help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l batch-pages -d 'Heap pages per batch; fixed when given, else adapted to keep each transaction short' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l target-batch-time -d 'The longest a batch\'s transaction may take, when sizes adapt: batches aim at a quarter of it, and one that runs longer is cancelled, rolled back and retried smaller (a batch of one page too slow for it gets twice the time, up to 30s, with a warning)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l lock-timeout -d 'Roll back a batch that waits this long for a lock, then retry it smaller' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l dry-run -d 'Say what would change and change nothing'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l copy -d 'Rolling, step 1: add the hashed twin of every live session (the app keeps running)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l finish -d 'Rolling, step 3 (after every app instance hashes): remove each raw row whose twin exists'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from hash-tokens" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "hash-tokens" -d 'Replace raw tokens by their SHA-256 hashes (SCS\'s HashTokenInStore), without logging anyone out; one-way'
complete -c scsctl -n "__fish_scsctl_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s d -l database-url -d 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq\'s defaults)' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s t -l table -d 'The sessions table, NAME or SCHEMA.NAME' -r
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s o -l output -d 'Output format: a table for people, JSON or NDJSON for scripts' -r -f -a "table\t'Tables for people'
json\t'One JSON document'
ndjson\t'One JSON object per line, streamed'"
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -l color -d 'When to use colour; NO_COLOR in the environment turns it off' -r -f -a "auto\t'Only on a terminal, and never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -l hashed-tokens -d 'The app stores SHA-256 hashes of tokens (SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s q -l quiet -d 'Print nothing on success'
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s v -l verbose -d 'Say what is being done on stderr (never a password)'
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c scsctl -n "__fish_scsctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "init-schema" -d 'Create the sessions table and its expiry index, or check an existing one'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "get" -d 'Show one session, live or expired'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "put" -d 'Create or replace one session'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "delete" -d 'Revoke sessions'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "list" -d 'List sessions, ordered by expiry'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "purge" -d 'Delete expired sessions in short batches'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "watch-cleanup" -d 'Run a foreground daemon that purges expired sessions every interval'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "stats" -d 'Show counts, sizes and vacuum state of the sessions table'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "types" -d 'List the Go type names the sessions hold, with counts, keys and struct fields'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "rename-type" -d 'Rename a registered gob type inside every session that holds it'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "migrate" -d 'Migrate the sessions table (hash-tokens: move it to SCS\'s HashTokenInStore)'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "completions" -d 'Print shell completions'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "man" -d 'Write man pages into a directory'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and not __fish_seen_subcommand_from init-schema get put delete list purge watch-cleanup stats types rename-type migrate completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c scsctl -n "__fish_scsctl_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "hash-tokens" -d 'Replace raw tokens by their SHA-256 hashes (SCS\'s HashTokenInStore), without logging anyone out; one-way'
