#!/bin/sh
# Runs one libFuzzer harness for a bounded time on a copy of its corpus
# (the tree's corpus is only changed by `make merge`) and appends one
# line to WORK/results: executions, coverage (cov: edges, ft: features)
# and the outcome.  Fails on a crash, a leak, a timeout, an out of
# memory or any sanitizer report; the input is kept in WORK.
#
# usage: fuzz.sh name binary corpus work seconds maxlen [flag ...]

set -u
name=$1 bin=$2 corpus=$3 work=$4 secs=$5 maxlen=$6
shift 6

mkdir -p "$work/$name.corpus" "$work/$name.crash"
# Absolute: a process's harness works in a directory of its own.
work=$(cd "$work" && pwd)
cp "$corpus"/* "$work/$name.corpus/" 2>/dev/null
log="$work/$name.log"
echo "fuzz $name: ${secs}s, corpus $corpus ($(ls "$corpus" | wc -l) files)"
"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$name.crash/" "$@" \
    "$work/$name.corpus" >"$log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
if [ $rc -eq 0 ] && ! grep -qE '^(==[0-9]+==ERROR|SUMMARY: )|runtime error:' \
    "$log"; then
	res=ok
else
	res="FAILED (exit $rc; see $log and $work/$name.crash)"
	grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" |
	    head -5
fi
line=$(printf '%-10s execs %-10s cov %-6s ft %-6s %s' "$name" \
    "${execs:-?}" "${cov:-?}" "${ft:-?}" "$res")
echo "$line"
echo "$line" >>"$work/results"
[ "$res" = ok ]
