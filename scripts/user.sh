#!/bin/sh
# Creates the unprivileged user xmppd's children run as, when missing.

set -e
user=${1:-_xmppd}
if ! getent passwd "$user" >/dev/null; then
	case "$(uname -s)" in
	OpenBSD)
		useradd -d /var/empty -s /sbin/nologin -L daemon "$user"
		;;
	*)
		useradd --system --no-create-home --home-dir /var/empty \
		    --shell /usr/sbin/nologin --user-group "$user"
		;;
	esac
	echo "created user $user"
fi
