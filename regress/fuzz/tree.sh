#!/bin/sh
# Archives of the instrumented objects fuzz_proc.c links (Makefile):
# xmppd.a, xmppd's but its main's; ldapauthd.a, mucd.a and uploadd.a,
# with their main renamed NAME_main.  Each is replaced only when it changed, so
# that the harnesses are not linked again for nothing.
#
# usage: tree.sh tree

set -eu
tree=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

put() {
	if cmp -s "$tmp/$1" "$tree/$1"; then :; else mv "$tmp/$1" "$tree/$1"; fi
}

ar rcsD "$tmp/xmppd.a" $(ls "$tree"/xmppd/*.o | grep -v '/xmppd/xmppd\.o$') \
    $(ls "$tree"/mucd/muc_pg_conf.o 2>/dev/null)
put xmppd.a
for p in ldapauthd mucd uploadd; do
	mkdir "$tmp/$p"
	for o in "$tree/$p"/*.o; do
		objcopy --redefine-sym main=${p}_main "$o" "$tmp/$p/${o##*/}"
	done
	ar rcsD "$tmp/$p.a" "$tmp/$p"/*.o
	put $p.a
done
