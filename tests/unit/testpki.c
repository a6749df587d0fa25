/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testpki.h"

/* Adds one extension written in openssl.cnf syntax. */
static int tp_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = ext && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int tp_set_subject(X509 *x, const tp_spec *spec)
{
    X509_NAME *name = X509_get_subject_name(x);

    if (spec->subject) {
        return X509_set_subject_name(x, spec->subject) == 1 ? 0 : -1;
    }
    if (spec->org && !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                         (const unsigned char *)spec->org, -1, -1, 0)) {
        return -1;
    }
    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
               (const unsigned char *)spec->cn, -1, -1, 0) ? 0 : -1;
}

static int tp_add_exts(X509 *x, X509 *issuer, const tp_spec *spec)
{
    if (spec->v1) {
        return 0;
    }
    if (tp_add_ext(x, issuer, NID_basic_constraints,
                   spec->ca ? "critical,CA:TRUE" : "critical,CA:FALSE") != 0
        || tp_add_ext(x, issuer, NID_key_usage, spec->ca
                      ? "critical,keyCertSign,cRLSign"
                      : "critical,digitalSignature") != 0) {
        return -1;
    }
    return spec->eku ? tp_add_ext(x, issuer, NID_ext_key_usage, spec->eku) : 0;
}

int tp_issue(const tp_spec *spec, const tp_cert *issuer, tp_cert *out)
{
    static long serial = 1; /* unique serials: a re-issue differs in its DER */
    X509 *x = X509_new();
    EVP_PKEY *key = spec->key;
    X509 *signer_x = issuer ? issuer->x : x;
    EVP_PKEY *signer_key;

    memset(out, 0, sizeof(*out));
    if (key && !EVP_PKEY_up_ref(key)) {
        key = NULL;
    }
    else if (!key && spec->rsa_bits) {
        key = EVP_RSA_gen((unsigned int)spec->rsa_bits);
    }
    else if (!key) {
        key = EVP_EC_gen("P-256");
    }
    signer_key = issuer ? issuer->key : key;
    if (!x || !key
        || !X509_set_version(x, spec->v1 ? X509_VERSION_1 : X509_VERSION_3)
        || !ASN1_INTEGER_set(X509_get_serialNumber(x), serial++)
        || !ASN1_TIME_set(X509_getm_notBefore(x), spec->not_before)
        || !ASN1_TIME_set(X509_getm_notAfter(x), spec->not_after)
        || !X509_set_pubkey(x, key)
        || tp_set_subject(x, spec) != 0
        || !X509_set_issuer_name(x, X509_get_subject_name(signer_x))
        || tp_add_exts(x, signer_x, spec) != 0
        || !X509_sign(x, signer_key, spec->md ? spec->md : EVP_sha256())) {
        X509_free(x);
        EVP_PKEY_free(key);
        return -1;
    }
    out->x = x;
    out->key = key;
    return 0;
}

void tp_cert_free(tp_cert *c)
{
    X509_free(c->x);
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof(*c));
}

/* A CA valid from a year before `now` to a year after, so that leaves can
 * be judged at other times than `now` without the CA getting in the way. */
static tp_spec tp_ca_spec(time_t now, const char *cn)
{
    tp_spec s = { .cn = cn, .ca = 1,
                  .not_before = now - 365 * TP_DAY, .not_after = now + 365 * TP_DAY };
    return s;
}

/* A client leaf valid for the next 10 days (started an hour ago). */
static tp_spec tp_leaf_spec(time_t now, const char *cn, time_t from, time_t to)
{
    tp_spec s = { .cn = cn, .eku = "clientAuth",
                  .not_before = from ? from : now - 60 * 60,
                  .not_after = to ? to : now + 10 * TP_DAY };
    return s;
}

