#!/bin/sh
# A self-signed certificate and its key in one PEM file of mode 0600, as
# xmppd.conf(5)'s "tls keypair NAME certificate FILE" reads it: for
# `make run` and for the configuration `make install` writes.
# $1: the file to write; $2 ...: the names it is good for (the first is
# also its common name).

set -e
pem=$1
shift
san=
for name; do
	san="${san:+$san,}DNS:$name"
done
umask 077
tmp=$(mktemp -d "$(dirname "$pem")/.keypair.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$1" \
    -addext "subjectAltName=$san" -keyout "$tmp/key" -out "$tmp/crt" \
    2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
cat "$tmp/key" "$tmp/crt" >"$tmp/pem"
mv "$tmp/pem" "$pem"
