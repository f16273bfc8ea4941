#!/bin/sh
# `make run`: start xmppd in the foreground on localhost with a
# self-signed certificate, SQLite storage and a demo account.  Everything
# lives in ./run; stop with Ctrl-C.

set -e
cd "$(dirname "$0")/.."
top=$(pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "make run starts xmppd, which must start as root (it drops" >&2
	echo "privileges itself): run it as root." >&2
	exit 1
fi
run=$top/run
mkdir -p "$run"
chmod 755 "$run"
if [ ! -f "$run/localhost.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
	    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
	    -keyout "$run/localhost.key" -out "$run/localhost.crt" \
	    2>/dev/null
	cat "$run/localhost.key" "$run/localhost.crt" > "$run/localhost.pem"
	chmod 600 "$run/localhost.key" "$run/localhost.pem"
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

listen on 127.0.0.1 port 5222 client
listen on 127.0.0.1 port 5223 client tls
EOC
chmod 600 "$run/xmppd.conf"
xmppd/xmppd -n -f "$run/xmppd.conf"
echo "xmppd: starting on localhost ports 5222 (STARTTLS) and 5223 (TLS)."
xmppd/xmppd -d -f "$run/xmppd.conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
ctl="xmppctl/xmppctl -s $run/xmppd.sock"
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
echo "Control it with: $ctl show processes"
wait $pid
