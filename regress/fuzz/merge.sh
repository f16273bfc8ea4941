#!/bin/sh
# Minimises a corpus in the tree: keeps the smallest set of its files
# (and of those a run found, in WORK) that reaches the same coverage.
#
# usage: merge.sh binary corpus maxlen [found-dir]

set -eu
bin=$1 corpus=$2 maxlen=$3
found=${4:-}
new=$(mktemp -d)
trap 'rm -rf "$new"' EXIT
"$bin" -merge=1 -max_len="$maxlen" "$new" "$corpus" $found \
    >"$new.log" 2>&1 || { cat "$new.log"; rm -f "$new.log"; exit 1; }
rm -f "$new.log"
# Regression inputs (crash-*) stay whatever their coverage.
mkdir -p "$new/keep"
for f in "$corpus"/crash-*; do
	[ -e "$f" ] && cp "$f" "$new/keep/"
done
rm -f "$corpus"/*
find "$new" -type f -exec cp {} "$corpus"/ \;
echo "$corpus: $(ls "$corpus" | wc -l) files"
