#!/bin/sh
# Minimises a corpus in the tree (-merge=1): the named inputs stay (the
# seeds, and crash-* for the bugs found), and of the others, those a
# run found (in WORK) included, only what adds coverage to them.
#
# usage: merge.sh binary corpus maxlen [found-dir]

set -eu
bin=$1 corpus=$2 maxlen=$3
found=${4:-}
new=$(mktemp -d) old=$(mktemp -d)
trap 'rm -rf "$new" "$old" "$new.log"' EXIT
for f in "$corpus"/*; do
	case ${f##*/} in
	????????????????????????????????????????)
		mv "$f" "$old/" ;;	# a SHA-1: found by a run
	*)	cp "$f" "$new/" ;;
	esac
done
if ! "$bin" -merge=1 -max_len="$maxlen" "$new" "$old" $found \
    >"$new.log" 2>&1; then
	cat "$new.log"
	mv "$old"/* "$corpus"/ 2>/dev/null || true
	exit 1
fi
rm -f "$corpus"/*
cp "$new"/* "$corpus"/
echo "$corpus: $(ls "$corpus" | wc -l) files"
