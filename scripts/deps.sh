#!/bin/sh
# Installs the Debian packages xmppd needs to build and test, when run as
# root; otherwise prints the apt-get line to run.  Also creates the
# _xmppd user.  Called by `make run`, `make test` and .ci/run.

set -e
cd "$(dirname "$0")/.."

PKGS="gcc make pkg-config byacc libtls-dev libevent-dev libexpat1-dev
libbsd-dev libseccomp-dev libidn11-dev libssl-dev libsqlite3-dev
libldap-dev libhttp-parser-dev libwslay-dev libpq-dev postgresql mandoc openssl python3 python3-slixmpp slapd ldap-utils
ngircd biboumi libunbound-dev unbound python3-aiohttp chromium clang faketime"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# npm fetches the web client the browser tests run (below); the nodejs
# of some repositories carries it, Debian's is a package of its own.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "xmppd needs these packages; as root, run:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# slapd, ngircd, PostgreSQL and unbound only serve the tests, each
	# from its own directory: no system database, no system daemon.
	echo "slapd slapd/no_configuration boolean true" |
	    debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
	for d in slapd ngircd postgresql unbound; do
		case "$missing " in
		*" $d "*)
			if command -v systemctl >/dev/null 2>&1 &&
			    systemctl is-active -q $d 2>/dev/null; then
				systemctl disable -q --now $d
			fi
			;;
		esac
	done
fi

# `make fuzz` links clang's libFuzzer and sanitizer runtimes, which
# Debian ships apart from clang (only recommended by it): the package of
# the installed clang's major version, libclang-rt-N-dev.
if command -v clang >/dev/null 2>&1; then
	v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	rtpkg="libclang-rt-$v-dev"
	if ! dpkg-query -W -f='${Status}' "$rtpkg" 2>/dev/null |
	    grep -q "install ok installed"; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "make fuzz needs $rtpkg; as root, run:" >&2
			echo "  apt-get install -y $rtpkg" >&2
			exit 1
		fi
		echo "installing: $rtpkg"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    "$rtpkg" >/dev/null
	fi
fi

# The libraries that parse what the network sends: an old version's
# known holes would be xmppd's.  Bring each (with its -dev package, which
# must match) to the distribution's current version, security updates
# included.  The package lists are refreshed when older than a day.
SECURITY="libexpat1 libexpat1-dev libssl3 libssl-dev libldap-2.5-0
libldap-dev libhttp-parser2.9 libhttp-parser-dev libunbound8
libunbound-dev"

outdated=""
if [ "$(id -u)" -eq 0 ]; then
	lists=/var/lib/apt/lists
	if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 \
	    2>/dev/null | head -1)" ]; then
		apt-get update -qq ||
		    echo "deps: apt-get update failed; versions not checked" >&2
	fi
fi
for p in $SECURITY; do
	inst=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null) || continue
	cand=$(apt-cache policy "$p" 2>/dev/null |
	    sed -n 's/^ *Candidate: *//p')
	if [ -n "$cand" ] && [ "$cand" != "(none)" ] &&
	    dpkg --compare-versions "$inst" lt "$cand"; then
		outdated="$outdated $p"
	fi
done
if [ -n "$outdated" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "xmppd needs the current versions of these packages;" \
		    "as root, run:" >&2
		echo "  apt-get install -y --only-upgrade$outdated" >&2
		exit 1
	fi
	echo "upgrading:$outdated"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -qq --only-upgrade $outdated >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
	scripts/user.sh
fi

# Converse.js, the web client the browser test (regress/e2e/
# test_converse.py) serves to Chromium: the release's built files,
# checked against the archive's digest pinned here, so that a changed
# package is refused rather than run.  Its dist/ bundles what it uses;
# its npm dependencies only serve building it and are not fetched.
CONVERSE_VERSION=14.0.0
CONVERSE_SHA512="LFUg030jDalV47vI/vyVPqYPZfJYXFbubq8v0cFDe2zXNeeGEk3Up0Fj\
/WTzT6t+6do+cAIToy73eAj7RNDj2Q=="
CONVERSE_DIR=/usr/local/share/xmppd-test/converse
stamp="converse.js@$CONVERSE_VERSION sha512-$CONVERSE_SHA512"
if [ "$(cat "$CONVERSE_DIR/.package" 2>/dev/null)" != "$stamp" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "the browser test needs Converse.js $CONVERSE_VERSION" \
		    "in $CONVERSE_DIR; as root, run scripts/deps.sh" >&2
		exit 1
	fi
	echo "installing: converse.js@$CONVERSE_VERSION"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent --ignore-scripts \
	    "converse.js@$CONVERSE_VERSION" >/dev/null)
	tgz="$tmp/converse.js-$CONVERSE_VERSION.tgz"
	sum=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
	if [ "$sum" != "$CONVERSE_SHA512" ]; then
		echo "deps: converse.js@$CONVERSE_VERSION: the archive's" \
		    "sha512 is $sum, not the pinned one; not installed" >&2
		exit 1
	fi
	tar -xzf "$tgz" -C "$tmp" package/dist package/LICENSE
	mkdir -p "$(dirname "$CONVERSE_DIR")"
	rm -rf "$CONVERSE_DIR.new" "$CONVERSE_DIR"
	mkdir "$CONVERSE_DIR.new"
	mv "$tmp/package/dist" "$tmp/package/LICENSE" "$CONVERSE_DIR.new/"
	echo "$stamp" >"$CONVERSE_DIR.new/.package"
	mv "$CONVERSE_DIR.new" "$CONVERSE_DIR"
fi
