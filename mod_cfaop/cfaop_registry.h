/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_registry: every CA and pin file is parsed once per configuration
 * generation and shared by all virtual hosts that name it; so is every
 * policy built from the same anchors and pins. A server with 10,000 vhosts
 * naming one file holds one copy of it and one X509_STORE.
 *
 * The registry lives in pconf (cleared on every restart), so objects never
 * outlive the configuration that named them.
 */
#ifndef CFAOP_REGISTRY_H
#define CFAOP_REGISTRY_H

#include "httpd.h"
#include "http_config.h"

#include "aop_policy.h"

/* One loaded PEM file, or the built-in Cloudflare anchor. */
typedef struct cfaop_certfile {
    const char *name;       /* absolute path, or "cloudflare" */
    STACK_OF(X509) *certs;
    int builtin;
} cfaop_certfile;

/* One loaded PEM file of CRLs. */
typedef struct cfaop_crlfile {
    const char *name;       /* absolute path */
    STACK_OF(X509_CRL) *crls;
} cfaop_crlfile;

/* A CRL file as a directive named it. */
typedef struct cfaop_crlref {
    const cfaop_crlfile *file;
    const char *where;      /* "line N of FILE", for messages */
} cfaop_crlref;

/* A pin as configured: its digest, and the file it was computed from
 * (NULL when written as sha256:/spki-sha256:). */
typedef struct cfaop_pin {
    aop_pin pin;
    const cfaop_certfile *file;
    int index;                         /* of the certificate in `file` */
} cfaop_pin;

/* A policy as the module uses it: the core rule plus what it was built from. */
typedef struct cfaop_policy {
    aop_policy *core;
    int id;                            /* for logs and dumps */
    apr_array_header_t *anchor_files;  /* const cfaop_certfile * */
    apr_array_header_t *pins;          /* cfaop_pin */
    apr_array_header_t *crls;          /* cfaop_crlref */
} cfaop_policy;

typedef struct cfaop_registry cfaop_registry;

cfaop_registry *cfaop_registry_get(apr_pool_t *pconf);

/*
 * Loads (or finds) a certificate file named by a directive. `arg` is
 * "cloudflare" (only when allow_builtin) or a path relative to ServerRoot.
 * *fresh is 1 when this call parsed the file (for one-time warnings).
 * Returns NULL and sets *err on failure.
 */
const cfaop_certfile *cfaop_registry_file(cfaop_registry *reg, apr_pool_t *ptemp,
                                          const char *arg, int allow_builtin,
                                          int *fresh, const char **err);

/* Loads (or finds) a CRL file named by a directive (a path relative to
 * ServerRoot). *fresh as for certificate files. */
const cfaop_crlfile *cfaop_registry_crlfile(cfaop_registry *reg, apr_pool_t *ptemp,
                                            const char *arg, int *fresh,
                                            const char **err);

/* The shared policy for these anchors, pins and CRLs (each array may be
 * NULL); `ptemp` serves the look-up only. A CRL no anchor of the policy
 * signed is an error. */
const cfaop_policy *cfaop_registry_policy(cfaop_registry *reg, apr_pool_t *ptemp,
                                          const apr_array_header_t *anchor_files,
                                          const apr_array_header_t *pins,
                                          const apr_array_header_t *crls,
                                          const char **err);

/* This system's trust store, loaded on first use for this configuration
 * (NULL when it cannot be read). */
X509_STORE *cfaop_registry_system_store(cfaop_registry *reg);

/* How many distinct certificate files, CRL files and policies this
 * generation holds. */
void cfaop_registry_counts(const cfaop_registry *reg, int *files, int *crlfiles,
                           int *policies);

/* This generation's policies, in the order of their ids (const cfaop_policy *). */
const apr_array_header_t *cfaop_registry_policies(const cfaop_registry *reg);

/* Every certificate a policy names: anchors (`pin` 0) and certificates of
 * pin files (`pin` 1), with the file they come from, once per policy. */
typedef void cfaop_registry_cert_fn(void *baton, X509 *x, int pin,
                                    const cfaop_certfile *file);
void cfaop_registry_each_cert(const cfaop_registry *reg, cfaop_registry_cert_fn *fn,
                              void *baton);

/* Every CRL of every policy, once per policy. */
typedef void cfaop_registry_crl_fn(void *baton, X509_CRL *crl, const cfaop_crlfile *file);
void cfaop_registry_each_crl(const cfaop_registry *reg, cfaop_registry_crl_fn *fn,
                             void *baton);

#endif /* CFAOP_REGISTRY_H */
