# xmppd: an XMPP server suite.  GNU make on Linux; see README.md.

PREFIX?=	/usr/local
SBINDIR?=	${PREFIX}/sbin
LIBEXECDIR?=	${PREFIX}/libexec/xmppd
MANDIR?=	${PREFIX}/share/man
SYSCONFDIR?=	/etc
DOCDIR?=	${PREFIX}/share/doc/xmppd
# Where the systemd unit goes (Linux) and the rc.d script (OpenBSD).
SYSTEMDDIR?=	${PREFIX}/lib/systemd/system
RCDIR?=		/etc/rc.d
# The domain of the configuration make install writes when there is none;
# empty: hostname -f.
DOMAIN?=
DESTDIR?=

CC?=		cc
YACC?=		yacc
CFLAGS?=	-O2 -g
WARNINGS=	-Wall -Wextra -Wmissing-prototypes -Wmissing-declarations \
		-Wshadow -Wpointer-arith -Wstrict-prototypes -Wsign-compare
# OBJ is where objects and programs go; `make test` builds a second tree
# with the regress-only hooks compiled in.
OBJ?=		.
EXTRA_CFLAGS?=

-include config.mk

UNAME!=		uname -s

ALL_CFLAGS=	${CFLAGS} ${WARNINGS} ${PKG_CFLAGS} ${PROBE_CFLAGS} -Icommon \
		-I${OBJ} -D_GNU_SOURCE ${EXTRA_CFLAGS}
LIBS=		-Wl,--as-needed ${PKG_LIBS}

COMMON_SRCS=	common/base64.c common/config.c common/imsg.c \
		common/addr.c common/dbutil.c common/imsg-buffer.c \
		common/io.c common/jid.c \
		common/ldaputil.c common/listener.c common/log.c common/mam.c \
		common/proc.c common/grant.c \
		common/sandbox.c common/sasl.c common/scram.c \
		common/stanza.c common/throttle.c common/tlsctx.c common/xml.c \
		common/xml_stream.c common/http.c common/http_util.c \
		common/pie.c
COMMON_SRCS+=	common/tlsverify.c common/certcheck.c
COMMON_SRCS+=	common/about.c
COMMON_SRCS+=	common/throttle_ctl.c
COMMON_SRCS+=	common/tlshello.c common/proxyv2.c common/peek.c common/proxy.c
COMMON_SRCS+=	common/regress.c
# The PostgreSQL connection and conninfo checks of the store and mucd.
ifneq (${HAVE_LIBPQ},)
COMMON_SRCS+=	common/pgbatch.c common/pgconf.c common/pgconn.c \
		common/pgmam.c
endif
XMPPD_SRCS=	xmppd/xmppd.c xmppd/c2s.c xmppd/caps.c xmppd/control.c \
		xmppd/disco.c xmppd/http_bosh.c xmppd/http_bosh_body.c \
		xmppd/http_bosh_session.c xmppd/http_hostmeta.c \
		xmppd/http_web.c \
		xmppd/http_ws.c \
		xmppd/keys.c xmppd/last.c \
		xmppd/parent_control.c xmppd/parent_ctl_check.c xmppd/ping.c \
		xmppd/printconf.c \
		xmppd/router.c xmppd/router_adhoc.c xmppd/router_admin.c \
		xmppd/router_motd.c xmppd/router_contact.c \
		xmppd/router_ldap.c \
		xmppd/router_mam.c xmppd/router_mam_meta.c xmppd/router_muc.c \
		xmppd/router_service.c xmppd/router_upload.c \
		xmppd/router_offline.c \
		xmppd/router_order.c xmppd/router_presence.c \
		xmppd/router_roster.c xmppd/router_roster_iq.c \
		xmppd/router_session.c xmppd/router_stanza.c \
		xmppd/router_subscription.c \
		xmppd/carbons.c xmppd/csi.c xmppd/blocking.c \
		xmppd/c2s_sm.c xmppd/router_sm.c \
		xmppd/router_private.c xmppd/router_xmlstore.c \
		xmppd/router_component.c xmppd/router_privilege.c \
		xmppd/router_disabled.c \
		xmppd/store_component.c xmppd/stream_component.c \
		xmppd/stream_s2s.c xmppd/stream_s2s_in.c xmppd/stream_s2s_out.c \
		xmppd/router_s2s.c xmppd/router_dialback.c \
		xmppd/router_pep.c xmppd/router_caps_client.c \
		xmppd/store.c xmppd/store_account.c xmppd/store_auth.c \
		xmppd/store_account_state.c xmppd/store_sqlite_state.c \
		xmppd/store_motd.c xmppd/store_sqlite_motd.c \
		xmppd/store_offline.c xmppd/store_roster.c xmppd/store_sqlite.c \
		xmppd/store_mam.c xmppd/store_mam_sql.c \
		xmppd/store_sqlite_mam.c \
		xmppd/store_sqlite_xml.c xmppd/store_xml.c \
		xmppd/store_pie.c xmppd/store_pie_export.c \
		xmppd/store_pie_sqlite.c \
		xmppd/stats.c xmppd/stream.c xmppd/stream_regress.c xmppd/time.c xmppd/vcard.c \
		xmppd/version.c
