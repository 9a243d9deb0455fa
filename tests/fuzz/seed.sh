#!/bin/sh
# Seeds the fuzz corpus with every fixture (good and bad). Run from the repository root:
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
