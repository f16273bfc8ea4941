#!/bin/sh
# `make install`: when there is no configuration file yet, a minimal one
# that starts: internal accounts for this machine's domain (hostname -f),
# served with a self-signed keypair until a real certificate replaces it.
# An existing file is never touched.
# $1: DESTDIR, $2: SYSCONFDIR, $3: DOCDIR, $4: the domain (optional).

set -e
cd "$(dirname "$0")/.."
destdir=$1
sysconfdir=$2
docdir=$3
domain=$4
conf=$destdir$sysconfdir/xmppd.conf
if [ -e "$conf" ] || [ -L "$conf" ]; then
	echo "$conf exists: left as it is"
	exit 0
fi
[ -n "$domain" ] || domain=$(hostname -f 2>/dev/null) || true
[ -n "$domain" ] || domain=$(hostname)
domain=$(printf '%s' "$domain" | tr 'A-Z' 'a-z')
case "$domain" in
*[!a-z0-9.-]* | "" | .* | *.)
	echo "install-conf: \"$domain\" is not a domain name:" \
	    "make install DOMAIN=example.org" >&2
	exit 1
	;;
esac
keydir=$sysconfdir/xmppd
pem=$keydir/$domain.pem
install -d -m 0700 "$destdir$keydir"
if [ ! -e "$destdir$pem" ]; then
	scripts/keypair.sh "$destdir$pem" "$domain"
	echo "$destdir$pem: a self-signed keypair for $domain"
fi
umask 077
cat >"$conf.new" <<EOC
# xmppd.conf for $domain, written by make install: see xmppd.conf(5), and
# $docdir/examples/xmppd.conf for a commented example of every part.
#
# The keypair is self-signed: clients warn about it until you replace it
# with a certificate for $domain from a certificate authority.

tls keypair "$domain" certificate "$pem"

domain "$domain" {
	auth internal		# accounts: xmppctl user add alice@$domain
}

listen on * port 5222 client		# STARTTLS
listen on * port 5223 client tls	# direct TLS
EOC
chmod 600 "$conf.new"
mv "$conf.new" "$conf"
echo "$conf: written for $domain"
