#!/bin/sh
# Seeds the fuzz corpora: every gob fixture (good and bad), and connection strings of each form.
# Run from the repository root:
#   tests/fuzz/seed.sh && cargo +nightly fuzz run gob_decode --fuzz-dir tests/fuzz -- -max_total_time=600
set -eu
corpus=tests/fuzz/corpus/gob_decode
mkdir -p "$corpus"
for f in tests/fixtures/gob/*.gob ../shared/gob-fixtures/*.gob; do
	[ -f "$f" ] || continue
	# The 1 MB fixture only slows the fuzzer down.
	[ "$(wc -c <"$f")" -le 65536 ] || continue
	cp "$f" "$corpus/$(basename "$f")"
done
echo "seeded $(ls "$corpus" | wc -l) inputs into $corpus"

# conninfo: the first line is the password's characters, the rest the connection string.
corpus=tests/fuzz/corpus/conninfo
mkdir -p "$corpus"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf 'secret%s\n%s' "$i" "$line" >"$corpus/seed-$i"
done <<'LINES'
postgres://localhost:5432/app?sslmode=require&connect_timeout=5
postgresql://[::1]:5433,db2.example.com/app?target_session_attrs=read-write
postgres://%2Fvar%2Frun%2Fpostgresql/app?application_name=x
postgres://host/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem&sslcert=c&sslkey=k
host=localhost port=5432 dbname=app user=me sslmode=disable
host=/tmp,db1 port=5432,5433 dbname='my app' user=me connect_timeout=3
host='unterminated dbname=x
service=x options='-c search_path=a\ b'
LINES
echo "seeded $i inputs into $corpus"
