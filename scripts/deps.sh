#!/bin/sh
# Installs the Debian packages xmppd needs to build and test, when run as
# root; otherwise prints the apt-get line to run.  Also creates the
# _xmppd user.  Called by `make run`, `make test` and .ci/run.

set -e
cd "$(dirname "$0")/.."

PKGS="gcc make pkg-config byacc libtls-dev libevent-dev libexpat1-dev
libbsd-dev libseccomp-dev libidn11-dev libssl-dev libsqlite3-dev
libldap-dev libhttp-parser-dev libwslay-dev libpq-dev postgresql mandoc openssl python3 python3-slixmpp slapd ldap-utils
ngircd biboumi libunbound-dev unbound"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

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
