/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "aop_cert.h"

void aop_error_set(aop_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* The reason OpenSSL gives for the most recent error, or `fallback`. */
static const char *aop_openssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;

    return reason ? reason : fallback;
}

/* What a PEM file holds: certificates or CRLs, read by one reader. */
typedef struct aop_pem_kind {
    const char *what;           /* in messages: "certificate", "CRL" */
    const char *begin;          /* the BEGIN line expected */
    int (*is_kind)(const char *name);
    void *(*decode)(const unsigned char **p, long len);
    int (*push)(void *list, void *obj);
    int (*count)(const void *list);
    void (*free_obj)(void *obj);
} aop_pem_kind;

/* The block names OpenSSL's own certificate reader takes. */
static int aop_pem_is_cert(const char *name)
{
    return strcmp(name, PEM_STRING_X509) == 0
        || strcmp(name, PEM_STRING_X509_OLD) == 0;
}

static void *aop_pem_decode_cert(const unsigned char **p, long len)
{
    return d2i_X509(NULL, p, len);
}

static int aop_pem_push_cert(void *list, void *obj)
{
    return sk_X509_push(list, obj) > 0;
}

static int aop_pem_count_certs(const void *list)
{
    return sk_X509_num(list);
}

static void aop_pem_free_cert(void *obj)
{
    X509_free(obj);
}

static const aop_pem_kind aop_pem_certs = {
    "certificate", "-----BEGIN CERTIFICATE-----", aop_pem_is_cert,
    aop_pem_decode_cert, aop_pem_push_cert, aop_pem_count_certs, aop_pem_free_cert
};

static int aop_pem_is_crl(const char *name)
{
    return strcmp(name, PEM_STRING_X509_CRL) == 0;
}

static void *aop_pem_decode_crl(const unsigned char **p, long len)
{
    return d2i_X509_CRL(NULL, p, len);
}

static int aop_pem_push_crl(void *list, void *obj)
{
    return sk_X509_CRL_push(list, obj) > 0;
}

static int aop_pem_count_crls(const void *list)
{
    return sk_X509_CRL_num(list);
}

static void aop_pem_free_crl(void *obj)
{
    X509_CRL_free(obj);
}

static const aop_pem_kind aop_pem_crls = {
    "CRL", "-----BEGIN X509 CRL-----", aop_pem_is_crl,
    aop_pem_decode_crl, aop_pem_push_crl, aop_pem_count_crls, aop_pem_free_crl
};

/* Reads every block of `kind` into `list` (made by the caller); 0 when
 * there is at least one and all of them parse. */
