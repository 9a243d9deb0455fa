
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'scsctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'scsctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'scsctl' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init-schema', 'init-schema', [CompletionResultType]::ParameterValue, 'Create the sessions table and its expiry index, or check an existing one')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one session, live or expired')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Create or replace one session')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Revoke sessions')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, ordered by expiry')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete expired sessions in short batches')
            [CompletionResult]::new('watch-cleanup', 'watch-cleanup', [CompletionResultType]::ParameterValue, 'Run a foreground daemon that purges expired sessions every interval')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Show counts, sizes and vacuum state of the sessions table')
            [CompletionResult]::new('types', 'types', [CompletionResultType]::ParameterValue, 'List the Go type names the sessions hold, with counts, keys and struct fields')
            [CompletionResult]::new('rename-type', 'rename-type', [CompletionResultType]::ParameterValue, 'Rename a registered gob type inside every session that holds it')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate the sessions table (hash-tokens: move it to SCS''s HashTokenInStore)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'scsctl;init-schema' {
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Grant ROLE SELECT, INSERT, UPDATE, DELETE on the table and on each of its partitions (repeatable)')
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Create the table hash-partitioned by token into N leaf partitions (<TABLE>_p0 …), the expiry index on the parent; an existing table is checked, never converted')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL and change nothing')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;get' {
            [CompletionResult]::new('--registered', '--registered', [CompletionResultType]::ParameterName, 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Write the stored bytes to stdout unchanged')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;put' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Expire after this long, e.g. 30m, 24h, 7days')
            [CompletionResult]::new('--expires-at', '--expires-at', [CompletionResultType]::ParameterName, 'Expire at this RFC 3339 time')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a value, KEY[:TYPE]=VALUE; TYPE: string (default), int, int64, int32, uint, float64, bool, bytes, time. A key containing '':'' needs its type given: ''a:b:string=x'' sets the key a:b')
            [CompletionResult]::new('--data-file', '--data-file', [CompletionResultType]::ParameterName, 'Store the session data from this file (''-'' for stdin); it must be an SCS session in gob unless --raw is given')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--new-token', '--new-token', [CompletionResultType]::ParameterName, 'Make a new token as SCS does (32 random bytes, base64url)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'With --data-file: store the bytes as they are, even when they are not SCS gob (which the Go app will then fail to decode); without it such data is refused')
            [CompletionResult]::new('--merge', '--merge', [CompletionResultType]::ParameterName, 'Keep the existing values and set only the given keys, atomically')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;delete' {
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Revoke the sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)')
            [CompletionResult]::new('--registered', '--registered', [CompletionResultType]::ParameterName, 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Revoke every expired session (one statement; see purge for large backlogs)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count what would be deleted and change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before deleting many sessions')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before deleting many sessions')
            [CompletionResult]::new('--undecodable', '--undecodable', [CompletionResultType]::ParameterName, 'Revoke the sessions the app cannot decode (needs --registered)')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;list' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Which sessions to show')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Show only sessions whose values match KEY[:TYPE]=VALUE (repeatable; all must match)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N sessions')
            [CompletionResult]::new('--registered', '--registered', [CompletionResultType]::ParameterName, 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--values', '--values', [CompletionResultType]::ParameterName, 'Decode and show each session''s values')
            [CompletionResult]::new('--undecodable', '--undecodable', [CompletionResultType]::ParameterName, 'Show only the sessions the app cannot decode (needs --registered)')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;purge' {
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop cleanly between batches after this long')
            [CompletionResult]::new('--vacuum-threshold', '--vacuum-threshold', [CompletionResultType]::ParameterName, 'With --vacuum: how many deleted rows make "many"')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Rows per batch; fixed when given, else adapted to keep each transaction short')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep sessions until they have been expired this long')
            [CompletionResult]::new('--target-batch-time', '--target-batch-time', [CompletionResultType]::ParameterName, 'The longest a batch''s transaction should take, when sizes adapt')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller')
            [CompletionResult]::new('--statement-timeout', '--statement-timeout', [CompletionResultType]::ParameterName, 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Connections deleting disjoint slices of the backlog at once')
            [CompletionResult]::new('--lock-mode', '--lock-mode', [CompletionResultType]::ParameterName, 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)')
            [CompletionResult]::new('--scan', '--scan', [CompletionResultType]::ParameterName, 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count what would be deleted and change nothing')
            [CompletionResult]::new('--vacuum', '--vacuum', [CompletionResultType]::ParameterName, 'Run VACUUM (ANALYZE) on the table after a run that deleted many rows (never VACUUM FULL)')
            [CompletionResult]::new('--no-wal-compression', '--no-wal-compression', [CompletionResultType]::ParameterName, 'Do not compress the purge''s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app''s commits wait far less. Use this if a standby''s build lacks lz4')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;watch-cleanup' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between purge passes, e.g. 5m; at least 100ms')
            [CompletionResult]::new('--jitter', '--jitter', [CompletionResultType]::ParameterName, 'Spread passes by up to this percentage of the interval')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log line format on stderr')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'Rewrite this Prometheus textfile after each pass')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop a pass between batches after this long (the next pass goes on)')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Rows per batch; fixed when given, else adapted to keep each transaction short')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Keep sessions until they have been expired this long')
            [CompletionResult]::new('--target-batch-time', '--target-batch-time', [CompletionResultType]::ParameterName, 'The longest a batch''s transaction should take, when sizes adapt')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Roll back a batch that waits this long for a lock (lock_timeout), then retry it smaller')
            [CompletionResult]::new('--statement-timeout', '--statement-timeout', [CompletionResultType]::ParameterName, 'Roll back a batch that runs this long (statement_timeout) [default: 10 × the target batch time, at least 1s; 30s with --batch-size]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Connections deleting disjoint slices of the backlog at once')
            [CompletionResult]::new('--lock-mode', '--lock-mode', [CompletionResultType]::ParameterName, 'How the one-cleaner-per-table lock is held: `session` (held for the run; direct connections and session-mode poolers), `transaction` (taken by each batch, nothing left on the server connection; for PgBouncer in transaction mode) or `auto` (session when the server listens on the port dialed or --jobs is above 1, else transaction)')
            [CompletionResult]::new('--scan', '--scan', [CompletionResultType]::ParameterName, 'How expired rows are found, per table or partition: `index` (the oldest first, through the expiry index), `blocks` (heap pages in order, for a large backlog or a table without an expiry index) or `auto` (blocks where no index is led by expiry or a sample of the pages finds a fifth or more expired; index with --batch-size)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--no-wal-compression', '--no-wal-compression', [CompletionResultType]::ParameterName, 'Do not compress the purge''s WAL. By default batches set wal_compression = lz4 for their own session when the role may (superuser, or GRANT SET ON PARAMETER wal_compression): a quarter of the WAL, so the app''s commits wait far less. Use this if a standby''s build lacks lz4')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;stats' {
            [CompletionResult]::new('--registered', '--registered', [CompletionResultType]::ParameterName, 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;types' {
            [CompletionResult]::new('--registered', '--registered', [CompletionResultType]::ParameterName, 'The type names the app registers with gob: NAMES comma-separated, or @FILE with one per line; the 34 names Go registers itself are implied')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;rename-type' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count what would be renamed and write nothing')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;migrate' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('hash-tokens', 'hash-tokens', [CompletionResultType]::ParameterValue, 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'scsctl;migrate;hash-tokens' {
            [CompletionResult]::new('--batch-pages', '--batch-pages', [CompletionResultType]::ParameterName, 'Heap pages per batch; fixed when given, else adapted to keep each transaction short')
            [CompletionResult]::new('--target-batch-time', '--target-batch-time', [CompletionResultType]::ParameterName, 'The longest a batch''s transaction may take, when sizes adapt: batches aim at a quarter of it, and one that runs longer is cancelled, rolled back and retried smaller (a batch of one page too slow for it gets twice the time, up to 30s, with a warning)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Roll back a batch that waits this long for a lock, then retry it smaller')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would change and change nothing')
            [CompletionResult]::new('--copy', '--copy', [CompletionResultType]::ParameterName, 'Rolling, step 1: add the hashed twin of every live session (the app keeps running)')
            [CompletionResult]::new('--finish', '--finish', [CompletionResultType]::ParameterName, 'Rolling, step 3 (after every app instance hashes): remove each raw row whose twin exists')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;migrate;help' {
            [CompletionResult]::new('hash-tokens', 'hash-tokens', [CompletionResultType]::ParameterValue, 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'scsctl;migrate;help;hash-tokens' {
            break
        }
        'scsctl;migrate;help;help' {
            break
        }
        'scsctl;completions' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;man' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'postgres:// URL or libpq key=value conninfo (default: the PG* environment and libpq''s defaults)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The sessions table, NAME or SCHEMA.NAME')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people, JSON or NDJSON for scripts')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; NO_COLOR in the environment turns it off')
            [CompletionResult]::new('--hashed-tokens', '--hashed-tokens', [CompletionResultType]::ParameterName, 'The app stores SHA-256 hashes of tokens (SCS''s HashTokenInStore)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is being done on stderr (never a password)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'scsctl;help' {
            [CompletionResult]::new('init-schema', 'init-schema', [CompletionResultType]::ParameterValue, 'Create the sessions table and its expiry index, or check an existing one')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one session, live or expired')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Create or replace one session')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Revoke sessions')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List sessions, ordered by expiry')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete expired sessions in short batches')
            [CompletionResult]::new('watch-cleanup', 'watch-cleanup', [CompletionResultType]::ParameterValue, 'Run a foreground daemon that purges expired sessions every interval')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Show counts, sizes and vacuum state of the sessions table')
            [CompletionResult]::new('types', 'types', [CompletionResultType]::ParameterValue, 'List the Go type names the sessions hold, with counts, keys and struct fields')
            [CompletionResult]::new('rename-type', 'rename-type', [CompletionResultType]::ParameterValue, 'Rename a registered gob type inside every session that holds it')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate the sessions table (hash-tokens: move it to SCS''s HashTokenInStore)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'scsctl;help;init-schema' {
            break
        }
        'scsctl;help;get' {
            break
        }
        'scsctl;help;put' {
            break
        }
        'scsctl;help;delete' {
            break
        }
        'scsctl;help;list' {
            break
        }
        'scsctl;help;purge' {
            break
        }
        'scsctl;help;watch-cleanup' {
            break
        }
        'scsctl;help;stats' {
            break
        }
        'scsctl;help;types' {
            break
        }
        'scsctl;help;rename-type' {
            break
        }
        'scsctl;help;migrate' {
            [CompletionResult]::new('hash-tokens', 'hash-tokens', [CompletionResultType]::ParameterValue, 'Replace raw tokens by their SHA-256 hashes (SCS''s HashTokenInStore), without logging anyone out; one-way')
            break
        }
        'scsctl;help;migrate;hash-tokens' {
            break
        }
        'scsctl;help;completions' {
            break
        }
        'scsctl;help;man' {
            break
        }
        'scsctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
