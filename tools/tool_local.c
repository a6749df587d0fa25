/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "tool_local.h"
#include "tool_out.h"

int tool_local_load(tool_ctx *ctx, tool_cert_kind kind, tool_local_cert *lc)
{
    aop_error err;
    time_t now = time(NULL);
    int state = 0, rc = TOOL_EXIT_FAIL;

    memset(lc, 0, sizeof(*lc));
    if (aop_pem_load_file(ctx->opt.cert_file, &lc->certs, &err) != 0) {
        tool_error("%s", err.msg);
        goto cleanup;
    }
    lc->leaf = sk_X509_value(lc->certs, 0);
    if (aop_key_load_file(ctx->opt.key_file, &lc->key, &err) != 0) {
        tool_error("%s", err.msg);
        goto cleanup;
    }
    if (!aop_key_matches_cert(lc->leaf, lc->key)) {
        tool_error(
            "the private key in %s does not belong to the certificate in %s%s",
            ctx->opt.key_file, ctx->opt.cert_file,
            sk_X509_num(lc->certs) > 1
                ? " (its first certificate must be the leaf)"
                : "");
        goto cleanup;
    }
    if (tool_cert_facts_read(lc->leaf, now, &lc->facts) != 0
        || aop_cert_validity(lc->leaf, now, &state) < 0) {
        tool_error("%s: cannot read the certificate's fingerprint or dates",
                   ctx->opt.cert_file);
        goto cleanup;
    }
    if (state > 0) {
        tool_error(
            "the certificate in %s expired on %s; Cloudflare would present an "
            "expired certificate and the origin would refuse it",
            ctx->opt.cert_file, lc->facts.expires_on);
        goto cleanup;
    }
    if (state < 0) {
        tool_error("the certificate in %s is not valid yet",
                   ctx->opt.cert_file);
        goto cleanup;
    }
    if (aop_cert_is_ca(lc->leaf)) {
        if (kind == TOOL_CERT_HOSTNAME) {
            /* The API answers "missing leaf certificate"; say it first. */
            tool_error("the certificate in %s is a CA certificate; "
                       "per-hostname AOP needs a leaf (client) certificate",
                       ctx->opt.cert_file);
            goto cleanup;
        }
        tool_warn(ctx,
                  "the certificate in %s is a CA certificate; Cloudflare "
                  "presents it as a client certificate (a leaf is expected)",
                  ctx->opt.cert_file);
    }
    if (lc->facts.days_left < TOOL_EXPIRY_WARN_DAYS) {
        tool_warn(ctx, "the certificate in %s expires in %d days (%s)",
                  ctx->opt.cert_file, lc->facts.days_left,
                  lc->facts.expires_on);
    }
    rc = TOOL_EXIT_OK;

cleanup:
    if (rc != TOOL_EXIT_OK) {
        tool_local_free(lc);
    }
    return rc;
}

const char *tool_algorithm_note(const char *alg, char *buf, size_t len)
{
    const char *needs = aop_algorithm_openssl_version(alg);

    snprintf(buf, len, "%s, which this machine's %s cannot verify; %s%s%s can",
             alg, OpenSSL_version(OPENSSL_VERSION),
             needs ? "OpenSSL " : "a newer OpenSSL", needs ? needs : "",
             needs ? " or later" : "");
    return buf;
}

/* A CA of this system's trust store issued the leaf (directly, or through
 * the intermediates of the file). */
static void tool_local_warn_public(tool_ctx *ctx, const tool_local_cert *lc)
{
    X509_STORE *system = aop_system_store_load();
    char *issuer;

    if (aop_store_issued(system, lc->leaf, lc->certs)) {
        issuer = aop_name_rfc2253(X509_get_issuer_name(lc->leaf));
        tool_warn(ctx,
                  "the certificate in %s was issued by a public CA (%s, under "
                  "this system's trust store): public CAs stopped issuing "
                  "client-authentication certificates in 2026, and an origin "
                  "that trusts a public CA accepts the client certificates it "
                  "issued to anyone; use a CA of your own, or pin the "
                  "certificate at the origin",
                  ctx->opt.cert_file, issuer ? issuer : "?");
        free(issuer);
    }
    X509_STORE_free(system);
}

int tool_local_check_upload(tool_ctx *ctx, const tool_local_cert *lc)
{
    char alg[AOP_ALGORITHM_LEN], note[256];
    int i;

    if (!aop_cert_eku_allows_client(lc->leaf)) {
        tool_error("the certificate in %s has an extended key usage without "
                   "clientAuth (TLS client authentication): a TLS "
                   "client-certificate chain check, as mod_cfaop makes, "
                   "refuses it; issue it with extendedKeyUsage = clientAuth",
                   ctx->opt.cert_file);
        return tool_exit_code(TOOL_FAILED_CHECK);
    }
    tool_local_warn_public(ctx, lc);
    /* The intermediates too: the origin verifies the whole chain. */
    for (i = 0; i < sk_X509_num(lc->certs); i++) {
        if (!aop_cert_algorithms_supported(sk_X509_value(lc->certs, i), alg,
                                           sizeof(alg))) {
            tool_warn(ctx,
                      "%s %s uses %s: an origin whose OpenSSL cannot verify "
                      "it refuses it (unsupported-algorithm)",
                      i == 0 ? "the certificate in" : "an intermediate in",
                      ctx->opt.cert_file,
                      tool_algorithm_note(alg, note, sizeof(note)));
        }
    }
    return TOOL_EXIT_OK;
}

