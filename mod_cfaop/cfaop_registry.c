/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"

#include "aop_cert.h"
#include "cfaop_registry.h"

#define CFAOP_REGISTRY_KEY "cfaop-registry"

struct cfaop_registry {
    apr_pool_t *pool;
    apr_hash_t *files;    /* name -> cfaop_certfile */
    apr_hash_t *crlfiles; /* name -> cfaop_crlfile */
    apr_hash_t *policies; /* key -> cfaop_policy */
    apr_array_header_t *by_id; /* const cfaop_policy *, id 1 first */
    X509_STORE *system_store;
    int system_store_loaded;
};

static apr_status_t cfaop_certfile_cleanup(void *data)
{
    cfaop_certfile *f = data;

    aop_certs_free(f->certs);
    f->certs = NULL;
    return APR_SUCCESS;
}

static apr_status_t cfaop_crlfile_cleanup(void *data)
{
    cfaop_crlfile *f = data;

    aop_crls_free(f->crls);
    f->crls = NULL;
    return APR_SUCCESS;
}

static apr_status_t cfaop_policy_cleanup(void *data)
{
    cfaop_policy *p = data;

    aop_policy_free(p->core);
    p->core = NULL;
    return APR_SUCCESS;
}

cfaop_registry *cfaop_registry_get(apr_pool_t *pconf)
{
    void *data = NULL;
    cfaop_registry *reg;

    apr_pool_userdata_get(&data, CFAOP_REGISTRY_KEY, pconf);
    if (data) {
        return data;
    }
    reg = apr_pcalloc(pconf, sizeof(*reg));
    reg->pool = pconf;
    reg->files = apr_hash_make(pconf);
    reg->crlfiles = apr_hash_make(pconf);
    reg->policies = apr_hash_make(pconf);
    reg->by_id = apr_array_make(pconf, 8, sizeof(const cfaop_policy *));
    apr_pool_userdata_set(reg, CFAOP_REGISTRY_KEY, apr_pool_cleanup_null, pconf);
    return reg;
}

/* The entry of `files` for the file `arg` names, resolved against
 * ServerRoot; when there is none, *name is the resolved name, copied into
 * the registry's pool. Every enabled vhost asks: what resolving allocates
 * is dropped at once. */
static void *cfaop_registry_find(cfaop_registry *reg, apr_hash_t *files,
                                 apr_pool_t *ptemp, const char *arg,
                                 const char **name, const char **err)
{
    apr_pool_t *scratch;
    const char *path;
    void *entry = NULL;

    *name = NULL;
    apr_pool_create(&scratch, ptemp);
    path = ap_server_root_relative(scratch, arg);
    if (!path) {
        *err = apr_psprintf(ptemp, "%s: invalid file path", arg);
        goto cleanup;
    }
    entry = apr_hash_get(files, path, APR_HASH_KEY_STRING);
    if (!entry) {
        *name = apr_pstrdup(reg->pool, path);
    }

cleanup:
    apr_pool_destroy(scratch);
    return entry;
}

const cfaop_certfile *cfaop_registry_file(cfaop_registry *reg, apr_pool_t *ptemp,
                                          const char *arg, int allow_builtin,
                                          int *fresh, const char **err)
{
    cfaop_certfile *f;
    const char *name = NULL;
    aop_error aerr;
    int builtin = !strcasecmp(arg, AOP_CLOUDFLARE_ANCHOR);
    int rv;

    *fresh = 0;
    if (builtin && !allow_builtin) {
        *err = "the built-in 'cloudflare' anchor cannot be used here";
        return NULL;
    }
    if (builtin) {
        f = apr_hash_get(reg->files, AOP_CLOUDFLARE_ANCHOR, APR_HASH_KEY_STRING);
        if (!f) {
            name = apr_pstrdup(reg->pool, AOP_CLOUDFLARE_ANCHOR);
        }
    }
    else {
        f = cfaop_registry_find(reg, reg->files, ptemp, arg, &name, err);
    }
    if (f || !name) {
        return f;
    }
    f = apr_pcalloc(reg->pool, sizeof(*f));
    f->name = name;
    f->builtin = builtin;
    if (builtin) {
        rv = aop_pem_load_mem(aop_cloudflare_ca_pem, strlen(aop_cloudflare_ca_pem),
                              "built-in Cloudflare origin-pull CA", &f->certs, &aerr);
    }
    else {
        rv = aop_pem_load_file(f->name, &f->certs, &aerr);
    }
    if (rv != 0) {
        *err = apr_pstrdup(ptemp, aerr.msg);
        return NULL;
    }
    apr_pool_cleanup_register(reg->pool, f, cfaop_certfile_cleanup,
                              apr_pool_cleanup_null);
    apr_hash_set(reg->files, f->name, APR_HASH_KEY_STRING, f);
    *fresh = 1;
    return f;
}

