/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_local: local certificate checks and fingerprints, on top of the core
 * (aop_cert). Every upload goes through tool_local_load and
 * tool_local_check_upload first, so a certificate the API would reject, or
 * that would break the origin, is refused before any request is made.
 */
#ifndef TOOL_LOCAL_H
#define TOOL_LOCAL_H

#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "aop_cert.h"
#include "tool.h"

typedef enum tool_cert_kind {
    TOOL_CERT_ZONE = 0,
    TOOL_CERT_HOSTNAME
} tool_cert_kind;

/* Longest subject CN kept for display, with the NUL. */
#define TOOL_CN_LEN 256

/* What the tool shows of a certificate next to its id, computed locally
 * from the certificate (never taken from the API when the PEM is there). */
typedef struct tool_cert_facts {
    char sha256[AOP_SHA256_HEXLEN]; /* SHA-256 of the DER; "" when unknown */
    char subject_cn[TOOL_CN_LEN];   /* "" when unknown or none */
    char expires_on[32];            /* notAfter, RFC 3339; "" when unknown */
    int days_left;
    int have_days;
} tool_cert_facts;

typedef struct tool_local_cert {
    STACK_OF(X509) * certs; /* the certificate file, leaf first */
    X509 *leaf;             /* certs[0], not owned */
    EVP_PKEY *key;
    tool_cert_facts facts; /* of the leaf */
} tool_local_cert;

/*
 * Loads --cert and --key and checks them: the PEM parses, the key matches
 * the certificate, the certificate is valid now (a warning within
 * TOOL_EXPIRY_WARN_DAYS), and a hostname certificate is a leaf. Returns
 * TOOL_EXIT_OK or an exit code after printing why.
 */
int tool_local_load(tool_ctx *ctx, tool_cert_kind kind, tool_local_cert *lc);
/*
 * The checks of a certificate about to be uploaded, besides those of
 * tool_local_load: what would make an origin refuse it, or trust more than
 * it should. Refused (an exit code, after saying why): an extendedKeyUsage
 * without clientAuth. Warned about: an issuer in this system's trust store
 * (a public CA), an algorithm this OpenSSL cannot verify.
 */
int tool_local_check_upload(tool_ctx *ctx, const tool_local_cert *lc);
void tool_local_free(tool_local_cert *lc);

/* The upload body {"certificate": PEM, "private_key": PEM}. The key is
 * encoded in memory only; release with tool_local_body_free, which wipes it. */
json_t *tool_local_body(const tool_local_cert *lc);
void tool_local_body_free(json_t *body);

/* The leaf of certificates as the API gives them: the first that is not a
 * CA (the others are the chain sent along), else the first. */
X509 *tool_pem_leaf(STACK_OF(X509) * certs);

/* The facts of one certificate at `now`; -1 when its fingerprint or dates
 * cannot be read (the CN may be missing: that is no error). */
int tool_cert_facts_read(X509 *x, time_t now, tool_cert_facts *f);

/* The facts of the leaf of a PEM text; -1 when it does not parse. */
int tool_pem_facts(const char *pem, time_t now, tool_cert_facts *f);

/*
 * The facts of a certificate the API returned: from its "certificate" PEM,
 * else only the expiry, from its "expires_on". Never trusts the API for a
 * fingerprint.
 */
void tool_remote_facts(const json_t *obj, tool_cert_facts *f);

/* Sets sha256, subject_cn, expires_on and days_left of `obj` (null for an
 * unknown one). */
void tool_cert_facts_json(const tool_cert_facts *f, json_t *obj);

/* Room for tool_cert_about's text. */
#define TOOL_ABOUT_LEN (TOOL_CN_LEN + 128)

/* "CN=..., expires ..., N days left" of a certificate object that carries
 * the fields of tool_cert_facts_json: what every line that names a
 * certificate id puts next to it. Returns buf. */
const char *tool_cert_about(const json_t *obj, char *buf, size_t len);

/* "ALG, which this machine's OpenSSL VERSION cannot verify; OpenSSL N or
 * later can" for an algorithm aop_cert_algorithms_supported named. Returns
 * buf. */
const char *tool_algorithm_note(const char *alg, char *buf, size_t len);

#endif /* TOOL_LOCAL_H */
