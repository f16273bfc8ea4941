/*
 * Copyright (c) 2026 The xmppd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * RFC 6125 identity checks of a peer server's certificate.  The only
 * reference identity is the XMPP domain the peer claims or we asked
 * for: never the target of an SRV record, which DNS, not the domain's
 * owner, vouches for (RFC 7590 section 3.2, RFC 6125 section 6.2.1).
 * Everything in a certificate is hostile: a name that does not parse
 * does not match.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <idn-free.h>
#include <idna.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "jid.h"
#include "tlsverify.h"

#define TLSVERIFY_CA_CERTS	10000	/* certificates in a CA file */
#define TLSVERIFY_NAMEMAX	253	/* a DNS name, final dot excluded */
#define TLSVERIFY_LABELMAX	63
#define TLSVERIFY_PREPBUF	4096	/* room for stringprep to grow */
#define TLSVERIFY_SRV		"_xmpp-server."	/* RFC 6120 13.7.1.2.1 */
#define TLSVERIFY_SRVLEN	(sizeof(TLSVERIFY_SRV) - 1)

struct tlsverify_ca {
	X509_STORE	*store;
	int		 count;
};

/* The reference identity in the two forms names are compared with. */
struct tlsverify_ref {
	char		 ace[TLSVERIFY_NAMEMAX + 1];	/* A-labels, lower */
	char		 prep[JID_PARTMAX + 1];		/* a JID's domain */
};

static STACK_OF(X509)	*tlsverify_pem_read(const uint8_t *, size_t, int);
static int		 tlsverify_chain(const struct tlsverify_ca *,
			    STACK_OF(X509) *, time_t, char *, size_t);
static int		 tlsverify_ref_init(struct tlsverify_ref *,
			    const char *);
static int		 tlsverify_dns_syntax(const char *, size_t);
static int		 tlsverify_srv_match(const unsigned char *, int,
			    const char *);
static int		 tlsverify_xmpp_match(const unsigned char *, int,
			    const char *);
static int		 tlsverify_othername(const OTHERNAME *,
			    const struct tlsverify_ref *);
static int		 tlsverify_san(X509 *, const struct tlsverify_ref *,
			    int *);
static int		 tlsverify_cn(X509 *, const char *);
static void		 tlsverify_why(char *, size_t, const char *);

/*
 * The certificates of a PEM buffer, in order (a chain as libtls gives
 * it: the peer's own first).  NULL when one does not parse, or when
 * there are more than max.
 */
static STACK_OF(X509) *
tlsverify_pem_read(const uint8_t *pem, size_t len, int max)
{
	STACK_OF(X509)	*sk;
	BIO		*bio = NULL;
	X509		*x;
	unsigned long	 err;

	if (len > INT_MAX || (sk = sk_X509_new_null()) == NULL)
		return (NULL);
	if (len == 0)
		return (sk);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		goto bad;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= max || !sk_X509_push(sk, x)) {
			X509_free(x);
			goto bad;
		}
	}
	/* The end of the buffer, and not a block that failed to decode. */
	err = ERR_peek_last_error();
	if (ERR_GET_LIB(err) != ERR_LIB_PEM ||
	    ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
		goto bad;
	ERR_clear_error();
	BIO_free(bio);
	return (sk);
 bad:
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return (NULL);
}

/*
 * The trusted CAs of "tls ca", from the bytes the parent read: NULL
 * when they hold no certificate or one that does not parse.
 */
struct tlsverify_ca *
tlsverify_ca_new(const uint8_t *pem, size_t len)
{
	struct tlsverify_ca	*ca = NULL;
	STACK_OF(X509)		*sk;
	int			 i;

	if (len > TLSVERIFY_CA_MAX ||
	    (sk = tlsverify_pem_read(pem, len, TLSVERIFY_CA_CERTS)) == NULL)
		return (NULL);
	if (sk_X509_num(sk) == 0 || (ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->store = X509_STORE_new()) == NULL)
		goto bad;
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(ca->store, sk_X509_value(sk, i)))
			goto bad;
	ca->count = sk_X509_num(sk);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return (ca);
 bad:
	sk_X509_pop_free(sk, X509_free);
	tlsverify_ca_free(ca);
	ERR_clear_error();
	return (NULL);
}

