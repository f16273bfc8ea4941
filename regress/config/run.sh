#!/bin/sh
#
# Configuration tests for xmppd.conf(5): regress/config/run.sh XMPPD
#
# good/NAME.conf must pass "xmppd -n", print good/NAME.out with -nn (plus
# the arguments in good/NAME.args, if any), and that output must parse
# back to itself.  bad/NAME.conf must fail with every "# expect: TEXT"
# line found in stderr, and none of its "# absent: TEXT" lines.  A
# "# mode: MODE" line sets the file's mode (git keeps none); any other
# file is made 0600, as files with passwords must be.  Set REGEN=1 to rewrite the .out files from the output.
# Prints one TAP line per check; exits 1 if one failed.

if [ $# -ne 1 ]; then
	echo "usage: $0 xmppd-binary" >&2
	exit 2
fi
case $1 in
/*)	XMPPD=$1 ;;
*)	XMPPD=$(pwd)/$1 ;;
esac
if [ ! -x "$XMPPD" ]; then
	echo "$0: $XMPPD: not an executable" >&2
	exit 2
fi
cd "$(dirname "$0")" || exit 2
ETC=../../etc/xmppd.conf

TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
umask 077

n=0
failed=0

pass() {
	n=$((n + 1))
	echo "ok $n - $*"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}

# Show a file as TAP comments.
show() {
	sed 's/^/#   /' "$1"
}

for f in good/*.conf good/*.inc bad/*.conf bad/*.inc $ETC; do
	[ -f "$f" ] || continue
	mode=$(sed -n 's/^# mode: \([0-7]*\).*/\1/p' "$f" | head -n 1)
	chmod "${mode:-0600}" "$f"
done

# xmppd -n reads the certificates, keys and CA files a configuration
# names.  Those of the good files are made here, under $FILES, where the
# regress build looks for them (XMPPD_REGRESS_FILES): one key and one
# certificate that names every domain and service of the files.
FILES=$TMP/files
names=$({ sed -n 's/^[[:space:]]*\(domain\|muc\|upload\) "\([^"]*\)".*/\2/p' \
    good/*.conf good/*.inc $ETC; sed 's/-D [^=]*=//g' good/*.args |
    tr ' ' '\n'; } | tr 'A-Z' 'a-z' | grep . | sort -u |
    sed 's/^/DNS:/' | paste -s -d, -)
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 30 -subj /CN=xmppd-regress -addext \
    "subjectAltName=$names" -keyout "$TMP/key.pem" -out "$TMP/crt.pem" \
    >"$TMP/err" 2>&1; then
	show "$TMP/err"
	echo "$0: cannot make the test certificate" >&2
	exit 2
fi
cat "$TMP/key.pem" "$TMP/crt.pem" >"$TMP/pair.pem"
grep -hE '(certificate|key|ca|_ca =) "/' good/*.conf good/*.inc $ETC |
    grep -o '"/[^"]*\(\\"[^"]*\)*"' | sed 's/^"//; s/"$//; s/\\\(.\)/\1/g' |
    sort -u | while IFS= read -r path; do
	mkdir -p "$FILES$(dirname "$path")" &&
	    cp "$TMP/pair.pem" "$FILES$path"
done
XMPPD_REGRESS_FILES=$FILES
export XMPPD_REGRESS_FILES

# good_case NAME FILE: -nn output, -n verdict and round trip.
good_case() {
	name=$1
	file=$2
	args=
	[ -f "good/$name.args" ] && args=$(cat "good/$name.args")
	# shellcheck disable=SC2086
	"$XMPPD" -nn $args -f "$file" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ -n "$REGEN" ] && [ $rc -eq 0 ]; then
		cp "$TMP/out" "good/$name.out"
		chmod 0644 "good/$name.out"
	fi
	if [ $rc -ne 0 ]; then
		fail "good $name: -nn exits $rc"
		show "$TMP/err"
		return
	elif ! diff -u "good/$name.out" "$TMP/out" >"$TMP/diff" 2>&1; then
		fail "good $name: -nn differs from good/$name.out"
		show "$TMP/diff"
	else
		pass "good $name: -nn prints good/$name.out"
	fi

	# shellcheck disable=SC2086
	"$XMPPD" -n $args -f "$file" >"$TMP/nout" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$TMP/nout" ] &&
	    grep -qx 'configuration OK' "$TMP/err"; then
		pass "good $name: -n says configuration OK"
	else
		fail "good $name: -n exits $rc without configuration OK"
		show "$TMP/err"
	fi

	cp "$TMP/out" "$TMP/again.conf"
	"$XMPPD" -nn -f "$TMP/again.conf" >"$TMP/again" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/again"; then
		pass "good $name: -nn output parses back to itself"
	else
		fail "good $name: round trip (exit $rc)"
		show "$TMP/err"
		diff -u "$TMP/out" "$TMP/again" >"$TMP/diff" 2>&1
		show "$TMP/diff"
	fi
}

# bad_case NAME: fails, with every expected message.
bad_case() {
	name=$1
	file=bad/$name.conf
	"$XMPPD" -n -f "$file" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	sed -n 's/^# expect: //p' "$file" >"$TMP/expect"
	if [ ! -s "$TMP/expect" ]; then
		fail "bad $name: no '# expect:' line"
		return
	fi
	missing=
	while IFS= read -r want; do
		grep -qF -- "$want" "$TMP/err" || missing="$missing[$want] "
	done <"$TMP/expect"
	sed -n 's/^# absent: //p' "$file" >"$TMP/absent"
	while IFS= read -r unwanted; do
		grep -qF -- "$unwanted" "$TMP/err" &&
		    missing="$missing[not: $unwanted] "
	done <"$TMP/absent"
	if [ $rc -eq 0 ]; then
		fail "bad $name: accepted"
	elif grep -q 'configuration OK' "$TMP/err"; then
		fail "bad $name: exits $rc but says configuration OK"
	elif [ -n "$missing" ]; then
		fail "bad $name: missing $missing"
		show "$TMP/err"
	else
		pass "bad $name: $(head -n 1 "$TMP/expect")"
	fi
}

for f in good/*.conf; do
	name=$(basename "$f" .conf)
	good_case "$name" "$f"
done
good_case etc-xmppd "$ETC"

for f in bad/*.conf; do
	bad_case "$(basename "$f" .conf)"
done

# The password rule: a readable copy of a good file with a password fails.
cp good/design.conf "$TMP/readable.conf"
chmod 0644 "$TMP/readable.conf"
line=$(grep -n 'password \$ldap_password' good/design.conf | cut -d: -f1)
"$XMPPD" -n -f "$TMP/readable.conf" >/dev/null 2>"$TMP/err"
if [ $? -ne 0 ] &&
    grep -q "readable.conf:$line: .*holds a password" "$TMP/err"; then
	pass "secrecy: a group-readable file with a password is refused"
else
	fail "secrecy: a group-readable file with a password is accepted"
	show "$TMP/err"
fi
chmod 0600 "$TMP/readable.conf"
if "$XMPPD" -n -f "$TMP/readable.conf" >/dev/null 2>&1; then
	pass "secrecy: the same file with mode 0600 passes"
else
	fail "secrecy: the same file with mode 0600 fails"
fi

# -D wins over the file, and a bad -D is refused.
"$XMPPD" -nn -D ldap_password=other -f good/design.conf >"$TMP/out" \
    2>"$TMP/err"
if [ $? -eq 0 ] && cmp -s "$TMP/out" good/design.out; then
	pass "-D: overriding a password macro changes nothing printed"
else
	fail "-D: overriding a password macro"
	show "$TMP/err"
fi
if "$XMPPD" -n -D 'no name=x' -f good/empty.conf >/dev/null 2>&1; then
	fail "-D: a macro name with a blank is accepted"
else
	pass "-D: a macro name with a blank is refused"
fi
if "$XMPPD" -n -f "$TMP/nonexistent.conf" >/dev/null 2>"$TMP/err"; then
	fail "a missing configuration file is accepted"
else
	pass "a missing configuration file is refused"
fi

echo "1..$n"
if [ $failed -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
exit 0