# The PostgreSQL backend of the store, when configure found libpq.
XMPPD_PG_SRCS=	xmppd/store_pg.c xmppd/store_pg_mam.c xmppd/store_pg_xml.c \
		xmppd/store_pie_pg.c xmppd/store_pg_state.c \
		xmppd/store_pg_motd.c
ifneq (${HAVE_LIBPQ},)
XMPPD_SRCS+=	${XMPPD_PG_SRCS}
endif
XMPPCTL_SRCS=	xmppctl/xmppctl.c xmppctl/pie_import.c xmppctl/pie_export.c \
		xmppctl/convert.c xmppctl/xmlread.c \
		xmppctl/convert_lua.c xmppctl/muc_import.c xmppctl/user_state.c \
		xmppctl/check.c
XMPPD_SRCS+=	xmppd/resolver.c xmppd/resolver_dns.c xmppd/router_resolve.c \
		xmppd/resolver_ctl.c
XMPPD_SRCS+=	xmppd/stream_mux.c
LDAPAUTHD_SRCS=	ldapauthd/ldapauthd.c ldapauthd/ldap_conn.c \
		ldapauthd/ldap_regress.c
MUCD_SRCS=	mucd/mucd.c mucd/muc_db.c mucd/muc_message.c \
		mucd/muc_occupant.c mucd/muc_room.c mucd/muc_stanza.c \
		mucd/muc_disco.c mucd/muc_invite.c mucd/muc_ping.c \
		mucd/muc_admin.c mucd/muc_history.c mucd/muc_subject.c \
		mucd/muc_mam.c mucd/muc_mam_sql.c mucd/muc_sqlite.c \
		mucd/muc_sqlite_mam.c \
		mucd/muc_config.c mucd/muc_config_fields.c mucd/muc_form.c \
		mucd/muc_register.c mucd/muc_import.c
# mucd on PostgreSQL: its conninfo is checked as the store's is, and by
# the parent (muc_pg_conf.c is linked into xmppd too).
MUCD_PG_SRCS=	mucd/muc_pg.c mucd/muc_pg_mam.c mucd/muc_pg_conf.c
ifneq (${HAVE_LIBPQ},)
MUCD_SRCS+=	${MUCD_PG_SRCS}
XMPPD_SRCS+=	mucd/muc_pg_conf.c
endif
UPLOADD_SRCS=	uploadd/uploadd.c uploadd/upload_admin.c uploadd/upload_db.c \
		uploadd/upload_get.c uploadd/upload_http.c uploadd/upload_put.c \
		uploadd/upload_sign.c uploadd/upload_slot.c

COMMON_OBJS=	${COMMON_SRCS:%.c=${OBJ}/%.o}
XMPPD_OBJS=	${XMPPD_SRCS:%.c=${OBJ}/%.o} ${OBJ}/xmppd/parse.o
XMPPCTL_OBJS=	${XMPPCTL_SRCS:%.c=${OBJ}/%.o}
LDAPAUTHD_OBJS=	${LDAPAUTHD_SRCS:%.c=${OBJ}/%.o}
MUCD_OBJS=	${MUCD_SRCS:%.c=${OBJ}/%.o}
UPLOADD_OBJS=	${UPLOADD_SRCS:%.c=${OBJ}/%.o}
LIBCOMMON=	${OBJ}/common/libcommon.a

PROGS=		${OBJ}/xmppd/xmppd ${OBJ}/xmppctl/xmppctl \
		${OBJ}/ldapauthd/ldapauthd ${OBJ}/mucd/mucd \
		${OBJ}/uploadd/uploadd
MANS8=		man/xmppd.8 man/xmppctl.8 man/ldapauthd.8 man/mucd.8 \
		man/uploadd.8