int
tlsverify_ca_count(const struct tlsverify_ca *ca)
{
	return (ca == NULL ? 0 : ca->count);
}

void
tlsverify_ca_free(struct tlsverify_ca *ca)
{
	if (ca == NULL)
		return;
	X509_STORE_free(ca->store);
	free(ca);
}

/*
 * Does the chain lead from its first certificate to a trusted CA, every
 * certificate valid at now (0: the current time)?  The others in the
 * chain are untrusted intermediates.
 */
static int
tlsverify_chain(const struct tlsverify_ca *ca, STACK_OF(X509) *sk,
    time_t now, char *why, size_t whylen)
{
	X509_STORE_CTX		*ctx;
	X509_VERIFY_PARAM	*vp;
	int			 ok = 0;

	if (ca == NULL) {
		tlsverify_why(why, whylen, "no trusted CA");
		return (-1);
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, ca->store, sk_X509_value(sk, 0), sk)) {
		tlsverify_why(why, whylen, "out of memory");
		X509_STORE_CTX_free(ctx);
		return (-1);
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_depth(vp, TLSVERIFY_DEPTH);
	if (now != 0)
		X509_VERIFY_PARAM_set_time(vp, now);
	if (X509_verify_cert(ctx) == 1)
		ok = 1;
	else
		tlsverify_why(why, whylen, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/*
 * The domain as a JID's domainpart (how an XmppAddr is compared) and in
 * A-labels (how DNS-IDs and SRV-IDs are, RFC 6125 section 6.4.2).  An
 * address literal has no name a certificate could hold.
 */
static int
tlsverify_ref_init(struct tlsverify_ref *ref, const char *domain)
{
	struct in_addr	 in4;
	char		 buf[TLSVERIFY_PREPBUF];
	char		*ace = NULL, *p;
	size_t		 n;

	if (domain == NULL || strlcpy(buf, domain, sizeof(buf)) >=
	    sizeof(buf) || jid_prep_domain(buf, sizeof(buf)) == -1 ||
	    strlcpy(ref->prep, buf, sizeof(ref->prep)) >= sizeof(ref->prep))
		return (-1);
	if (ref->prep[0] == '[' || inet_pton(AF_INET, ref->prep, &in4) == 1)
		return (-1);
	if (idna_to_ascii_8z(ref->prep, &ace, IDNA_USE_STD3_ASCII_RULES) !=
	    IDNA_SUCCESS)
		return (-1);
	n = strlcpy(ref->ace, ace, sizeof(ref->ace));
	idn_free(ace);
	if (n >= sizeof(ref->ace) || n == 0)
		return (-1);
	for (p = ref->ace; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return (0);
}

/*
 * A presented DNS name: labels of 1 to 63 letters, digits and hyphens,
 * and "*" as the whole left-most label at most.
 */
static int
tlsverify_dns_syntax(const char *p, size_t len)
{
	size_t	 i, label = 0;
	char	 c;

	if (len == 0 || len > TLSVERIFY_NAMEMAX)
		return (0);
	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (c == '*') {
			if (i != 0 || len < 2 || p[1] != '.')
				return (0);
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return (0);
		if (++label > TLSVERIFY_LABELMAX)
			return (0);
	}
	return (label != 0);
}

/*
 * Does the presented DNS name p (len octets, not NUL-terminated) match
 * the reference ref (A-labels, lower case, no final dot)?  Case does
 * not matter (RFC 6125 section 6.4.1).  A wildcard is the whole
 * left-most label and stands for exactly one label (section 6.4.3);
 * partial wildcards ("w*.example.org") and one right under a top-level
 * domain ("*.org") match nothing.
 */
int
tlsverify_dns_match(const char *p, size_t len, const char *ref)
{
	const char	*dot;
	size_t		 reflen = strlen(ref);

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (!tlsverify_dns_syntax(p, len))
		return (0);
	if (p[0] == '*') {
		if ((dot = strchr(ref, '.')) == NULL || dot == ref ||
		    memchr(p + 2, '.', len - 2) == NULL)
			return (0);
		p++;
		len--;
		reflen -= dot - ref;
		ref = dot;
	}
	return (len == reflen && strncasecmp(p, ref, len) == 0);
}

/* An SRV-ID (RFC 4985): "_xmpp-server." and the domain. */
static int
tlsverify_srv_match(const unsigned char *p, int len, const char *ace)
{
	if (len <= (int)TLSVERIFY_SRVLEN ||
	    strncasecmp((const char *)p, TLSVERIFY_SRV, TLSVERIFY_SRVLEN) != 0)
		return (0);
	return (tlsverify_dns_match((const char *)p + TLSVERIFY_SRVLEN,
	    len - TLSVERIFY_SRVLEN, ace));
}

/*
 * An XmppAddr: a server's is its bare domain (RFC 6120 section
 * 13.7.1.4), compared once prepared as any JID's domain is.
 */
static int
tlsverify_xmpp_match(const unsigned char *p, int len, const char *prep)
{
	char		 buf[TLSVERIFY_PREPBUF];
	struct jid	 jid;

	if (len <= 0 || (size_t)len >= sizeof(buf) ||
	    memchr(p, '\0', len) != NULL)
		return (0);
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (jid_parse(buf, &jid) == -1 || jid.local[0] != '\0' ||
	    jid.resource[0] != '\0')
		return (0);
	return (strcmp(jid.domain, prep) == 0);
}

static int
tlsverify_othername(const OTHERNAME *on, const struct tlsverify_ref *ref)
{
	const ASN1_TYPE	*v = on->value;

	if (v == NULL)
		return (0);
	switch (OBJ_obj2nid(on->type_id)) {
	case NID_SRVName:
		if (v->type != V_ASN1_IA5STRING)
			return (0);
		return (tlsverify_srv_match(
		    ASN1_STRING_get0_data(v->value.ia5string),
		    ASN1_STRING_length(v->value.ia5string), ref->ace));
	case NID_XmppAddr:
		if (v->type != V_ASN1_UTF8STRING)
			return (0);
		return (tlsverify_xmpp_match(
		    ASN1_STRING_get0_data(v->value.utf8string),
		    ASN1_STRING_length(v->value.utf8string), ref->prep));
	}
	return (0);
}

/*
 * Does a subjectAltName of x name ref?  1 yes, 0 no, -1 when the
 * extension does not decode or appears twice.  *seen: whether x has
 * one at all.
 */
static int
tlsverify_san(X509 *x, const struct tlsverify_ref *ref, int *seen)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gen;
	int			 crit = -1, i, match = 0;

	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit,
	    NULL)) == NULL) {
		*seen = crit != -1;
		return (crit == -1 ? 0 : -1);
	}
	*seen = 1;
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && !match; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		switch (gen->type) {
		case GEN_DNS:
			match = tlsverify_dns_match((const char *)
			    ASN1_STRING_get0_data(gen->d.dNSName),
			    ASN1_STRING_length(gen->d.dNSName), ref->ace);
			break;
		case GEN_OTHERNAME:
			match = tlsverify_othername(gen->d.otherName, ref);
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	return (match);
}

