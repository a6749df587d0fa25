/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * aop_policy: the acceptance rule, the same for a zone (vhost) and for a
 * hostname. A leaf is accepted when it is within its validity
 * period, and (no anchors or it chains to an anchor), and (no pins or it
 * matches a pin). A policy is immutable once built and safe to share
 * between threads and virtual hosts.
 */
#ifndef AOP_POLICY_H
#define AOP_POLICY_H

#include <openssl/x509_vfy.h>

#include "aop_cert.h"
#include "aop_pin.h"

typedef enum aop_verdict {
    AOP_VERDICT_OK = 0,
    AOP_VERDICT_NO_CERT,
    AOP_VERDICT_EXPIRED,
    AOP_VERDICT_NOT_YET_VALID,
    AOP_VERDICT_UNTRUSTED,
    AOP_VERDICT_PIN_MISMATCH,
    AOP_VERDICT_REVOKED,
    AOP_VERDICT_UNSUPPORTED_ALGORITHM,
    AOP_VERDICT_INTERNAL
} aop_verdict;

/* Short reason as in CFAOP_VERIFY_ERROR ("untrusted", "pin-mismatch", ...). */
const char *aop_verdict_reason(aop_verdict v);

/* Facts about a client leaf that every policy check needs; computed once. */
typedef struct aop_leaf {
    X509 *cert; /* not owned */
    unsigned char sha256[AOP_SHA256_LEN];
    unsigned char spki_sha256[AOP_SHA256_LEN];
    time_t not_before, not_after; /* decoded once: checked at every request */
} aop_leaf;

int aop_leaf_init(aop_leaf *leaf, X509 *cert);

/* Outcome of an X509 chain verification: X509_V_OK or the first error. */
typedef struct aop_chain_result {
    int error;
    int depth;
    time_t valid_until;  /* X509_V_OK: the verified chain's earliest notAfter */
    int used_peer_chain; /* X509_V_OK: an intermediate came from the peer, so
                            the leaf alone would not verify */
    /* On failure: an algorithm of the chain that this OpenSSL cannot use
     * (ML-DSA before OpenSSL 3.5, say), "" when none was in the way. */
    char unsupported[AOP_ALGORITHM_LEN];
} aop_chain_result;

typedef struct aop_result {
    aop_verdict verdict;
    aop_chain_result chain; /* meaningful for AOP_VERDICT_UNTRUSTED */
} aop_result;

/* The X509_V_* error a TLS layer would report for this result: X509_V_OK
 * for AOP_VERDICT_OK and AOP_VERDICT_NO_CERT (nothing was verified). */
long aop_result_x509_error(const aop_result *res);

typedef struct aop_policy aop_policy;

aop_policy *aop_policy_new(void);
void aop_policy_free(aop_policy *p);
/* The anchor must be a CA certificate; the policy takes its own reference. */
int aop_policy_add_anchor(aop_policy *p, X509 *ca, aop_error *err);
/* Every certificate of `cas` as an anchor, in time linear in their number
 * (a loop of aop_policy_add_anchor is quadratic); all must be CA
 * certificates, else nothing is added. The same certificate twice is kept
 * once. */
int aop_policy_add_anchors(aop_policy *p, STACK_OF(X509) *cas, aop_error *err);
int aop_policy_add_pin(aop_policy *p, const aop_pin *pin);
/* A CRL for the policy's chains: it must be issued and signed by one of the
 * anchors already added. From the first CRL on, every certificate of a
 * chain whose issuer has a CRL is checked against it; a revoked leaf or
 * intermediate fails with X509_V_ERR_CERT_REVOKED (AOP_VERDICT_REVOKED), a
 * CRL past its nextUpdate with X509_V_ERR_CRL_HAS_EXPIRED. The policy takes
 * its own reference. */
int aop_policy_add_crl(aop_policy *p, X509_CRL *crl, aop_error *err);

/* The trust store, NULL when the policy has no anchors. */
X509_STORE *aop_policy_store(const aop_policy *p);

/*
 * Verifies `leaf` against the anchors as a TLS server verifies a client
 * (purpose sslclient) at time `now`, with `untrusted` as intermediates when
 * not NULL. `auth_level` is the OpenSSL security level of the verification
 * (SSL_get_security_level of the connection): weak keys and signatures that
 * a handshake refuses are refused here too, whoever asks.
 */
void aop_policy_verify_chain(const aop_policy *p, X509 *leaf,
                             STACK_OF(X509) *untrusted, time_t now,
                             int auth_level, aop_chain_result *out);

/*
 * Applies the whole rule to a leaf. `chain` is the result of
 * aop_policy_verify_chain for this policy and leaf; it is required when the
 * policy has anchors (without it the verdict is AOP_VERDICT_INTERNAL) and
 * ignored otherwise. `leaf` NULL gives AOP_VERDICT_NO_CERT.
 */
void aop_policy_check(const aop_policy *p, const aop_leaf *leaf,
                      const aop_chain_result *chain, time_t now,
                      aop_result *res);

#endif /* AOP_POLICY_H */
