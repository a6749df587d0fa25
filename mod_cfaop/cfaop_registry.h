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

/* The shared policy for these anchors and pins (both arrays may be NULL);
 * `ptemp` serves the look-up only. */
const cfaop_policy *cfaop_registry_policy(cfaop_registry *reg, apr_pool_t *ptemp,
                                          const apr_array_header_t *anchor_files,
                                          const apr_array_header_t *pins,
                                          const char **err);

/* How many distinct files and policies this generation holds. */
void cfaop_registry_counts(const cfaop_registry *reg, int *files, int *policies);

/* This generation's policies, in the order of their ids (const cfaop_policy *). */
const apr_array_header_t *cfaop_registry_policies(const cfaop_registry *reg);

/* Every certificate a policy names: anchors (`pin` 0) and certificates of
 * pin files (`pin` 1), with the file they come from, once per policy. */
typedef void cfaop_registry_cert_fn(void *baton, X509 *x, int pin,
                                    const cfaop_certfile *file);
void cfaop_registry_each_cert(const cfaop_registry *reg, cfaop_registry_cert_fn *fn,
                              void *baton);

#endif /* CFAOP_REGISTRY_H */