static int aop_pem_read_bio(BIO *bio, const char *origin, const aop_pem_kind *kind,
                            void *list, aop_error *err)
{
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    const unsigned char *p;
    const char *why;
    long len;
    void *obj;
    unsigned long e;
    int rv = -1;

    ERR_clear_error();
    /* Block by block rather than PEM_read_bio_X509: that one stops at a
     * block without data as if the input had ended, and asks for a pass
     * phrase on the terminal for a block with encryption headers. Blocks of
     * other kinds (a key after the certificate) are skipped. */
    while (PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
        if (kind->is_kind(name)) {
            p = data;
            obj = header[0] == '\0' ? kind->decode(&p, len) : NULL;
            if (!obj || p != data + len) {
                why = header[0] != '\0' ? "it has PEM headers (encrypted?)"
                    : obj ? "data after the DER structure"
                    : aop_openssl_reason("not DER");
                aop_error_set(err, "%s: %s %d does not parse: %s", origin, kind->what,
                              kind->count(list) + 1, why);
                if (obj) {
                    kind->free_obj(obj);
                }
                goto cleanup;
            }
            if (!kind->push(list, obj)) {
                kind->free_obj(obj);
                aop_error_set(err, "%s: out of memory", origin);
                goto cleanup;
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        name = header = NULL;
        data = NULL;
    }
    /* Only the end of input (no further BEGIN line) ends the loop well; a
     * block that does not parse fails with another error, or with none. */
    e = ERR_peek_last_error();
    if (!(ERR_GET_LIB(e) == ERR_LIB_PEM
          && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        aop_error_set(err, "%s: %s %d does not parse: %s", origin, kind->what,
                      kind->count(list) + 1,
                      aop_openssl_reason("empty or malformed PEM block"));
        goto cleanup;
    }
    if (kind->count(list) == 0) {
        aop_error_set(err, "%s: no PEM %s found (expected %s)", origin, kind->what,
                      kind->begin);
        goto cleanup;
    }
    rv = 0;

cleanup:
    ERR_clear_error();
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    return rv;
}

/* Certificates from a BIO, as aop_pem_load_file promises. */
static int aop_pem_read_certs(BIO *bio, const char *origin, STACK_OF(X509) **certs,
                              aop_error *err)
{
    STACK_OF(X509) *list = sk_X509_new_null();

    if (!list) {
        aop_error_set(err, "%s: out of memory", origin);
        return -1;
    }
    if (aop_pem_read_bio(bio, origin, &aop_pem_certs, list, err) != 0) {
        sk_X509_pop_free(list, X509_free);
        return -1;
    }
    *certs = list;
    return 0;
}

/* Files larger than this are no certificate or key files. */
#define AOP_FILE_MAX (64L * 1024 * 1024)

/* Reads a regular file whole into a memory BIO, with errno-based messages.
 * A file is then read by the very code that reads a buffer: stdio's line
 * reader would end a line at a NUL byte where a memory BIO does not. */
static BIO *aop_open_file(const char *path, aop_error *err)
{
    struct stat st;
    char chunk[4096];
    long total = 0;
    ssize_t n;
    BIO *bio;
    int fd;

    /* stat before open: opening a FIFO would block. */
    if (stat(path, &st) != 0) {
        aop_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        aop_error_set(err, "%s: not a regular file", path);
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        aop_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    bio = BIO_new(BIO_s_mem());
    if (!bio) {
        aop_error_set(err, "%s: out of memory", path);
        close(fd);
        return NULL;
    }
    /* Once drained, the BIO reads as end of file, not as "retry". */
    BIO_set_mem_eof_return(bio, 0);
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            aop_error_set(err, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (n == 0) {
            break;
        }
        total += (long)n;
        if (total > AOP_FILE_MAX) {
            aop_error_set(err, "%s: larger than %ld bytes: not a certificate "
                          "or key file", path, AOP_FILE_MAX);
            n = -1;
            break;
        }
        if (BIO_write(bio, chunk, (int)n) != (int)n) {
            aop_error_set(err, "%s: out of memory", path);
            n = -1;
            break;
        }
    }
    /* Private keys pass through here. */
    OPENSSL_cleanse(chunk, sizeof(chunk));
    close(fd);
    if (n < 0) {
        BIO_free(bio);
        return NULL;
    }
    return bio;
}

int aop_pem_load_file(const char *path, STACK_OF(X509) **certs, aop_error *err)
{
    BIO *bio = aop_open_file(path, err);
    int rv;

    if (!bio) {
        return -1;
    }
    rv = aop_pem_read_certs(bio, path, certs, err);
    BIO_free(bio);
    return rv;
}

int aop_crl_load_file(const char *path, STACK_OF(X509_CRL) **crls, aop_error *err)
{
    STACK_OF(X509_CRL) *list = sk_X509_CRL_new_null();
    BIO *bio = aop_open_file(path, err);
    int rv = -1;

    if (!list) {
        aop_error_set(err, "%s: out of memory", path);
    }
    else if (bio) {
        rv = aop_pem_read_bio(bio, path, &aop_pem_crls, list, err);
    }
    BIO_free(bio);
    if (rv == 0) {
        *crls = list;
    }
    else {
        aop_crls_free(list);
    }
    return rv;
}

void aop_crls_free(STACK_OF(X509_CRL) *crls)
{
    if (crls) {
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
    }
}

int aop_pem_load_mem(const char *pem, size_t len, const char *origin,
                     STACK_OF(X509) **certs, aop_error *err)
{
    BIO *bio;
    int rv;

    /* A memory BIO's length is an int. */
    if (len > (size_t)AOP_FILE_MAX) {
        aop_error_set(err, "%s: larger than %ld bytes: not a certificate "
                      "file", origin, AOP_FILE_MAX);
        return -1;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        aop_error_set(err, "%s: out of memory", origin);
        return -1;
    }
    rv = aop_pem_read_certs(bio, origin, certs, err);
    BIO_free(bio);
    return rv;
}

void aop_certs_free(STACK_OF(X509) *certs)
{
    if (certs) {
        sk_X509_pop_free(certs, X509_free);
    }
}

/* Passphrase callback that never prompts: it only notes that the key
 * turned out to be encrypted. */
static int aop_no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)asked = 1;
    return -1;
}

int aop_key_load_file(const char *path, EVP_PKEY **key, aop_error *err)
{
    BIO *bio = aop_open_file(path, err);
    EVP_PKEY *k;
    int encrypted = 0;

    if (!bio) {
        return -1;
    }
    ERR_clear_error();
    k = PEM_read_bio_PrivateKey(bio, NULL, aop_no_passphrase, &encrypted);
    BIO_free(bio);
    if (!k) {
        if (encrypted) {
            aop_error_set(err, "%s: the private key is encrypted; "
                          "provide it unencrypted", path);
        }
        else {
            aop_error_set(err, "%s: no usable private key: %s", path,
                          aop_openssl_reason("not a PEM private key"));
        }
        ERR_clear_error();
        return -1;
    }
    *key = k;
    return 0;
}

int aop_key_matches_cert(X509 *cert, EVP_PKEY *key)
{
    int ok = X509_check_private_key(cert, key) == 1;

    ERR_clear_error();
    return ok;
}

int aop_cert_sha256(X509 *x, unsigned char out[AOP_SHA256_LEN])
{
    unsigned int n = 0;

    return (X509_digest(x, EVP_sha256(), out, &n) == 1
            && n == AOP_SHA256_LEN) ? 0 : -1;
}

int aop_spki_sha256(X509 *x, unsigned char out[AOP_SHA256_LEN])
{
    unsigned char *der = NULL;
    unsigned int n = 0;
    int len, rv = -1;

    len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (len > 0 && EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(), NULL)
        && n == AOP_SHA256_LEN) {
        rv = 0;
    }
    OPENSSL_free(der);
    return rv;
}

void aop_hex(const unsigned char *data, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

void aop_base64_sha256(const unsigned char digest[AOP_SHA256_LEN], char out[45])
{
    EVP_EncodeBlock((unsigned char *)out, digest, AOP_SHA256_LEN);
}

/* What was printed into a memory BIO, as a malloc'ed string; frees the BIO.
 * NULL when `printed` is false or memory runs out. */
static char *aop_bio_text(BIO *bio, int printed)
{
    char *data = NULL, *copy = NULL;
    long len;

    if (bio && printed) {
        len = BIO_get_mem_data(bio, &data);
        copy = malloc((size_t)len + 1);
        /* A BIO nothing was written to (an empty name) has no data at all,
         * and memcpy from NULL is undefined even for 0 bytes. */
        if (copy && len > 0) {
            memcpy(copy, data, (size_t)len);
        }
        if (copy) {
            copy[len > 0 ? len : 0] = '\0';
        }
    }
    BIO_free(bio);
    return copy;
}

char *aop_cert_to_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());

    return aop_bio_text(bio, bio && PEM_write_bio_X509(bio, x) == 1);
}

