#!/bin/sh
# `make run`: start xmppd in the foreground on localhost with a
# self-signed certificate, SQLite storage, a demo account, group chat on
# conference.localhost and file upload on upload.localhost.  Everything
# lives in ./run; stop with Ctrl-C.
# $1: where make put the programs; or -c: only say whether the xmppd of
# an earlier `make run` still runs (status 3 if so).
# XMPPD_RUN_PORT: the STARTTLS port (5222); direct TLS is on the next
# one, file upload 222 above it (5444).

set -e
cd "$(dirname "$0")/.."
top=$(pwd)
run=$top/run
port=${XMPPD_RUN_PORT:-5222}
if [ "$(id -u)" -ne 0 ]; then
	echo "make run starts xmppd, which must start as root (it drops" >&2
	echo "privileges itself): run it as root." >&2
	exit 1
fi

# The pid file names the parent of a running `make run`, if it is still
# an xmppd (a pid is reused once its process is gone).
run_pid() {
	pid=$(cat "$run/xmppd.pid" 2>/dev/null) || return 1
	[ "$(ps -o comm= -p "$pid" 2>/dev/null)" = xmppd ]
}

if [ "$1" = -c ]; then
	if run_pid; then
		echo "xmppd is already running from make run (pid $pid," \
		    "control socket $run/xmppd.sock);"
		echo "stop it with Ctrl-C where it runs, or: kill $pid"
		exit 3
	fi
	exit 0
fi
obj=${1:-.}
mkdir -p "$run"
chmod 755 "$run"
if [ ! -f "$run/localhost.pem" ] ||
    ! grep -q conference.localhost "$run/localhost.san" 2>/dev/null; then
	scripts/keypair.sh "$run/localhost.pem" localhost \
	    conference.localhost upload.localhost
	echo "localhost conference.localhost upload.localhost" \
	    > "$run/localhost.san"
fi
cat > "$run/xmppd.conf" <<EOC
# Written by make run.
datadir "$run/data"
socket "$run/xmppd.sock"
prefork 1

tls keypair "localhost" certificate "$run/localhost.pem"

domain "localhost" {
	auth internal
	registration deny
}

muc "conference.localhost"

upload "upload.localhost" {
	listen on 127.0.0.1 port $((port + 222)) tls
	url "https://upload.localhost:$((port + 222))"
}

listen on 127.0.0.1 port $port client
listen on 127.0.0.1 port $((port + 1)) client tls
EOC
chmod 600 "$run/xmppd.conf"
$obj/xmppd/xmppd -n -f "$run/xmppd.conf"
ctl="$obj/xmppctl/xmppctl -s $run/xmppd.sock"

# Once xmppd answers: the demo account, and how to use it.
run_ready() {
	i=0
	until $ctl show processes >/dev/null 2>&1; do
		[ ! -f "$run/xmppd.pid" ] || run_pid || exit 1
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "xmppd did not start" >&2; exit 1; }
		sleep 0.1
	done
	if ! $ctl user list localhost | grep -qx demo@localhost; then
		echo demo | $ctl user add demo@localhost
	fi
	echo "Log in as demo@localhost, password demo (self-signed" \
	    "certificate)."
	echo "Rooms: conference.localhost; file upload:" \
	    "https://upload.localhost:$((port + 222))"
	echo "(upload.localhost must resolve to 127.0.0.1 for a client to" \
	    "use it)."
	echo "Control it with: $ctl show processes"
}

echo "xmppd: starting on localhost ports $port (STARTTLS) and" \
    "$((port + 1)) (TLS)."
rm -f "$run/xmppd.pid"
run_ready &
ready=$!
# On a terminal, xmppd runs as the foreground job in a process group of
# its own: Ctrl-C reaches it, it stops cleanly and exits 0, and so does
# make, which the interrupt never reaches.
if [ -t 0 ] && [ -t 2 ]; then
	set -m
fi
status=0
sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$run/xmppd.pid" \
    $obj/xmppd/xmppd -d -f "$run/xmppd.conf" || status=$?
set +m
rm -f "$run/xmppd.pid"
kill "$ready" 2>/dev/null || true
wait "$ready" 2>/dev/null || true
exit $status