void tool_local_free(tool_local_cert *lc)
{
    aop_certs_free(lc->certs);
    EVP_PKEY_free(lc->key);
    memset(lc, 0, sizeof(*lc));
}

/* The text of a memory BIO as a new JSON string. */
static json_t *tool_bio_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);

    return n > 0 ? json_stringn(data, (size_t)n) : NULL;
}

json_t *tool_local_body(const tool_local_cert *lc)
{
    BIO *cbio = BIO_new(BIO_s_mem());
    /* A secure-memory BIO wipes the encoded key when freed. */
    BIO *kbio = BIO_new(BIO_s_secmem());
    json_t *body = NULL, *cert = NULL, *key = NULL;
    int i, ok = cbio && kbio;

    /* The certificates are re-encoded from what was parsed, so text
     * around the PEM blocks (bag attributes, comments) is not sent. */
    for (i = 0; ok && i < sk_X509_num(lc->certs); i++) {
        ok = PEM_write_bio_X509(cbio, sk_X509_value(lc->certs, i)) == 1;
    }
    ok = ok
         && PEM_write_bio_PrivateKey(kbio, lc->key, NULL, NULL, 0, NULL, NULL)
                == 1;
    if (ok) {
        cert = tool_bio_string(cbio);
        key = tool_bio_string(kbio);
    }
    if (cert && key) {
        body = json_object();
        if (body) {
            json_object_set_new(body, "certificate", cert);
            json_object_set_new(body, "private_key", key);
            cert = key = NULL;
        }
    }
    json_decref(cert);
    if (key) {
        OPENSSL_cleanse((void *)json_string_value(key),
                        json_string_length(key));
        json_decref(key);
    }
    ERR_clear_error();
    BIO_free(cbio);
    BIO_free(kbio);
    return body;
}

void tool_local_body_free(json_t *body)
{
    json_t *key = json_object_get(body, "private_key");

    if (json_is_string(key)) {
        /* jansson owns the copy; wipe it in place before it is freed. */
        OPENSSL_cleanse((void *)json_string_value(key),
                        json_string_length(key));
    }
    json_decref(body);
}

X509 *tool_pem_leaf(STACK_OF(X509) * certs)
{
    int i;

    for (i = 0; i < sk_X509_num(certs); i++) {
        if (!aop_cert_is_ca(sk_X509_value(certs, i))) {
            return sk_X509_value(certs, i);
        }
    }
    return sk_X509_value(certs, 0);
}

int tool_cert_facts_read(X509 *x, time_t now, tool_cert_facts *f)
{
    unsigned char digest[AOP_SHA256_LEN];

    memset(f, 0, sizeof(*f));
    if (aop_cert_subject_cn(x, f->subject_cn, sizeof(f->subject_cn)) != 0) {
        f->subject_cn[0] = '\0';
    }
    if (aop_cert_sha256(x, digest) != 0
        || aop_cert_not_after_iso(x, f->expires_on, sizeof(f->expires_on)) != 0
        || aop_cert_days_left(x, now, &f->days_left) != 0) {
        memset(f, 0, sizeof(*f));
        return -1;
    }
    aop_hex(digest, AOP_SHA256_LEN, f->sha256);
    f->have_days = 1;
    return 0;
}

int tool_pem_facts(const char *pem, time_t now, tool_cert_facts *f)
{
    STACK_OF(X509) *certs = NULL;
    aop_error err;
    int rc = -1;

    memset(f, 0, sizeof(*f));
    if (pem
        && aop_pem_load_mem(pem, strlen(pem), "API certificate", &certs, &err)
               == 0) {
        rc = tool_cert_facts_read(tool_pem_leaf(certs), now, f);
    }
    aop_certs_free(certs);
    return rc;
}

void tool_remote_facts(const json_t *obj, tool_cert_facts *f)
{
    const char *iso = tool_json_str(obj, "expires_on");
    time_t now = time(NULL);

    if (tool_pem_facts(tool_json_str(obj, "certificate"), now, f) == 0) {
        return;
    }
    if (iso && strlen(iso) < sizeof(f->expires_on)
        && aop_iso_days_left(iso, now, &f->days_left) == 0) {
        snprintf(f->expires_on, sizeof(f->expires_on), "%s", iso);
        f->have_days = 1;
    }
}

/* A string member, or null when empty. */
static void tool_set_str(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key,
                        value[0] ? tool_json_text(value) : json_null());
}

void tool_cert_facts_json(const tool_cert_facts *f, json_t *obj)
{
    tool_set_str(obj, "sha256", f->sha256);
    tool_set_str(obj, "subject_cn", f->subject_cn);
    tool_set_str(obj, "expires_on", f->expires_on);
    json_object_set_new(obj, "days_left",
                        f->have_days ? json_integer(f->days_left)
                                     : json_null());
}

const char *tool_cert_about(const json_t *obj, char *buf, size_t len)
{
    const json_t *days = json_object_get(obj, "days_left");
    char dtext[40] = "";

    if (json_is_integer(days)) {
        snprintf(dtext, sizeof(dtext), ", %" JSON_INTEGER_FORMAT " days left",
                 json_integer_value(days));
    }
    snprintf(buf, len, "CN=%s, expires %s%s", tool_json_show(obj, "subject_cn"),
             tool_json_show(obj, "expires_on"), dtext);
    return buf;
}
