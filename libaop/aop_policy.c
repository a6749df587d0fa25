/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "aop_policy.h"

struct aop_policy {
    X509_STORE *store;       /* NULL until the first anchor */
    int crls;                /* CRLs in the store */
    STACK_OF(X509) *revoked_anchors; /* anchors a CRL of their issuer lists */
    aop_pin *pins;
    int npins;
    int pins_cap;
};

const char *aop_verdict_reason(aop_verdict v)
{
    switch (v) {
    case AOP_VERDICT_OK:            return "ok";
    case AOP_VERDICT_NO_CERT:       return "no-certificate";
    case AOP_VERDICT_EXPIRED:       return "expired";
    case AOP_VERDICT_NOT_YET_VALID: return "not-yet-valid";
    case AOP_VERDICT_UNTRUSTED:     return "untrusted";
    case AOP_VERDICT_PIN_MISMATCH:  return "pin-mismatch";
    case AOP_VERDICT_REVOKED:       return "revoked";
    case AOP_VERDICT_UNSUPPORTED_ALGORITHM: return "unsupported-algorithm";
    case AOP_VERDICT_INTERNAL:      break;
    }
    return "internal-error";
}

int aop_leaf_init(aop_leaf *leaf, X509 *cert)
{
    memset(leaf, 0, sizeof(*leaf));
    leaf->cert = cert;
    if (aop_cert_sha256(cert, leaf->sha256) != 0
        || aop_spki_sha256(cert, leaf->spki_sha256) != 0
        || aop_cert_bounds(cert, &leaf->not_before, &leaf->not_after) != 0) {
        return -1;
    }
    return 0;
}

aop_policy *aop_policy_new(void)
{
    return calloc(1, sizeof(aop_policy));
}

void aop_policy_free(aop_policy *p)
{
    if (!p) {
        return;
    }
    X509_STORE_free(p->store);
    sk_X509_pop_free(p->revoked_anchors, X509_free);
    free(p->pins);
    free(p);
}

static int aop_policy_make_store(aop_policy *p, aop_error *err)
{
    if (p->store) {
        return 0;
    }
    p->store = X509_STORE_new();
    if (!p->store) {
        aop_error_set(err, "out of memory");
        return -1;
    }
    /* Every configured CA is an anchor, intermediates included: trusting
     * only an intermediate must not require trusting its root too. */
    X509_STORE_set_flags(p->store, X509_V_FLAG_PARTIAL_CHAIN);
    return 0;
}

int aop_policy_add_anchor(aop_policy *p, X509 *ca, aop_error *err)
{
    if (!aop_cert_is_ca(ca)) {
        aop_error_set(err, "not a CA certificate (basicConstraints CA:FALSE); "
                      "to trust this exact certificate, pin it instead");
        return -1;
    }
    if (aop_policy_make_store(p, err) != 0) {
        return -1;
    }
    /* The store takes its own reference; a certificate it already holds is
     * not an error. */
    if (X509_STORE_add_cert(p->store, ca) != 1) {
        ERR_clear_error();
        aop_error_set(err, "cannot add the certificate to a trust store");
        return -1;
    }
    return 0;
}

/* Drops the second and later copies of one certificate from a sorted
 * object list: copies have the same subject, so they sit in one run of
 * equal subjects, which is short. */
static void aop_store_drop_copies(STACK_OF(X509_OBJECT) *objs)
{
    int i = 1, k;

    while (i < sk_X509_OBJECT_num(objs)) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        int copy = 0;

        for (k = i - 1; k >= 0 && !copy; k--) {
            X509 *y = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, k));

            if (!x || !y || X509_subject_name_cmp(x, y) != 0) {
                break;
            }
            copy = X509_cmp(x, y) == 0;
        }
        if (copy) {
            X509_OBJECT_free(sk_X509_OBJECT_delete(objs, i));
        }
        else {
            i++;
        }
    }
}

