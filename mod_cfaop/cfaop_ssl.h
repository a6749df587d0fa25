/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_ssl: what mod_cfaop does inside mod_ssl. For every enabled vhost the
 * SSL_CTX asks for a client certificate and verifies it against the zone
 * policy's own trust store; the handshake is never failed here, the outcome
 * is recorded on the connection and the decision is taken per request
 * (cfaop_request.c), where the request's vhost and hostname are known.
 */
#ifndef CFAOP_SSL_H
#define CFAOP_SSL_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "aop_policy.h"

/* What a request learns about its connection's client certificate. */
typedef struct cfaop_peer {
    int tls;                 /* the connection is TLS through mod_ssl */
    SSL_CTX *handshake_ctx;  /* the context (vhost) the handshake selected */
    int has_cert;
    aop_result result;
    /* copies in the request pool, NULL without a certificate */
    const char *sha256_hex;
    const char *subject_dn;
    const char *issuer_dn;
    const char *not_after;
} cfaop_peer;

void cfaop_ssl_register_hooks(void);

/*
 * Judges the certificate of r's connection (the master connection for
 * HTTP/2 streams) against `policy`. Chain verification happens at most once
 * per connection and trust store (the handshake's counts); validity and pins
 * are re-checked every time, which is cheap.
 */
void cfaop_ssl_judge(request_rec *r, const aop_policy *policy, cfaop_peer *peer);

#endif /* CFAOP_SSL_H */