char *aop_name_rfc2253(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());

    /* The flags mod_ssl uses for SSL_CLIENT_S_DN: RFC 2253, UTF-8 kept. */
    return aop_bio_text(bio, bio && X509_NAME_print_ex(bio, name, 0,
                        XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0);
}

int aop_cert_not_after_str(X509 *x, char *buf, size_t len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = aop_bio_text(bio, bio && ASN1_TIME_print(bio, X509_get0_notAfter(x)) == 1);
    int rv = -1;

    if (text && strlen(text) < len) {
        strcpy(buf, text);
        rv = 0;
    }
    free(text);
    return rv;
}

int aop_time_iso(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;

    if (!t || ASN1_TIME_to_tm(t, &tm) != 1
        || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        return -1;
    }
    return 0;
}

int aop_cert_not_after_iso(X509 *x, char *buf, size_t len)
{
    return aop_time_iso(X509_get0_notAfter(x), buf, len);
}

/* The one days-left rule: whole days from `now` to `t`, rounded toward
 * "less time left" (half a day left counts as 0, an hour ago as -1). */
int aop_time_days_left(const ASN1_TIME *t, time_t now, int *days)
{
    ASN1_TIME *at = ASN1_TIME_set(NULL, now);
    int day = 0, sec = 0, rv = -1;

    if (at && ASN1_TIME_diff(&day, &sec, at, t) == 1) {
        *days = (sec < 0 && day <= 0) ? day - 1 : day;
        rv = 0;
    }
    ASN1_TIME_free(at);
    return rv;
}

int aop_cert_days_left(X509 *x, time_t now, int *days)
{
    return aop_time_days_left(X509_get0_notAfter(x), now, days);
}