int aop_policy_add_anchors(aop_policy *p, STACK_OF(X509) *cas, aop_error *err)
{
    STACK_OF(X509_OBJECT) *objs;
    int i, rv = -1;

    for (i = 0; i < sk_X509_num(cas); i++) {
        if (!aop_cert_is_ca(sk_X509_value(cas, i))) {
            aop_error_set(err, "certificate %d: not a CA certificate "
                          "(basicConstraints CA:FALSE); to trust this exact "
                          "certificate, pin it instead", i + 1);
            return -1;
        }
    }
    if (sk_X509_num(cas) == 0) {
        return 0;
    }
    if (aop_policy_make_store(p, err) != 0 || !X509_STORE_lock(p->store)) {
        return -1;
    }
    /* X509_STORE_add_cert looks for a copy with sk_X509_OBJECT_find, which
     * sorts the whole list again after every push: n anchors, n sorts
     * (OpenSSL 3.0; 5,000 anchors took 13x the time of 1,000). Appended
     * here, the list is sorted once; copies are dropped as
     * X509_STORE_add_cert drops them. Nothing verifies against the store
     * while a policy is built. */
    objs = X509_STORE_get0_objects(p->store);
    for (i = 0; i < sk_X509_num(cas); i++) {
        X509_OBJECT *obj = X509_OBJECT_new();

        if (!obj || !X509_OBJECT_set1_X509(obj, sk_X509_value(cas, i))
            || !sk_X509_OBJECT_push(objs, obj)) {
            X509_OBJECT_free(obj);
            aop_error_set(err, "out of memory");
            goto cleanup;
        }
    }
    sk_X509_OBJECT_sort(objs);
    aop_store_drop_copies(objs);
    rv = 0;

cleanup:
    X509_STORE_unlock(p->store);
    ERR_clear_error();
    return rv;
}

int aop_policy_add_pin(aop_policy *p, const aop_pin *pin)
{
    aop_pin *grown;
    int i;

    for (i = 0; i < p->npins; i++) {
        if (aop_pin_equal(&p->pins[i], pin)) {
            return 0;
        }
    }
    if (p->npins == p->pins_cap) {
        int cap = p->pins_cap ? 2 * p->pins_cap : 4;

        grown = realloc(p->pins, (size_t)cap * sizeof(*grown));
        if (!grown) {
            return -1;
        }
        p->pins = grown;
        p->pins_cap = cap;
    }
    p->pins[p->npins++] = *pin;
    return 0;
}

int aop_policy_add_crl(aop_policy *p, X509_CRL *crl, aop_error *err)
{
    STACK_OF(X509_OBJECT) *objs = p->store ? X509_STORE_get0_objects(p->store) : NULL;
    const X509_NAME *issuer = X509_CRL_get_issuer(crl);
    EVP_PKEY *key;
    int i, signed_by_anchor = 0;

    for (i = 0; i < sk_X509_OBJECT_num(objs) && !signed_by_anchor; i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

        if (ca && X509_NAME_cmp(X509_get_subject_name(ca), issuer) == 0
            && (key = X509_get0_pubkey(ca)) != NULL) {
            signed_by_anchor = X509_CRL_verify(crl, key) == 1;
        }
    }
    ERR_clear_error();
    if (!signed_by_anchor) {
        aop_error_set(err, "the CRL is not issued and signed by a trust anchor of "
                      "this policy; add its CA to the anchors, or use the CRL "
                      "of one of them");
        return -1;
    }
    if (X509_STORE_add_crl(p->store, crl) != 1) {
        ERR_clear_error();
        aop_error_set(err, "cannot add the CRL to a trust store");
        return -1;
    }
    /* An anchor that its issuer revoked (an intermediate listed as an
     * anchor): a chain that ends at it is refused as revoked. OpenSSL would
     * check the top of a partial chain with the anchor's own key instead. */
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        X509_REVOKED *entry;

        if (ca && X509_NAME_cmp(X509_get_issuer_name(ca), issuer) == 0
            && X509_CRL_get0_by_cert(crl, &entry, ca) == 1) {
            if (!p->revoked_anchors) {
                p->revoked_anchors = sk_X509_new_null();
            }
            if (!p->revoked_anchors || !X509_up_ref(ca)
                || !sk_X509_push(p->revoked_anchors, ca)) {
                aop_error_set(err, "out of memory");
                return -1;
            }
        }
    }
    /* Every certificate of the chain, not only the leaf: a revoked
     * intermediate revokes what it issued. */
    X509_STORE_set_flags(p->store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    p->crls++;
    return 0;
}