const cfaop_crlfile *cfaop_registry_crlfile(cfaop_registry *reg, apr_pool_t *ptemp,
                                            const char *arg, int *fresh,
                                            const char **err)
{
    const char *name;
    cfaop_crlfile *f;
    aop_error aerr;

    *fresh = 0;
    f = cfaop_registry_find(reg, reg->crlfiles, ptemp, arg, &name, err);
    if (f || !name) {
        return f;
    }
    f = apr_pcalloc(reg->pool, sizeof(*f));
    f->name = name;
    if (aop_crl_load_file(f->name, &f->crls, &aerr) != 0) {
        *err = apr_pstrdup(ptemp, aerr.msg);
        return NULL;
    }
    apr_pool_cleanup_register(reg->pool, f, cfaop_crlfile_cleanup, apr_pool_cleanup_null);
    apr_hash_set(reg->crlfiles, f->name, APR_HASH_KEY_STRING, f);
    *fresh = 1;
    return f;
}

/* Identity of a policy: the files (by address, they are unique per name)
 * and the pin digests, in configuration order. */
static const char *cfaop_policy_key(apr_pool_t *p,
                                    const apr_array_header_t *anchor_files,
                                    const apr_array_header_t *pins,
                                    const apr_array_header_t *crls)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));
    char text[AOP_PIN_TEXTLEN];
    int i;

    for (i = 0; anchor_files && i < anchor_files->nelts; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p, "a:%pp",
            APR_ARRAY_IDX(anchor_files, i, const cfaop_certfile *));
    }
    for (i = 0; pins && i < pins->nelts; i++) {
        aop_pin_format(&APR_ARRAY_IDX(pins, i, cfaop_pin).pin, text);
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p, "p:", text, NULL);
    }
    for (i = 0; crls && i < crls->nelts; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p, "c:%pp",
            APR_ARRAY_IDX(crls, i, cfaop_crlref).file);
    }
    return apr_array_pstrcat(p, parts, ';');
}

const cfaop_policy *cfaop_registry_policy(cfaop_registry *reg, apr_pool_t *ptemp,
                                          const apr_array_header_t *anchor_files,
                                          const apr_array_header_t *pins,
                                          const apr_array_header_t *crls,
                                          const char **err)
{
    /* Asked once per enabled vhost: the key of a policy that exists
     * already must not stay in the configuration pool. */
    const char *key = cfaop_policy_key(ptemp, anchor_files, pins, crls);
    cfaop_policy *pol = apr_hash_get(reg->policies, key, APR_HASH_KEY_STRING);
    aop_error aerr;
    int i, j;

    if (pol) {
        return pol;
    }
    pol = apr_pcalloc(reg->pool, sizeof(*pol));
    pol->core = aop_policy_new();
    if (!pol->core) {
        *err = "out of memory";
        return NULL;
    }
    apr_pool_cleanup_register(reg->pool, pol, cfaop_policy_cleanup,
                              apr_pool_cleanup_null);
    pol->id = reg->by_id->nelts + 1;
    pol->anchor_files = anchor_files
        ? apr_array_copy(reg->pool, anchor_files)
        : apr_array_make(reg->pool, 1, sizeof(const cfaop_certfile *));
    pol->pins = pins ? apr_array_copy(reg->pool, pins)
                     : apr_array_make(reg->pool, 1, sizeof(cfaop_pin));
    pol->crls = crls ? apr_array_copy(reg->pool, crls)
                     : apr_array_make(reg->pool, 1, sizeof(cfaop_crlref));
    for (i = 0; i < pol->anchor_files->nelts; i++) {
        const cfaop_certfile *f = APR_ARRAY_IDX(pol->anchor_files, i,
                                                const cfaop_certfile *);

        if (aop_policy_add_anchors(pol->core, f->certs, &aerr)) {
            *err = apr_psprintf(reg->pool, "%s: %s", f->name, aerr.msg);
            return NULL;
        }
    }
    for (i = 0; i < pol->pins->nelts; i++) {
        if (aop_policy_add_pin(pol->core, &APR_ARRAY_IDX(pol->pins, i, cfaop_pin).pin)) {
            *err = "out of memory";
            return NULL;
        }
    }
    for (i = 0; i < pol->crls->nelts; i++) {
        const cfaop_crlref *ref = &APR_ARRAY_IDX(pol->crls, i, cfaop_crlref);

        for (j = 0; j < sk_X509_CRL_num(ref->file->crls); j++) {
            if (aop_policy_add_crl(pol->core, sk_X509_CRL_value(ref->file->crls, j),
                                   &aerr)) {
                *err = apr_psprintf(reg->pool, "%s (%s): CRL %d: %s", ref->file->name,
                                    ref->where, j + 1, aerr.msg);
                return NULL;
            }
        }
    }
    apr_hash_set(reg->policies, apr_pstrdup(reg->pool, key), APR_HASH_KEY_STRING, pol);
    APR_ARRAY_PUSH(reg->by_id, const cfaop_policy *) = pol;
    return pol;
}