int aop_iso_days_left(const char *iso, time_t now, int *days)
{
    int y, mo, d, h, mi, se;
    char generalized[32];
    ASN1_TIME *t = ASN1_TIME_new();
    int rv = -1;

    /* RFC 3339 UTC as the API writes it; a fraction of a second is ignored. */
    if (t && iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) == 6
        && snprintf(generalized, sizeof(generalized), "%04d%02d%02d%02d%02d%02dZ",
                    y, mo, d, h, mi, se) == 15
        && ASN1_TIME_set_string_X509(t, generalized) == 1) {
        rv = aop_time_days_left(t, now, days);
    }
    ASN1_TIME_free(t);
    return rv;
}

/* Seconds from the epoch to `t`, with OpenSSL's own time arithmetic. */
int aop_time_epoch(const ASN1_TIME *t, time_t *out)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int day = 0, sec = 0, rv = -1;

    if (epoch && ASN1_TIME_diff(&day, &sec, epoch, t) == 1) {
        *out = (time_t)day * 86400 + sec;
        rv = 0;
    }
    ASN1_TIME_free(epoch);
    return rv;
}

int aop_cert_bounds(X509 *x, time_t *not_before, time_t *not_after)
{
    return (aop_time_epoch(X509_get0_notBefore(x), not_before) == 0
            && aop_time_epoch(X509_get0_notAfter(x), not_after) == 0) ? 0 : -1;
}

int aop_validity_state(time_t not_before, time_t not_after, time_t now)
{
    return now < not_before ? -1 : (now >= not_after ? 1 : 0);
}

int aop_cert_validity(X509 *x, time_t now, int *state)
{
    time_t not_before, not_after;

    if (aop_cert_bounds(x, &not_before, &not_after) != 0) {
        return -1;
    }
    *state = aop_validity_state(not_before, not_after, now);
    return *state == 0;
}

int aop_cert_subject_cn(X509 *x, char *buf, size_t len)
{
    const X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    int n = -1;

    if (i >= 0) {
        n = ASN1_STRING_to_UTF8(&utf8,
                                X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    }
    ERR_clear_error();
    if (n < 0 || (size_t)n >= len) {
        OPENSSL_free(utf8);
        return -1;
    }
    memcpy(buf, utf8, (size_t)n);
    buf[n] = '\0';
    OPENSSL_free(utf8);
    return 0;
}

int aop_cert_is_ca(X509 *x)
{
    return X509_check_ca(x) > 0;
}

int aop_cert_eku_allows_client(X509 *x)
{
    /* The flags OpenSSL's purpose checks read, decoded once per certificate. */
    int ok = (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) == 0
             || (X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) != 0;

    ERR_clear_error();
    return ok;
}

int aop_cert_is_cloudflare_origin_ca(X509 *x)
{
    /* Decoded once: configuration checks every anchor against them. */
    static unsigned char roots[4][AOP_SHA256_LEN];
    static int nroots = -1;
    unsigned char d[AOP_SHA256_LEN];
    STACK_OF(X509) *certs = NULL;
    int i;

    if (nroots < 0) {
        nroots = 0;
        if (aop_pem_load_mem(aop_cloudflare_origin_ca_pem,
                             strlen(aop_cloudflare_origin_ca_pem),
                             "Cloudflare Origin CA roots", &certs, NULL) == 0) {
            for (i = 0; i < sk_X509_num(certs) && nroots < 4; i++) {
                if (aop_spki_sha256(sk_X509_value(certs, i), roots[nroots]) == 0) {
                    nroots++;
                }
            }
            aop_certs_free(certs);
        }
    }
    if (aop_spki_sha256(x, d) != 0) {
        return 0;
    }
    for (i = 0; i < nroots; i++) {
        if (memcmp(d, roots[i], AOP_SHA256_LEN) == 0) {
            return 1;
        }
    }
    return 0;
}

X509_STORE *aop_system_store_load(void)
{
    X509_STORE *store = X509_STORE_new();

    if (store && X509_STORE_set_default_paths(store) != 1) {
        X509_STORE_free(store);
        store = NULL;
    }
    ERR_clear_error();
    return store;
}

int aop_store_has_cert(X509_STORE *store, X509 *x)
{
    X509_STORE_CTX *ctx = NULL;
    X509_OBJECT *obj = NULL;
    int found = 0;

    if (!store) {
        return 0;
    }
    ctx = X509_STORE_CTX_new();
    obj = X509_OBJECT_new();
    if (ctx && obj && X509_STORE_CTX_init(ctx, store, NULL, NULL) == 1
        && X509_STORE_CTX_get_by_subject(ctx, X509_LU_X509,
                                         X509_get_subject_name(x), obj) == 1) {
        found = X509_cmp(X509_OBJECT_get0_X509(obj), x) == 0;
    }
    X509_OBJECT_free(obj);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return found;
}

/* Lets every verification error through, so that OpenSSL builds the chain
 * as far as it goes: only who signed what is wanted. A signature that does
 * not verify is noted (a certificate that merely names a CA as its issuer
 * was not issued by it). */
static int aop_build_only(int ok, X509_STORE_CTX *ctx)
{
    int *forged = X509_STORE_CTX_get_app_data(ctx);

    switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        *forged |= !ok;
        break;
    default:
        break;
    }
    return 1;
}

