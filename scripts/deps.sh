#!/bin/sh
# Installs the Debian packages xmppd needs to build and test, when run as
# root; otherwise prints the apt-get line to run.  Also creates the
# _xmppd user.  Called by `make run`, `make test` and .ci/run.

set -e
cd "$(dirname "$0")/.."

PKGS="gcc make pkg-config byacc libtls-dev libevent-dev libexpat1-dev
libbsd-dev libseccomp-dev libidn11-dev libssl-dev libsqlite3-dev
libldap-dev mandoc openssl python3 python3-slixmpp slapd ldap-utils"

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
	# slapd only serves the tests, each from its own directory: no
	# system database, no system daemon.
	echo "slapd slapd/no_configuration boolean true" |
	    debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
	case "$missing " in
	*" slapd "*)
		if command -v systemctl >/dev/null 2>&1 &&
		    systemctl is-active -q slapd 2>/dev/null; then
			systemctl disable -q --now slapd
		fi
		;;
	esac
fi

if [ "$(id -u)" -eq 0 ]; then
	scripts/user.sh
fi