int tp_pki_create(tp_pki *pki)
{
    time_t now = time(NULL);
    tp_spec root = tp_ca_spec(now, "Test Root CA");
    tp_spec inter = tp_ca_spec(now, "Test Intermediate CA");
    tp_spec foreign = tp_ca_spec(now, "Foreign CA");
    tp_spec impostor = tp_ca_spec(now, NULL);
    tp_spec leaf = tp_leaf_spec(now, "leaf", 0, 0);
    tp_spec reissued = leaf;
    tp_spec leaf_inter = tp_leaf_spec(now, "leaf via intermediate", 0, 0);
    tp_spec foreign_leaf = tp_leaf_spec(now, "foreign leaf", 0, 0);
    tp_spec copy = tp_leaf_spec(now, NULL, 0, 0);
    tp_spec impostor_leaf = tp_leaf_spec(now, "impostor leaf", 0, 0);
    tp_spec expired = tp_leaf_spec(now, "expired", now - 30 * TP_DAY, now - TP_DAY);
    tp_spec future = tp_leaf_spec(now, "not yet valid", now + TP_DAY, now + 30 * TP_DAY);
    tp_spec server = tp_leaf_spec(now, "server only", 0, 0);
    tp_spec non_ca = tp_leaf_spec(now, "self-signed non-CA", 0, 0);
    int failed = 0;

    memset(pki, 0, sizeof(*pki));
    pki->now = now;
    leaf.org = reissued.org = "Test Org";
    server.eku = "serverAuth";

    /* In dependency order; `failed ||` stops at the first error so that no
     * step uses a certificate that was not made. */
    failed = failed || tp_issue(&root, NULL, &pki->root);
    failed = failed || tp_issue(&inter, &pki->root, &pki->inter);
    failed = failed || tp_issue(&foreign, NULL, &pki->foreign_ca);
    impostor.subject = failed ? NULL : X509_get_subject_name(pki->root.x);
    failed = failed || tp_issue(&impostor, NULL, &pki->impostor_ca);
    failed = failed || tp_issue(&leaf, &pki->root, &pki->leaf);
    reissued.key = pki->leaf.key;
    failed = failed || tp_issue(&reissued, &pki->root, &pki->reissued);
    failed = failed || tp_issue(&leaf_inter, &pki->inter, &pki->leaf_inter);
    failed = failed || tp_issue(&foreign_leaf, &pki->foreign_ca, &pki->foreign_leaf);
    copy.subject = failed ? NULL : X509_get_subject_name(pki->leaf.x);
    failed = failed || tp_issue(&copy, &pki->foreign_ca, &pki->subject_copy);
    failed = failed || tp_issue(&impostor_leaf, &pki->impostor_ca, &pki->impostor_leaf);
    failed = failed || tp_issue(&expired, &pki->root, &pki->expired);
    failed = failed || tp_issue(&future, &pki->root, &pki->not_yet_valid);
    failed = failed || tp_issue(&server, &pki->root, &pki->server_only);
    failed = failed || tp_issue(&non_ca, NULL, &pki->non_ca);
    if (failed) {
        tp_pki_free(pki);
        return -1;
    }
    return 0;
}

void tp_pki_free(tp_pki *pki)
{
    tp_cert *all[] = {
        &pki->root, &pki->inter, &pki->leaf, &pki->reissued, &pki->leaf_inter,
        &pki->foreign_ca, &pki->foreign_leaf, &pki->subject_copy,
        &pki->impostor_ca, &pki->impostor_leaf, &pki->expired,
        &pki->not_yet_valid, &pki->server_only, &pki->non_ca,
    };
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tp_cert_free(all[i]);
    }
}

int tp_tmpdir_create(char dir[TP_PATHLEN])
{
    const char *base = getenv("TMPDIR");
    int n = snprintf(dir, TP_PATHLEN, "%s/cfaop-unit-XXXXXX",
                     base && *base ? base : "/tmp");

    return (n > 0 && n < TP_PATHLEN && mkdtemp(dir)) ? 0 : -1;
}

void tp_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[TP_PATHLEN];

    if (!d) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Opens dir/name for writing as a BIO; `path` receives the file name. */
static BIO *tp_create(const char *dir, const char *name, char path[TP_PATHLEN])
{
    int n = snprintf(path, TP_PATHLEN, "%s/%s", dir, name);

    return (n > 0 && n < TP_PATHLEN) ? BIO_new_file(path, "w") : NULL;
}