X509_STORE *aop_policy_store(const aop_policy *p)
{
    return p->store;
}

/* With CRLs, a CA for which none is configured is not checked: only the
 * CRLs the administrator gave count. The trust anchor at the top of the
 * chain is not checked here either (OpenSSL would take its own key for its
 * issuer's CRL); aop_policy_verify_chain checks it against the revoked
 * anchors. Everything else is OpenSSL's verdict. */
static int aop_verify_configured_crls(int ok, X509_STORE_CTX *ctx)
{
    int error = X509_STORE_CTX_get_error(ctx);
    int top = X509_STORE_CTX_get_error_depth(ctx)
              == sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) - 1;

    if (!ok && (error == X509_V_ERR_UNABLE_TO_GET_CRL
                || (top && (error == X509_V_ERR_CRL_SIGNATURE_FAILURE
                            || error == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER)))) {
        X509_STORE_CTX_set_error(ctx, X509_V_OK);
        return 1;
    }
    return ok;
}

/* After a failure: names an algorithm of the chain built so far (and of
 * the leaf) that this OpenSSL cannot use, when one was in the way. */
static void aop_chain_unsupported(X509_STORE_CTX *ctx, aop_chain_result *out)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
    int i;

    if (leaf && !aop_cert_algorithms_supported(leaf, out->unsupported,
                                               sizeof(out->unsupported))) {
        return;
    }
    for (i = 0; i < sk_X509_num(chain); i++) {
        if (!aop_cert_algorithms_supported(sk_X509_value(chain, i), out->unsupported,
                                           sizeof(out->unsupported))) {
            return;
        }
    }
    out->unsupported[0] = '\0';
}

/* Runs X509_verify_cert on a prepared context and describes the outcome;
 * leaves nothing in OpenSSL's error queue, which a TLS handshake in progress
 * would otherwise find. */
static void aop_chain_verify_ctx(X509_STORE_CTX *ctx, aop_chain_result *out)
{
    STACK_OF(X509) *chain, *untrusted = X509_STORE_CTX_get0_untrusted(ctx);
    time_t not_before, not_after;
    int i, j;

    ERR_set_mark();
    memset(out, 0, sizeof(*out));
    out->error = X509_V_OK;
    if (X509_verify_cert(ctx) != 1) {
        out->error = X509_STORE_CTX_get_error(ctx);
        out->depth = X509_STORE_CTX_get_error_depth(ctx);
        if (out->error == X509_V_OK) {
            out->error = X509_V_ERR_UNSPECIFIED;
        }
        aop_chain_unsupported(ctx, out);
        goto cleanup;
    }
    chain = X509_STORE_CTX_get0_chain(ctx);
    for (i = 0; i < sk_X509_num(chain); i++) {
        if (aop_cert_bounds(sk_X509_value(chain, i), &not_before, &not_after) != 0) {
            out->error = X509_V_ERR_UNSPECIFIED;
            goto cleanup;
        }
        if (i == 0 || not_after < out->valid_until) {
            out->valid_until = not_after;
        }
        /* The chain holds the very objects it was built from; the store's
         * are preferred (trusted first), so a peer's means the store lacks it. */
        for (j = 0; i > 0 && j < sk_X509_num(untrusted); j++) {
            out->used_peer_chain |= sk_X509_value(chain, i) == sk_X509_value(untrusted, j);
        }
    }

cleanup:
    ERR_pop_to_mark();
}

