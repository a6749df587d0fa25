/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_conn: what mod_cfaop knows about one TLS connection (the master
 * connection for HTTP/2 streams): its client certificate, who verified it,
 * and the chain results remembered for it. The handshake and every request
 * reach a chain result through the same look-up-or-verify path.
 *
 * Who verified the certificate matters: our handshake asks for it on
 * enabled vhosts and verifies it against our policy; mod_ssl verifies it
 * for its own SSLVerifyClient (renegotiation, post-handshake
 * authentication). mod_ssl's conclusions stay mod_ssl's; ours tell the TLS
 * layer's verify result (SSL_CLIENT_VERIFY) only about certificates we asked
 * for.
 */
#ifndef CFAOP_CONN_H
#define CFAOP_CONN_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "aop_policy.h"
#include "cfaop_cache.h"

typedef struct cfaop_conn cfaop_conn;

/* What a request learns about its connection's client certificate. */
typedef struct cfaop_peer {
    int tls;                 /* the connection is TLS through mod_ssl */
    SSL_CTX *handshake_ctx;  /* the context (vhost) the handshake selected */
    int has_cert;
    int by_modssl;           /* mod_ssl verified it for its own policy */
    unsigned int generation; /* which certificate of the connection */
    aop_result result;
    /* valid as long as the connection, NULL without a certificate */
    const char *sha256_hex;
    const char *subject_dn;
    const char *issuer_dn;
    const char *not_after;
} cfaop_peer;

/* The record of a new TLS connection, NULL when it cannot be made. */
cfaop_conn *cfaop_conn_make(conn_rec *c, SSL *ssl);
/* The record of c's TLS connection (c->master's for HTTP/2 streams). */
cfaop_conn *cfaop_conn_get(conn_rec *c);

/* This generation's per-process cache; NULL only makes it slower. */
void cfaop_conn_use_cache(cfaop_cache *cache);

/* Our handshake's verification of `leaf` against `zone`, the policy of the
 * vhost the handshake selected, remembered for the requests to come. */
void cfaop_conn_verify_handshake(cfaop_conn *cc, conn_rec *c,
                                 const aop_policy *zone, X509 *leaf,
                                 STACK_OF(X509) *peer_chain);
/* mod_ssl is verifying `leaf` for its own policy. */
void cfaop_conn_note_modssl(cfaop_conn *cc, X509 *leaf);

/*
 * The functions below are called by requests: `shared` (or a request whose
 * connection has a master) says it is a stream of an HTTP/2 connection,
 * which other streams use at the same time.
 */

/* The connection's current certificate, without judging it. */
void cfaop_conn_state(cfaop_conn *cc, cfaop_peer *peer, int shared);
/* Judges the connection's current certificate against `policy` at the
 * request's time. Chain verification happens at most once per certificate,
 * trust store and security level; validity and pins every time. */
void cfaop_conn_judge(cfaop_conn *cc, request_rec *r, const aop_policy *policy,
                      cfaop_peer *peer);
/*
 * Whether the connection's certificate is still the one `peer` saw (0 when
 * mod_ssl has asked the client again since). If so and `tell`, sets the
 * verify result that mod_ssl reports (SSL_CLIENT_VERIFY) to `error`, unless
 * mod_ssl verified the certificate itself. On a `shared` connection
 * (HTTP/2), whose streams read one result concurrently, a failure is never
 * taken back.
 */
int cfaop_conn_tell_tls(cfaop_conn *cc, const cfaop_peer *peer, int tell,
                        long error, int shared);

#endif /* CFAOP_CONN_H */
