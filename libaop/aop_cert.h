/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * aop_cert: certificate and PEM handling for mod_cfaop and the cfaop tool.
 *
 * Part of the httpd-independent core (aop_*): OpenSSL only, no APR, so that
 * the admin tool and the unit tests use exactly the code the module runs.
 */
#ifndef AOP_CERT_H
#define AOP_CERT_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#define AOP_ERRLEN 512
#define AOP_SHA256_LEN 32
#define AOP_SHA256_HEXLEN (2 * AOP_SHA256_LEN + 1)

/* The last error of a core call, written for a human (no trailing newline). */
typedef struct aop_error {
    char msg[AOP_ERRLEN];
} aop_error;

void aop_error_set(aop_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Cloudflare's origin-pull CA (data/cloudflare-origin-pull-ca.pem), built in. */
extern const char aop_cloudflare_ca_pem[];
#define AOP_CLOUDFLARE_ANCHOR "cloudflare"
/* Cloudflare's Origin CA roots (data/cloudflare-origin-ca-roots.pem): they
 * sign origin server certificates, never the edge's client certificate. */
extern const char aop_cloudflare_origin_ca_pem[];

/*
 * Reads every certificate of a PEM file or buffer. Fails (returns -1, sets err)
 * when the input cannot be read, holds no certificate, or has a certificate
 * block that does not parse: a partly readable trust file is never accepted.
 * `origin` names the input in messages. On success *certs holds >= 1 cert.
 */
int aop_pem_load_file(const char *path, STACK_OF(X509) **certs, aop_error *err);
int aop_pem_load_mem(const char *pem, size_t len, const char *origin,
                     STACK_OF(X509) **certs, aop_error *err);
void aop_certs_free(STACK_OF(X509) *certs);

/* Reads every CRL of a PEM file (-----BEGIN X509 CRL-----), with the same
 * rules: none, or one that does not parse, is an error. */
int aop_crl_load_file(const char *path, STACK_OF(X509_CRL) **crls, aop_error *err);
void aop_crls_free(STACK_OF(X509_CRL) *crls);

/* Reads one private key from a PEM file; the key never leaves the process. */
int aop_key_load_file(const char *path, EVP_PKEY **key, aop_error *err);
/* 1 when `key` is the private key of `cert`. */
int aop_key_matches_cert(X509 *cert, EVP_PKEY *key);

/* SHA-256 of the certificate DER and of its SubjectPublicKeyInfo DER. */
int aop_cert_sha256(X509 *x, unsigned char out[AOP_SHA256_LEN]);
int aop_spki_sha256(X509 *x, unsigned char out[AOP_SHA256_LEN]);
/* Lowercase hex, NUL-terminated; out holds 2*n+1 bytes. */
void aop_hex(const unsigned char *data, size_t n, char *out);
/* Base64 of a SHA-256 digest, as in spki-sha256 pins; out holds >= 45 bytes. */
void aop_base64_sha256(const unsigned char digest[AOP_SHA256_LEN], char out[45]);

/* The certificate as PEM text; malloc'ed, release with free(). NULL on failure. */
char *aop_cert_to_pem(X509 *x);
/* RFC 2253 form of a name; malloc'ed, release with free(). NULL on failure. */
char *aop_name_rfc2253(const X509_NAME *name);
/* notAfter as OpenSSL prints it ("Nov  1 17:00:00 2029 GMT"). */
int aop_cert_not_after_str(X509 *x, char *buf, size_t len);
/* notAfter as RFC 3339 UTC ("2029-11-01T17:00:00Z"). */
int aop_cert_not_after_iso(X509 *x, char *buf, size_t len);
/* The same three readings of any ASN.1 time (a CRL's nextUpdate, say):
 * RFC 3339 UTC, whole days from `now` (negative once past), seconds since
 * the epoch. */
int aop_time_iso(const ASN1_TIME *t, char *buf, size_t len);
int aop_time_days_left(const ASN1_TIME *t, time_t now, int *days);
int aop_time_epoch(const ASN1_TIME *t, time_t *out);
/* Whole days from `now` to notAfter (negative once expired). */
int aop_cert_days_left(X509 *x, time_t now, int *days);
/* The same for an RFC 3339 UTC date ("2030-04-04T13:31:00.186877Z"), as
 * the Cloudflare API gives expires_on. */
int aop_iso_days_left(const char *iso, time_t now, int *days);
/* notBefore and notAfter as seconds since the epoch. */
int aop_cert_bounds(X509 *x, time_t *not_before, time_t *not_after);
/* The validity rule: 0 when `now` lies in [not_before, not_after), as
 * OpenSSL's verifier counts it; -1 not yet valid, 1 expired. */
int aop_validity_state(time_t not_before, time_t not_after, time_t now);
/* 1 when `x` is valid at `now`, 0 when not; sets *state as
 * aop_validity_state. Returns -1 when the dates cannot be read. */
int aop_cert_validity(X509 *x, time_t now, int *state);
/* The subject's (first) commonName as UTF-8; -1 when the subject has none
 * or it does not fit in `len` bytes with its NUL. */
int aop_cert_subject_cn(X509 *x, char *buf, size_t len);
/* 1 when the certificate may act as a CA (basicConstraints CA:TRUE or v1 root). */
int aop_cert_is_ca(X509 *x);
/* 1 unless x has an extendedKeyUsage without clientAuth: the check of
 * OpenSSL's sslclient purpose, which a TLS server's chain verification of a
 * client certificate applies to the leaf (anyExtendedKeyUsage alone does
 * not pass it either). */
int aop_cert_eku_allows_client(X509 *x);
/* 1 when x has the key of one of Cloudflare's Origin CA roots. */
int aop_cert_is_cloudflare_origin_ca(X509 *x);
/* This system's default trust store (OpenSSL's default file and directory),
 * NULL on failure; release with X509_STORE_free. */
X509_STORE *aop_system_store_load(void);
/* 1 when x is among the certificates of `store` (a public CA, say). */
int aop_store_has_cert(X509_STORE *store, X509 *x);
/* 1 when OpenSSL builds x's chain, through the certificates of `untrusted`
 * (may be NULL), up to a certificate of `store`: x was issued, directly or
 * through intermediates, by a CA the store holds. Only the chain's shape
 * counts, not whether it would verify today. */
int aop_store_issued(X509_STORE *store, X509 *x, STACK_OF(X509) *untrusted);
/* Longest algorithm name or OID kept for messages, with the NUL. */
#define AOP_ALGORITHM_LEN 64
/* 1 when this OpenSSL can use x's public key and knows its signature
 * algorithm; else 0, and `what` names the first algorithm it cannot (an
 * OID when OpenSSL has no name for it). */
int aop_cert_algorithms_supported(X509 *x, char *what, size_t len);
/* The first OpenSSL release that can use an algorithm as
 * aop_cert_algorithms_supported names it ("3.5" for ML-DSA-44), NULL when
 * it is not known. */
const char *aop_algorithm_openssl_version(const char *what);

#endif /* AOP_CERT_H */
