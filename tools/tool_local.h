/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_local: local certificate checks and fingerprints, on top of the core
 * (aop_cert). Every upload goes through tool_local_load first, so a
 * certificate the API would reject, or that would break the origin, is
 * refused before any request is made.
 */
#ifndef TOOL_LOCAL_H
#define TOOL_LOCAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "aop_cert.h"
#include "tool.h"

typedef enum tool_cert_kind {
    TOOL_CERT_ZONE = 0,
    TOOL_CERT_HOSTNAME
} tool_cert_kind;

typedef struct tool_local_cert {
    STACK_OF(X509) * certs; /* the certificate file, leaf first */
    X509 *leaf;             /* certs[0], not owned */
    EVP_PKEY *key;
    char sha256[AOP_SHA256_HEXLEN];
    char not_after[32]; /* RFC 3339 */
    int days_left;
} tool_local_cert;

/*
 * Loads --cert and --key and checks them: the PEM parses, the key matches
 * the certificate, the certificate is valid now (a warning within
 * TOOL_EXPIRY_WARN_DAYS), and a hostname certificate is a leaf. Returns
 * TOOL_EXIT_OK or an exit code after printing why.
 */
int tool_local_load(tool_ctx *ctx, tool_cert_kind kind, tool_local_cert *lc);
void tool_local_free(tool_local_cert *lc);

/* The upload body {"certificate": PEM, "private_key": PEM}. The key is
 * encoded in memory only; release with tool_local_body_free, which wipes it. */
json_t *tool_local_body(const tool_local_cert *lc);
void tool_local_body_free(json_t *body);

/*
 * Facts computed locally from a certificate the API returned (its
 * "certificate" PEM, else its "expires_on"): SHA-256 of the leaf DER (empty
 * string when there is no PEM) and whole days left (*have_days 0 when
 * unknown). Never trusts the API for a fingerprint.
 */
void tool_remote_facts(const json_t *obj, char sha256[AOP_SHA256_HEXLEN],
                       int *days_left, int *have_days);

#endif /* TOOL_LOCAL_H */