void cfaop_registry_counts(const cfaop_registry *reg, int *files, int *crlfiles,
                           int *policies)
{
    *files = (int)apr_hash_count(reg->files);
    *crlfiles = (int)apr_hash_count(reg->crlfiles);
    *policies = (int)apr_hash_count(reg->policies);
}

static apr_status_t cfaop_system_store_cleanup(void *data)
{
    X509_STORE_free(data);
    return APR_SUCCESS;
}

X509_STORE *cfaop_registry_system_store(cfaop_registry *reg)
{
    if (!reg->system_store_loaded) {
        reg->system_store_loaded = 1;
        reg->system_store = aop_system_store_load();
        if (reg->system_store) {
            apr_pool_cleanup_register(reg->pool, reg->system_store,
                                      cfaop_system_store_cleanup, apr_pool_cleanup_null);
        }
    }
    return reg->system_store;
}

const apr_array_header_t *cfaop_registry_policies(const cfaop_registry *reg)
{
    return reg->by_id;
}

void cfaop_registry_each_cert(const cfaop_registry *reg, cfaop_registry_cert_fn *fn,
                              void *baton)
{
    int i, k, n;

    for (n = 0; n < reg->by_id->nelts; n++) {
        const cfaop_policy *pol = APR_ARRAY_IDX(reg->by_id, n, const cfaop_policy *);

        for (i = 0; i < pol->anchor_files->nelts; i++) {
            const cfaop_certfile *f = APR_ARRAY_IDX(pol->anchor_files, i,
                                                    const cfaop_certfile *);

            for (k = 0; k < sk_X509_num(f->certs); k++) {
                fn(baton, sk_X509_value(f->certs, k), 0, f);
            }
        }
        for (i = 0; i < pol->pins->nelts; i++) {
            const cfaop_pin *pin = &APR_ARRAY_IDX(pol->pins, i, cfaop_pin);

            if (pin->file) {
                fn(baton, sk_X509_value(pin->file->certs, pin->index), 1, pin->file);
            }
        }
    }
}

void cfaop_registry_each_crl(const cfaop_registry *reg, cfaop_registry_crl_fn *fn,
                             void *baton)
{
    int i, k, n;

    for (n = 0; n < reg->by_id->nelts; n++) {
        const cfaop_policy *pol = APR_ARRAY_IDX(reg->by_id, n, const cfaop_policy *);

        for (i = 0; i < pol->crls->nelts; i++) {
            const cfaop_crlfile *f = APR_ARRAY_IDX(pol->crls, i, cfaop_crlref).file;

            for (k = 0; k < sk_X509_CRL_num(f->crls); k++) {
                fn(baton, sk_X509_CRL_value(f->crls, k), f);
            }
        }
    }
}