int aop_store_issued(X509_STORE *store, X509 *x, STACK_OF(X509) *untrusted)
{
    X509_STORE_CTX *ctx;
    int issued = 0, forged = 0;

    if (!store) {
        return 0;
    }
    ERR_set_mark();
    ctx = X509_STORE_CTX_new();
    if (ctx && X509_STORE_CTX_init(ctx, store, x, untrusted) == 1) {
        X509_STORE_CTX_set_app_data(ctx, &forged);
        X509_STORE_CTX_set_verify_cb(ctx, aop_build_only);
        (void)X509_verify_cert(ctx);
        /* The chain holds x and the untrusted certificates it went
         * through, then those it found in the store. */
        issued = !forged && sk_X509_num(X509_STORE_CTX_get0_chain(ctx))
                                > X509_STORE_CTX_get_num_untrusted(ctx);
    }
    X509_STORE_CTX_free(ctx);
    ERR_pop_to_mark();
    return issued;
}

/* Algorithms that OpenSSL releases before the one named do not know at
 * all (not even their OID's name), by OID: what messages call them. */
static const struct aop_newer_algorithm {
    const char *oid;
    const char *name;
    const char *openssl;
} aop_newer_algorithms[] = {
    { "2.16.840.1.101.3.4.3.17", "ML-DSA-44", "3.5" },
    { "2.16.840.1.101.3.4.3.18", "ML-DSA-65", "3.5" },
    { "2.16.840.1.101.3.4.3.19", "ML-DSA-87", "3.5" },
};

static const struct aop_newer_algorithm *aop_newer_algorithm_find(const char *s)
{
    size_t i;

    for (i = 0; s && i < sizeof(aop_newer_algorithms) / sizeof(*aop_newer_algorithms); i++) {
        if (strcmp(s, aop_newer_algorithms[i].oid) == 0
            || strcmp(s, aop_newer_algorithms[i].name) == 0) {
            return &aop_newer_algorithms[i];
        }
    }
    return NULL;
}

const char *aop_algorithm_openssl_version(const char *what)
{
    const struct aop_newer_algorithm *a = aop_newer_algorithm_find(what);

    return a ? a->openssl : NULL;
}

/* The name OpenSSL has for an algorithm, else the one it will have, else
 * its OID. */
static void aop_algorithm_name(const ASN1_OBJECT *oid, char *what, size_t len)
{
    const struct aop_newer_algorithm *a;

    if (OBJ_obj2txt(what, (int)len, oid, 0) <= 0) {
        snprintf(what, len, "unknown");
    }
    else if ((a = aop_newer_algorithm_find(what)) != NULL) {
        snprintf(what, len, "%s", a->name);
    }
}

int aop_cert_algorithms_supported(X509 *x, char *what, size_t len)
{
    const X509_ALGOR *sig_alg;
    const ASN1_OBJECT *oid;
    ASN1_OBJECT *key_oid = NULL;
    int md_nid, pk_nid, ok = 1;

    if (!X509_get0_pubkey(x)) {
        X509_PUBKEY_get0_param(&key_oid, NULL, NULL, NULL, X509_get_X509_PUBKEY(x));
        if (key_oid) {
            aop_algorithm_name(key_oid, what, len);
        }
        else {
            snprintf(what, len, "unknown");
        }
        ok = 0;
    }
    else if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md_nid, &pk_nid)) {
        X509_get0_signature(NULL, &sig_alg, x);
        X509_ALGOR_get0(&oid, NULL, NULL, sig_alg);
        aop_algorithm_name(oid, what, len);
        ok = 0;
    }
    ERR_clear_error();
    return ok;
}