/* Closes a BIO from tp_create; `ok` says whether every write succeeded. */
static int tp_close(BIO *bio, int ok)
{
    if (!bio) {
        return -1;
    }
    ok = ok && BIO_flush(bio) == 1;
    BIO_free(bio);
    return ok ? 0 : -1;
}

int tp_write_text(const char *dir, const char *name, const char *text,
                  char path[TP_PATHLEN])
{
    BIO *bio = tp_create(dir, name, path);
    int len = (int)strlen(text);

    /* BIO_write of 0 bytes reports 0: an empty file is still a success. */
    return tp_close(bio, bio && (len == 0 || BIO_write(bio, text, len) == len));
}

int tp_write_certs(const char *dir, const char *name, X509 *const *certs, int n,
                   const char *trailer, char path[TP_PATHLEN])
{
    BIO *bio = tp_create(dir, name, path);
    int i, ok = bio != NULL;

    for (i = 0; ok && i < n; i++) {
        ok = PEM_write_bio_X509(bio, certs[i]) == 1;
    }
    if (ok && trailer) {
        ok = BIO_puts(bio, trailer) == (int)strlen(trailer);
    }
    return tp_close(bio, ok);
}

X509_CRL *tp_crl(const tp_cert *issuer, X509 *const *revoked, int n, time_t last,
                 time_t next)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t_last = ASN1_TIME_set(NULL, last), *t_next = ASN1_TIME_set(NULL, next);
    int i, ok = crl && t_last && t_next
        && X509_CRL_set_version(crl, 1)
        && X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->x))
        && X509_CRL_set1_lastUpdate(crl, t_last)
        && X509_CRL_set1_nextUpdate(crl, t_next);

    for (i = 0; ok && i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();

        ok = r && X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked[i]))
             && X509_REVOKED_set_revocationDate(r, t_last) && X509_CRL_add0_revoked(crl, r);
        if (!ok) {
            X509_REVOKED_free(r);
        }
    }
    ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, issuer->key, EVP_sha256());
    ASN1_TIME_free(t_last);
    ASN1_TIME_free(t_next);
    if (!ok) {
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

int tp_write_crls(const char *dir, const char *name, X509_CRL *const *crls, int n,
                  char path[TP_PATHLEN])
{
    BIO *bio = tp_create(dir, name, path);
    int i, ok = bio != NULL;

    for (i = 0; ok && i < n; i++) {
        ok = PEM_write_bio_X509_CRL(bio, crls[i]) == 1;
    }
    return tp_close(bio, ok);
}

int tp_write_key(const char *dir, const char *name, EVP_PKEY *key,
                 const char *pass, int traditional, char path[TP_PATHLEN])
{
    BIO *bio = tp_create(dir, name, path);
    const EVP_CIPHER *cipher = pass ? EVP_aes_256_cbc() : NULL;
    int plen = pass ? (int)strlen(pass) : 0;
    int ok = bio != NULL;

    if (ok) {
        ok = traditional
            ? PEM_write_bio_PrivateKey_traditional(bio, key, cipher,
                  (unsigned char *)pass, plen, NULL, NULL)
            : PEM_write_bio_PKCS8PrivateKey(bio, key, cipher,
                  (char *)pass, plen, NULL, NULL);
    }
    return tp_close(bio, ok);
}

/* The text of a memory BIO as a malloc'ed string; frees the BIO. NULL when
 * `ok` is false (a write into the BIO failed). */
static char *tp_bio_text(BIO *bio, int ok)
{
    char *data = NULL, *copy = NULL;
    long len;

    if (bio && ok) {
        len = BIO_get_mem_data(bio, &data);
        copy = malloc((size_t)len + 1);
        if (copy) {
            memcpy(copy, data, (size_t)len);
            copy[len] = '\0';
        }
    }
    BIO_free(bio);
    return copy;
}

char *tp_cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());

    return tp_bio_text(bio, bio && PEM_write_bio_X509(bio, x) == 1);
}

char *tp_key_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());

    return tp_bio_text(bio, bio && PEM_write_bio_PrivateKey(bio, key, NULL,
                                                            NULL, 0, NULL, NULL) == 1);
}