MANS5=		man/xmppd.conf.5
HEADERS=	common/*.h xmppd/*.h ldapauthd/*.h mucd/*.h uploadd/*.h

all: config.mk ${PROGS}

# The installation paths compiled in live in a generated header, rewritten
# only when one of them changes: `make install PREFIX=/usr` after `make`
# rebuilds what includes it, and nothing else.
PATHS_H=	${OBJ}/paths.h
PATHS_OBJS=	$(patsubst %.c,${OBJ}/%.o,$(shell grep -l '"paths.h"' \
		    ${COMMON_SRCS} ${XMPPD_SRCS} ${XMPPCTL_SRCS} \
		    ${LDAPAUTHD_SRCS} ${MUCD_SRCS} ${UPLOADD_SRCS}))

${PATHS_H}: FORCE
	@mkdir -p ${@D}
	@printf '/* Generated by make. */\n%s\t"%s"\n%s\t"%s"\n' \
	    '#define LIBEXECDIR' '${LIBEXECDIR}' \
	    '#define SYSCONFDIR' '${SYSCONFDIR}' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; \
	    echo "$@: LIBEXECDIR ${LIBEXECDIR}, SYSCONFDIR ${SYSCONFDIR}"; fi

${PATHS_OBJS}: ${PATHS_H}

FORCE:

config.mk: configure
	./configure

# Probe again: scripts/deps.sh may just have upgraded a library.
# config.mk changes, and so rebuilds, only when a result does.
reconfigure:
	./configure

${OBJ}/%.o: %.c ${HEADERS} config.mk
	@mkdir -p ${@D}
	${CC} ${ALL_CFLAGS} -c -o $@ $<

${OBJ}/xmppd/parse.c: xmppd/parse.y
	@mkdir -p ${@D}
	${YACC} -o $@ xmppd/parse.y

${OBJ}/xmppd/parse.o: ${OBJ}/xmppd/parse.c ${HEADERS} config.mk
	${CC} ${ALL_CFLAGS} -Ixmppd -Wno-unused-function -c -o $@ $<

${LIBCOMMON}: ${COMMON_OBJS}
	rm -f $@
	ar rcs $@ ${COMMON_OBJS}

${OBJ}/xmppd/xmppd: ${XMPPD_OBJS} ${LIBCOMMON}
	${CC} ${LDFLAGS} -o $@ ${XMPPD_OBJS} ${LIBCOMMON} ${LIBS}

${OBJ}/xmppctl/xmppctl: ${XMPPCTL_OBJS} ${LIBCOMMON}
	${CC} ${LDFLAGS} -o $@ ${XMPPCTL_OBJS} ${LIBCOMMON} ${LIBS}

${OBJ}/ldapauthd/ldapauthd: ${LDAPAUTHD_OBJS} ${LIBCOMMON}
	${CC} ${LDFLAGS} -o $@ ${LDAPAUTHD_OBJS} ${LIBCOMMON} ${LIBS}

${OBJ}/mucd/mucd: ${MUCD_OBJS} ${LIBCOMMON}
	${CC} ${LDFLAGS} -o $@ ${MUCD_OBJS} ${LIBCOMMON} ${LIBS}

${OBJ}/uploadd/uploadd: ${UPLOADD_OBJS} ${LIBCOMMON}
	${CC} ${LDFLAGS} -o $@ ${UPLOADD_OBJS} ${LIBCOMMON} ${LIBS}

# The service files name the sbin directory of this install.
${OBJ}/xmppd.service: etc/xmppd.service FORCE
	sed 's,@SBINDIR@,${SBINDIR},g' etc/xmppd.service >$@
${OBJ}/xmppd.rc: etc/rc.d/xmppd FORCE
	sed 's,@SBINDIR@,${SBINDIR},g' etc/rc.d/xmppd >$@

install: all ${OBJ}/xmppd.service ${OBJ}/xmppd.rc
	install -d ${DESTDIR}${SBINDIR} ${DESTDIR}${LIBEXECDIR} \
	    ${DESTDIR}${MANDIR}/man5 ${DESTDIR}${MANDIR}/man8 \
	    ${DESTDIR}${SYSCONFDIR} ${DESTDIR}${DOCDIR}/examples
	install -m 0555 xmppd/xmppd xmppctl/xmppctl ${DESTDIR}${SBINDIR}
	install -m 0555 ldapauthd/ldapauthd mucd/mucd uploadd/uploadd \
	    ${DESTDIR}${LIBEXECDIR}
	install -m 0444 ${MANS5} ${DESTDIR}${MANDIR}/man5
	install -m 0444 ${MANS8} ${DESTDIR}${MANDIR}/man8
	install -m 0444 etc/xmppd.conf ${DESTDIR}${DOCDIR}/examples
ifeq (${UNAME},OpenBSD)
	install -d ${DESTDIR}${RCDIR}
	install -m 0555 ${OBJ}/xmppd.rc ${DESTDIR}${RCDIR}/xmppd
