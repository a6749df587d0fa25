/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * testpki: a throw-away PKI for the unit tests, generated with OpenSSL on
 * every run (EC P-256, so it costs milliseconds), and helpers to write PEM
 * files into a temporary directory. Nothing here is checked into the tree,
 * so no test can start failing because a fixture certificate expired.
 */
#ifndef TESTPKI_H
#define TESTPKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define TP_PATHLEN 512
#define TP_DAY (24L * 60 * 60)

/* A certificate and its private key, both owned. */
typedef struct tp_cert {
    X509 *x;
    EVP_PKEY *key;
} tp_cert;

/* What tp_issue puts in a certificate. Zero fields mean "leave out". */
typedef struct tp_spec {
    const char *cn;           /* subject commonName */
    const char *org;          /* subject organizationName, before the CN */
    const X509_NAME *subject; /* copied as the whole subject instead of cn/org */
    int ca;                   /* basicConstraints CA:TRUE + keyCertSign; else CA:FALSE */
    const char *eku;          /* extendedKeyUsage value, e.g. "clientAuth" */
    time_t not_before, not_after;
    EVP_PKEY *key;            /* reuse this subject key (re-issue); NULL: a new key */
    int v1;                   /* an X.509 v1 certificate, without extensions */
    int rsa_bits;             /* a new RSA key of this size instead of P-256 */
    const EVP_MD *md;         /* signature digest; NULL: SHA-256 */
} tp_spec;

/* Issues `spec`, signed by `issuer` or self-signed when NULL. 0 or -1. */
int tp_issue(const tp_spec *spec, const tp_cert *issuer, tp_cert *out);
void tp_cert_free(tp_cert *c);

/* The certificates the tests judge. Every validity is relative to `now`. */
typedef struct tp_pki {
    time_t now;
    tp_cert root;          /* trusted CA */
    tp_cert inter;         /* CA signed by root */
    tp_cert leaf;          /* clientAuth, signed by root, valid [now-1h, now+10d] */
    tp_cert reissued;      /* leaf's subject and key again, new serial */
    tp_cert leaf_inter;    /* clientAuth, signed by inter */
    tp_cert foreign_ca;    /* an unrelated CA */
    tp_cert foreign_leaf;  /* clientAuth, signed by foreign_ca */
    tp_cert subject_copy;  /* leaf's subject, signed by foreign_ca */
    tp_cert impostor_ca;   /* self-signed, root's subject, another key */
    tp_cert impostor_leaf; /* signed by impostor_ca (issuer name = root's) */
    tp_cert expired;       /* signed by root, [now-30d, now-1d] */
    tp_cert not_yet_valid; /* signed by root, [now+1d, now+30d] */
    tp_cert server_only;   /* signed by root, serverAuth EKU only */
    tp_cert non_ca;        /* self-signed, CA:FALSE */
} tp_pki;

int tp_pki_create(tp_pki *pki);
void tp_pki_free(tp_pki *pki);

/* A new private directory (mkdtemp) in $TMPDIR or /tmp. 0 or -1. */
int tp_tmpdir_create(char dir[TP_PATHLEN]);
/* Removes the files in `dir`, then `dir` (the tests create no subdirectories). */
void tp_tmpdir_remove(const char *dir);

/* Writes `text` to dir/name; `path` receives the file name. 0 or -1. */
int tp_write_text(const char *dir, const char *name, const char *text,
                  char path[TP_PATHLEN]);
/* Writes certs[0..n-1] as PEM, then `trailer` when not NULL. 0 or -1. */
int tp_write_certs(const char *dir, const char *name, X509 *const *certs, int n,
                   const char *trailer, char path[TP_PATHLEN]);
/* A CRL of `issuer` listing `revoked` (n of them), valid from last to next. */
X509_CRL *tp_crl(const tp_cert *issuer, X509 *const *revoked, int n, time_t last,
                 time_t next);
/* Writes crls[0..n-1] as PEM. 0 or -1. */
int tp_write_crls(const char *dir, const char *name, X509_CRL *const *crls, int n,
                  char path[TP_PATHLEN]);

/* Writes `key` as PEM; encrypted with AES-256 under `pass` when not NULL,
 * in the PKCS#8 or the traditional ("Proc-Type: 4,ENCRYPTED") form. */
int tp_write_key(const char *dir, const char *name, EVP_PKEY *key,
                 const char *pass, int traditional, char path[TP_PATHLEN]);

/* PEM text of one certificate, or of an unencrypted private key;
 * malloc'ed, release with free(). */
char *tp_cert_pem(X509 *x);
char *tp_key_pem(EVP_PKEY *key);

#endif /* TESTPKI_H */
