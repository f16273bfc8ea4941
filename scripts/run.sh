#!/bin/sh
# `make run`: start xmppd in the foreground on localhost with a
# self-signed certificate, SQLite storage, a demo account, group chat on
# conference.localhost and file upload on upload.localhost.  Everything
# lives in ./run; stop with Ctrl-C.  $1: where make put the programs.

set -e
cd "$(dirname "$0")/.."
top=$(pwd)
obj=${1:-.}
if [ "$(id -u)" -ne 0 ]; then
	echo "make run starts xmppd, which must start as root (it drops" >&2
	echo "privileges itself): run it as root." >&2
	exit 1
fi
run=$top/run
mkdir -p "$run"
chmod 755 "$run"
if [ ! -f "$run/localhost.pem" ] ||
    ! grep -q upload.localhost "$run/localhost.san" 2>/dev/null; then
	scripts/keypair.sh "$run/localhost.pem" localhost upload.localhost
	echo "localhost upload.localhost" > "$run/localhost.san"
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
	listen on 127.0.0.1 port 5444 tls
	url "https://upload.localhost:5444"
}

listen on 127.0.0.1 port 5222 client
listen on 127.0.0.1 port 5223 client tls
EOC
chmod 600 "$run/xmppd.conf"
$obj/xmppd/xmppd -n -f "$run/xmppd.conf"
echo "xmppd: starting on localhost ports 5222 (STARTTLS) and 5223 (TLS)."
$obj/xmppd/xmppd -d -f "$run/xmppd.conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
ctl="$obj/xmppctl/xmppctl -s $run/xmppd.sock"
i=0
until $ctl show processes >/dev/null 2>&1; do
	kill -0 $pid 2>/dev/null || exit 1
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "xmppd did not start" >&2; exit 1; }
	sleep 0.1
done
if ! $ctl user list localhost | grep -qx demo@localhost; then
	echo demo | $ctl user add demo@localhost
fi
echo "Log in as demo@localhost, password demo (self-signed certificate)."
echo "Rooms: conference.localhost; file upload: https://upload.localhost:5444"
echo "(upload.localhost must resolve to 127.0.0.1 for a client to use it)."
echo "Control it with: $ctl show processes"
wait $pid