/*
 * A certificate without subjectAltName: its one common name, as a
 * DNS-ID (RFC 6125 section 6.4.4).  Several leave unclear which is
 * meant, and match nothing.
 */
static int
tlsverify_cn(X509 *x, const char *ace)
{
	const X509_NAME	*name;
	unsigned char	*utf8;
	int		 i, len, match;

	if ((name = X509_get_subject_name(x)) == NULL ||
	    (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return (0);
	if ((len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)))) < 0)
		return (0);
	match = tlsverify_dns_match((const char *)utf8, len, ace);
	OPENSSL_free(utf8);
	return (match);
}

static void
tlsverify_why(char *why, size_t len, const char *s)
{
	if (why != NULL && len > 0)
		(void)strlcpy(why, s, len);
}

/*
 * Is the chain (PEM, the peer's certificate first, as
 * tls_peer_cert_chain_pem() gives it) trusted by ca at now (0: the
 * current time), and is its first certificate good for domain?  why
 * (may be NULL) gets a reason to log when it is not.
 */
int
tlsverify_peer(const struct tlsverify_ca *ca, const uint8_t *pem,
    size_t len, const char *domain, time_t now, char *why, size_t whylen)
{
	STACK_OF(X509)		*sk;
	struct tlsverify_ref	 ref;
	int			 ret, seen;

	tlsverify_why(why, whylen, "");
	if (pem == NULL || len == 0) {
		tlsverify_why(why, whylen, "no certificate");
		return (TLSVERIFY_NOCERT);
	}
	if (len > TLSVERIFY_CHAIN_MAX ||
	    (sk = tlsverify_pem_read(pem, len, TLSVERIFY_DEPTH)) == NULL) {
		tlsverify_why(why, whylen, "certificate does not parse");
		return (TLSVERIFY_MALFORMED);
	}
	if (sk_X509_num(sk) == 0) {
		tlsverify_why(why, whylen, "no certificate");
		ret = TLSVERIFY_NOCERT;
	} else if (tlsverify_chain(ca, sk, now, why, whylen) == -1)
		ret = TLSVERIFY_UNTRUSTED;
	else if (tlsverify_ref_init(&ref, domain) == -1) {
		tlsverify_why(why, whylen, "not a domain name");
		ret = TLSVERIFY_MISMATCH;
	} else {
		switch (tlsverify_san(sk_X509_value(sk, 0), &ref, &seen)) {
		case 1:
			ret = TLSVERIFY_OK;
			break;
		case -1:
			tlsverify_why(why, whylen,
			    "subjectAltName does not parse");
			ret = TLSVERIFY_MALFORMED;
			break;
		default:
			if (!seen && tlsverify_cn(sk_X509_value(sk, 0),
			    ref.ace))
				ret = TLSVERIFY_OK;
			else {
				tlsverify_why(why, whylen,
				    "certificate names another domain");
				ret = TLSVERIFY_MISMATCH;
			}
		}
	}
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return (ret);
}