void aop_policy_verify_chain(const aop_policy *p, X509 *leaf,
                             STACK_OF(X509) *untrusted, time_t now,
                             int auth_level, aop_chain_result *out)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *param;

    memset(out, 0, sizeof(*out));
    out->error = X509_V_ERR_UNSPECIFIED;
    if (!ctx || !p->store
        || X509_STORE_CTX_init(ctx, p->store, leaf, untrusted) != 1) {
        ERR_clear_error();
        goto cleanup;
    }
    /* The parameters OpenSSL applies when a TLS server verifies a client. */
    X509_STORE_CTX_set_default(ctx, "ssl_client");
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_auth_level(param, auth_level);
    X509_VERIFY_PARAM_set_time(param, now);
    if (p->crls) {
        X509_STORE_CTX_set_verify_cb(ctx, aop_verify_configured_crls);
    }
    aop_chain_verify_ctx(ctx, out);
    if (out->error == X509_V_OK && p->revoked_anchors) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
        int i;

        for (i = 0; top && i < sk_X509_num(p->revoked_anchors); i++) {
            if (X509_cmp(top, sk_X509_value(p->revoked_anchors, i)) == 0) {
                out->error = X509_V_ERR_CERT_REVOKED;
                out->depth = sk_X509_num(chain) - 1;
            }
        }
    }

cleanup:
    X509_STORE_CTX_free(ctx);
}

static int aop_policy_pins_match(const aop_policy *p, const aop_leaf *leaf)
{
    int i;

    for (i = 0; i < p->npins; i++) {
        const unsigned char *d = p->pins[i].kind == AOP_PIN_SPKI_SHA256
            ? leaf->spki_sha256 : leaf->sha256;

        if (memcmp(p->pins[i].digest, d, AOP_SHA256_LEN) == 0) {
            return 1;
        }
    }
    return 0;
}

void aop_policy_check(const aop_policy *p, const aop_leaf *leaf,
                      const aop_chain_result *chain, time_t now,
                      aop_result *res)
{
    int state;

    memset(res, 0, sizeof(*res));
    res->chain.error = X509_V_OK;
    if (!leaf || !leaf->cert) {
        res->verdict = AOP_VERDICT_NO_CERT;
        return;
    }
    state = aop_validity_state(leaf->not_before, leaf->not_after, now);
    if (state != 0) {
        res->verdict = state < 0 ? AOP_VERDICT_NOT_YET_VALID : AOP_VERDICT_EXPIRED;
        return;
    }
    if (p->store) {
        if (!chain) {
            res->verdict = AOP_VERDICT_INTERNAL;
            return;
        }
        res->chain = *chain;
        if (res->chain.error != X509_V_OK) {
            res->verdict = res->chain.unsupported[0] ? AOP_VERDICT_UNSUPPORTED_ALGORITHM
                         : res->chain.error == X509_V_ERR_CERT_REVOKED ? AOP_VERDICT_REVOKED
                         : AOP_VERDICT_UNTRUSTED;
            return;
        }
    }
    if (p->npins > 0 && !aop_policy_pins_match(p, leaf)) {
        res->verdict = AOP_VERDICT_PIN_MISMATCH;
        return;
    }
    res->verdict = AOP_VERDICT_OK;
}

long aop_result_x509_error(const aop_result *res)
{
    switch (res->verdict) {
    case AOP_VERDICT_OK:
    case AOP_VERDICT_NO_CERT:
        return X509_V_OK;
    case AOP_VERDICT_EXPIRED:
        return X509_V_ERR_CERT_HAS_EXPIRED;
    case AOP_VERDICT_NOT_YET_VALID:
        return X509_V_ERR_CERT_NOT_YET_VALID;
    case AOP_VERDICT_UNTRUSTED:
        return res->chain.error != X509_V_OK ? res->chain.error
                                             : X509_V_ERR_UNSPECIFIED;
    case AOP_VERDICT_PIN_MISMATCH:
        return X509_V_ERR_CERT_REJECTED;
    case AOP_VERDICT_REVOKED:
        return X509_V_ERR_CERT_REVOKED;
    case AOP_VERDICT_UNSUPPORTED_ALGORITHM:
        return X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM;
    case AOP_VERDICT_INTERNAL:
        break;
    }
    return X509_V_ERR_UNSPECIFIED;
}