else
	install -d ${DESTDIR}${SYSTEMDDIR}
	install -m 0444 ${OBJ}/xmppd.service ${DESTDIR}${SYSTEMDDIR}
endif
	scripts/install-conf.sh "${DESTDIR}" "${SYSCONFDIR}" "${DOCDIR}" \
	    "${DOMAIN}"
	if [ -z "${DESTDIR}" ]; then scripts/user.sh; fi

uninstall:
	rm -f ${DESTDIR}${SBINDIR}/xmppd ${DESTDIR}${SBINDIR}/xmppctl
	rm -rf ${DESTDIR}${LIBEXECDIR} ${DESTDIR}${DOCDIR}
	rm -f ${DESTDIR}${SYSTEMDDIR}/xmppd.service ${DESTDIR}${RCDIR}/xmppd
	cd ${DESTDIR}${MANDIR} && rm -f man5/xmppd.conf.5 \
	    man8/xmppd.8 man8/xmppctl.8 man8/ldapauthd.8 man8/mucd.8 \
	    man8/uploadd.8

# The regress tree: the same programs with the test-only hooks
# (-DREGRESS) and helpers found in regress/obj/libexec.
REGRESS_OBJ=	regress/obj

regress-build: config.mk
	${MAKE} OBJ=${REGRESS_OBJ} EXTRA_CFLAGS=-DREGRESS \
	    LIBEXECDIR=${CURDIR}/${REGRESS_OBJ}/libexec all
	@mkdir -p ${REGRESS_OBJ}/libexec
	ln -sf ../ldapauthd/ldapauthd ${REGRESS_OBJ}/libexec/ldapauthd
	ln -sf ../mucd/mucd ${REGRESS_OBJ}/libexec/mucd
	ln -sf ../uploadd/uploadd ${REGRESS_OBJ}/libexec/uploadd

deps:
	scripts/deps.sh

test: deps reconfigure
	${MAKE} all regress-build
	@${MAKE} --no-print-directory -C regress

# `make run`: the programs built into run/obj, finding mucd and uploadd
# there rather than where `make install` puts them.
RUN_OBJ=	run/obj

# A second one, while the first runs, says so and leaves it alone.
run:
	@scripts/run.sh -c || { [ $$? -eq 3 ]; exit; }; \
	    ${MAKE} --no-print-directory run-start

run-start: deps reconfigure
	${MAKE} OBJ=${RUN_OBJ} LIBEXECDIR=${CURDIR}/${RUN_OBJ}/libexec all
	@mkdir -p ${RUN_OBJ}/libexec
	ln -sf ../ldapauthd/ldapauthd ${RUN_OBJ}/libexec/ldapauthd
	ln -sf ../mucd/mucd ${RUN_OBJ}/libexec/mucd
	ln -sf ../uploadd/uploadd ${RUN_OBJ}/libexec/uploadd
	scripts/run.sh ${RUN_OBJ}

# xmppd against ejabberd and Prosody on this machine (regress/bench,
# docs/BENCHMARKS.md).  Long, and never part of `make test`.
bench: deps
	${MAKE} all
	${MAKE} -C regress/bench bench

# Fault scenarios under load (regress/faults, docs/FAULTS.md): kills,
# a failing database or directory, descriptors running out, the clock
# stepping.  Long, and never part of `make test`.
faults: deps reconfigure
	${MAKE} all regress-build
	${MAKE} -C regress/bench
	cd regress && /usr/bin/python3 run.py --faults

.PHONY: bench fuzz faults

# Each libFuzzer harness of regress/fuzz for FUZZ_TIME seconds (120 by
# default): long, and never part of `make test`, which replays the
# corpora only.  Fails on any crash, leak or sanitizer report.
FUZZ_TIME?=	120

fuzz: deps config.mk
	${MAKE} -C regress/fuzz FUZZ_TIME=${FUZZ_TIME} fuzz

lint:
	cd man && mandoc -Tlint -Wstyle xmppd.conf.5 *.8

clean:
	rm -rf ${PROGS} ${COMMON_OBJS} ${LIBCOMMON} ${XMPPD_OBJS} \
	    ${XMPPCTL_OBJS} ${LDAPAUTHD_OBJS} ${MUCD_OBJS} ${UPLOADD_OBJS} \
	    xmppd/parse.c ${PATHS_H} ${REGRESS_OBJ} \
	    ${OBJ}/xmppd.service ${OBJ}/xmppd.rc
	${MAKE} -C regress clean

distclean: clean
	rm -f config.mk

.PHONY: all install uninstall regress-build deps reconfigure test run run-start lint \
	clean distclean FORCE