/*
 * Does the first certificate of pem, our own, name domain by the rules
 * a peer checks it with?  1 yes, 0 no, -1 when it does not parse.
 */
int
tlsverify_names(const uint8_t *pem, size_t len, const char *domain)
{
	STACK_OF(X509)		*sk;
	struct tlsverify_ref	 ref;
	int			 ret, seen;

	if (len > TLSVERIFY_CHAIN_MAX ||
	    (sk = tlsverify_pem_read(pem, len, TLSVERIFY_DEPTH)) == NULL)
		return (-1);
	if (sk_X509_num(sk) == 0)
		ret = -1;
	else if (tlsverify_ref_init(&ref, domain) == -1)
		ret = 0;
	else if ((ret = tlsverify_san(sk_X509_value(sk, 0), &ref, &seen)) ==
	    0 && !seen)
		ret = tlsverify_cn(sk_X509_value(sk, 0), ref.ace);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return (ret);
}

const char *
tlsverify_strerror(int r)
{
	switch (r) {
	case TLSVERIFY_OK:
		return ("verified");
	case TLSVERIFY_NOCERT:
		return ("no certificate");
	case TLSVERIFY_MALFORMED:
		return ("malformed certificate");
	case TLSVERIFY_UNTRUSTED:
		return ("untrusted certificate");
	case TLSVERIFY_MISMATCH:
		return ("certificate for another domain");
	}
	return ("unknown");
}
