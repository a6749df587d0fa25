/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * Unit tests of the httpd-independent core (aop_*): PEM and key loading,
 * digests, names and dates, pins, the acceptance policy (SPEC §2) and
 * hostname normalisation. Every certificate is generated per run (testpki).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "aop_cert.h"
#include "aop_hostname.h"
#include "aop_pin.h"
#include "aop_policy.h"
#include "aop_text.h"
#include "testpki.h"

/* The built-in Cloudflare origin-pull CA, as published by Cloudflare. */
#define CF_SHA256_HEX "9a1ac2b4be15f9f27eee20a734cba4e9898f61001b3bd7c84b69b56a3e25a2b9"
#define CF_SHA256_COLONS "9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:" \
                         "89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"
#define CF_SPKI_B64 "4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0w="
#define CF_NOT_AFTER "Nov  1 17:00:00 2029 GMT"

/* 2050-01-02T03:04:05Z: from 2050 on, certificates carry GeneralizedTime. */
#define T_2050 ((time_t)2524705445LL)

/* ------------------------------------------------------------------------ */
/* fixture and helpers */

typedef struct fixture {
    tp_pki pki;
    char dir[TP_PATHLEN]; /* scratch files of this group */
} fixture;

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));

    if (!fx || tp_pki_create(&fx->pki) != 0) {
        free(fx);
        return -1;
    }
    if (tp_tmpdir_create(fx->dir) != 0) {
        tp_pki_free(&fx->pki);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;

    tp_tmpdir_remove(fx->dir);
    tp_pki_free(&fx->pki);
    free(fx);
    return 0;
}

/* assert_true(strstr()) would not show the strings when it fails. */
#define assert_contains(hay, needle) \
    assert_contains_at((hay), (needle), __FILE__, __LINE__)

static void assert_contains_at(const char *hay, const char *needle,
                               const char *file, int line)
{
    if (!hay || !strstr(hay, needle)) {
        print_error("\"%s\" does not contain \"%s\"\n", hay ? hay : "(null)", needle);
        _fail(file, line);
    }
}

/* dir/name in the group's scratch directory. */
static void scratch_path(const fixture *fx, const char *name, char path[TP_PATHLEN])
{
    int n = snprintf(path, TP_PATHLEN, "%s/%s", fx->dir, name);

    assert_true(n > 0 && n < TP_PATHLEN);
}

/* Loads the built-in Cloudflare CA; the caller frees it. */
static X509 *cloudflare_ca(void)
{
    STACK_OF(X509) *certs = NULL;
    aop_error err = { "" };
    X509 *ca;

    assert_int_equal(aop_pem_load_mem(aop_cloudflare_ca_pem,
                                      strlen(aop_cloudflare_ca_pem),
                                      AOP_CLOUDFLARE_ANCHOR, &certs, &err), 0);
    assert_int_equal(sk_X509_num(certs), 1);
    ca = sk_X509_shift(certs);
    sk_X509_free(certs);
    return ca;
}

/* A file load that must fail: the message names the file and says `why`,
 * and the output is left alone. */
static void assert_load_fails(const char *path, const char *why)
{
    STACK_OF(X509) *certs = NULL;
    aop_error err = { "" };

    assert_int_equal(aop_pem_load_file(path, &certs, &err), -1);
    assert_null(certs);
    assert_contains(err.msg, path);
    assert_contains(err.msg, why);
}

/* Writes `text` to a scratch file and expects the load to fail with `why`. */
static void assert_text_load_fails(const fixture *fx, const char *name,
                                   const char *text, const char *why)
{
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_text(fx->dir, name, text, path), 0);
    assert_load_fails(path, why);
}

/* Loads `path`, expects `n` certificates equal to `expect`. */
static void assert_loads(const char *path, X509 *const *expect, int n)
{
    STACK_OF(X509) *certs = NULL;
    aop_error err = { "" };
    int i;

    assert_int_equal(aop_pem_load_file(path, &certs, &err), 0);
    assert_int_equal(sk_X509_num(certs), n);
    for (i = 0; i < n; i++) {
        assert_int_equal(X509_cmp(sk_X509_value(certs, i), expect[i]), 0);
    }
    aop_certs_free(certs);
}

static void sha256_hex(X509 *x, char hex[AOP_SHA256_HEXLEN])
{
    unsigned char d[AOP_SHA256_LEN];

    assert_int_equal(aop_cert_sha256(x, d), 0);
    aop_hex(d, sizeof(d), hex);
}

/* A stack of borrowed certificates (release with sk_X509_free). */
static STACK_OF(X509) *chain_of(X509 *x)
{
    STACK_OF(X509) *sk = sk_X509_new_null();

    assert_non_null(sk);
    assert_true(sk_X509_push(sk, x) > 0);
    return sk;
}

static aop_pin cert_pin(X509 *x)
{
    aop_pin pin;

    assert_int_equal(aop_pin_from_cert(x, &pin), 0);
    return pin;
}

static aop_pin spki_pin(X509 *x)
{
    aop_pin pin = { .kind = AOP_PIN_SPKI_SHA256 };

    assert_int_equal(aop_spki_sha256(x, pin.digest), 0);
    return pin;
}

static aop_policy *policy_new(X509 *const *anchors, int nanchors,
                              const aop_pin *pins, int npins)
{
    aop_policy *p = aop_policy_new();
    aop_error err = { "" };
    int i;

    assert_non_null(p);
    for (i = 0; i < nanchors; i++) {
        assert_int_equal(aop_policy_add_anchor(p, anchors[i], &err), 0);
    }
    for (i = 0; i < npins; i++) {
        assert_int_equal(aop_policy_add_pin(p, &pins[i]), 0);
    }
    return p;
}

/* The security level of a TLS server on Debian (openssl.cnf SECLEVEL=2). */
#define TEST_AUTH_LEVEL 2

/* Applies the policy to `cert` (NULL: no certificate) as the module does:
 * the chain result (`known`, else verified here) and then the rule. */
static aop_result judge(const aop_policy *p, X509 *cert, STACK_OF(X509) *untrusted,
                        time_t now, const aop_chain_result *known)
{
    aop_chain_result chain;
    const aop_chain_result *with = known;
    aop_leaf leaf;
    aop_result res;

    if (cert) {
        assert_int_equal(aop_leaf_init(&leaf, cert), 0);
        if (!with && aop_policy_store(p)) {
            aop_policy_verify_chain(p, cert, untrusted, now, TEST_AUTH_LEVEL, &chain);
            with = &chain;
        }
    }
    aop_policy_check(p, cert ? &leaf : NULL, with, now, &res);
    return res;
}

/* Compared as reason strings, so that a failure reads "untrusted" != "ok". */
#define assert_verdict(expected, got) \
    assert_string_equal(aop_verdict_reason(expected), aop_verdict_reason(got))

/* The verdict for `cert` at the PKI's `now`, without intermediates. */
static aop_verdict verdict(const fixture *fx, const aop_policy *p, X509 *cert)
{
    return judge(p, cert, NULL, fx->pki.now, NULL).verdict;
}

/* ------------------------------------------------------------------------ */
/* PEM */

static void test_pem_load_one(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_certs(fx->dir, "one.pem", &fx->pki.leaf.x, 1,
                                    NULL, path), 0);
    assert_loads(path, &fx->pki.leaf.x, 1);
}

static void test_pem_load_several_in_order(void **state)
{
    fixture *fx = *state;
    X509 *certs[] = { fx->pki.leaf_inter.x, fx->pki.inter.x, fx->pki.root.x };
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_certs(fx->dir, "three.pem", certs, 3, NULL, path), 0);
    assert_loads(path, certs, 3);
}

/* Bundles often carry comments (openssl x509 -text, "subject=" lines). */
static void test_pem_text_between_blocks_is_ignored(void **state)
{
    fixture *fx = *state;
    X509 *certs[] = { fx->pki.leaf.x, fx->pki.root.x };
    char *a = tp_cert_pem(certs[0]), *b = tp_cert_pem(certs[1]);
    char text[8192], path[TP_PATHLEN];

    assert_non_null(a);
    assert_non_null(b);
    snprintf(text, sizeof(text), "# bundle\nsubject=CN=leaf\n%s\nissuer: root\n%s"
             "trailing words\n", a, b);
    free(a);
    free(b);
    assert_int_equal(tp_write_text(fx->dir, "comments.pem", text, path), 0);
    assert_loads(path, certs, 2);
}

static void test_pem_load_mem(void **state)
{
    fixture *fx = *state;
    char *a = tp_cert_pem(fx->pki.leaf.x), *b = tp_cert_pem(fx->pki.root.x);
    char text[8192];
    STACK_OF(X509) *certs = NULL;
    aop_error err = { "" };

    assert_non_null(a);
    assert_non_null(b);
    snprintf(text, sizeof(text), "%s%s", a, b);

    assert_int_equal(aop_pem_load_mem(text, strlen(text), "mem", &certs, &err), 0);
    assert_int_equal(sk_X509_num(certs), 2);
    assert_int_equal(X509_cmp(sk_X509_value(certs, 1), fx->pki.root.x), 0);
    aop_certs_free(certs);
    certs = NULL;

    /* `len` bounds the input: only the first certificate is inside it. */
    assert_int_equal(aop_pem_load_mem(text, strlen(a), "mem", &certs, &err), 0);
    assert_int_equal(sk_X509_num(certs), 1);
    assert_int_equal(X509_cmp(sk_X509_value(certs, 0), fx->pki.leaf.x), 0);
    aop_certs_free(certs);
    free(a);
    free(b);
}

static void test_pem_mem_error_names_origin(void **state)
{
    STACK_OF(X509) *certs = NULL;
    aop_error err = { "" };

    (void)state;
    assert_int_equal(aop_pem_load_mem("junk", 4, "inline anchors", &certs, &err), -1);
    assert_null(certs);
    assert_contains(err.msg, "inline anchors: ");
    assert_int_equal(aop_pem_load_mem("", 0, "empty", &certs, &err), -1);
    assert_null(certs);
}

static void test_pem_missing_file(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];

    scratch_path(fx, "does-not-exist.pem", path);
    assert_load_fails(path, "No such file");
}

static void test_pem_directory(void **state)
{
    fixture *fx = *state;

    assert_load_fails(fx->dir, "not a regular file");
}

static void test_pem_empty_file(void **state)
{
    assert_text_load_fails(*state, "empty.pem", "", "no PEM certificate");
}

static void test_pem_key_only(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_key(fx->dir, "key-only.pem", fx->pki.leaf.key,
                                  NULL, 0, path), 0);
    assert_load_fails(path, "no PEM certificate");
}

static void test_pem_bad_base64(void **state)
{
    assert_text_load_fails(*state, "bad64.pem",
                           "-----BEGIN CERTIFICATE-----\n"
                           "@@@@ not base64 @@@@\n"
                           "-----END CERTIFICATE-----\n",
                           "certificate 1 does not parse");
}

/* Good base64 of bytes that are not a DER certificate ("hello world"). */
static void test_pem_not_der(void **state)
{
    assert_text_load_fails(*state, "notder.pem",
                           "-----BEGIN CERTIFICATE-----\n"
                           "aGVsbG8gd29ybGQ=\n"
                           "-----END CERTIFICATE-----\n",
                           "certificate 1 does not parse");
}

static void test_pem_truncated(void **state)
{
    fixture *fx = *state;
    char *pem = tp_cert_pem(fx->pki.leaf.x);

    assert_non_null(pem);
    *strstr(pem, "-----END") = '\0'; /* BEGIN and the whole body, no END */
    assert_text_load_fails(fx, "truncated.pem", pem, "does not parse");
    free(pem);
}

/* A good certificate must not excuse a broken one after it. */
static void test_pem_garbage_after_good_cert(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_certs(fx->dir, "tail.pem", &fx->pki.root.x, 1,
                                    "-----BEGIN CERTIFICATE-----\n"
                                    "@@ junk @@\n"
                                    "-----END CERTIFICATE-----\n", path), 0);
    assert_load_fails(path, "certificate 2 does not parse");
}

/* A block without data ends OpenSSL's certificate reader as if the input
 * had: the non-CA leaf after it would go unseen (found by fuzz_pem). */
static void test_pem_empty_block_is_not_the_end(void **state)
{
    fixture *fx = *state;
    X509 *certs[] = { fx->pki.root.x, fx->pki.leaf.x };
    char *a = tp_cert_pem(certs[0]), *b = tp_cert_pem(certs[1]);
    char text[8192];
    STACK_OF(X509) *got = NULL;
    aop_error err = { "" };

    assert_non_null(a);
    assert_non_null(b);
    snprintf(text, sizeof(text), "%s-----BEGIN CERTIFICATE-----\n"
             "-----END CERTIFICATE-----\n%s", a, b);
    assert_text_load_fails(fx, "empty-block.pem", text, "certificate 2 does not parse");
    assert_int_equal(aop_pem_load_mem(text, strlen(text), "mem", &got, &err), -1);
    assert_null(got);
    assert_contains(err.msg, "certificate 2 does not parse");

    /* A header and no data is no better. */
    snprintf(text, sizeof(text), "%s-----BEGIN CERTIFICATE-----\n"
             "Comment: nothing\n\n-----END CERTIFICATE-----\n%s", a, b);
    assert_text_load_fails(fx, "header-only.pem", text, "certificate 2 does not parse");
    free(a);
    free(b);
}

/* A certificate block with encryption headers is refused at once. OpenSSL
 * would ask for its pass phrase on the terminal, or read it from stdin
 * when there is none: the module at startup and the tool would hang or
 * swallow their input. The pass phrase waits on stdin here, so a reader
 * that asks gets it and loads the certificate; the alarm ends a prompt on
 * a terminal. */
static void test_pem_encrypted_cert_block_fails_without_prompt(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];
    BIO *bio;
    FILE *f;
    char *data;
    long len;
    int fds[2], saved;

    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_ASN1_write_bio((i2d_of_void *)i2d_X509, PEM_STRING_X509, bio,
                                        fx->pki.root.x, EVP_aes_128_cbc(),
                                        (unsigned char *)"secret", 6, NULL, NULL), 1);
    len = BIO_get_mem_data(bio, &data);
    scratch_path(fx, "encrypted-cert.pem", path);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, (size_t)len, f), (size_t)len);
    assert_int_equal(fclose(f), 0);
    BIO_free(bio);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "secret\n", 7), 7);
    close(fds[1]);
    saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    alarm(10);
    assert_load_fails(path, "PEM headers");
    alarm(0);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
}

/* A file and a buffer of the same bytes are the same trust. stdio's line
 * reader ended a line at a NUL byte where a memory BIO does not, so a
 * BEGIN line with a NUL and text after it began a certificate in a file
 * and not in a buffer (found by fuzz_pem). */
static void test_pem_file_and_memory_agree_on_nul(void **state)
{
    fixture *fx = *state;
    char *pem = tp_cert_pem(fx->pki.root.x), *eol, path[TP_PATHLEN];
    char text[8192];
    size_t len, head;
    STACK_OF(X509) *got = NULL;
    aop_error err = { "" };
    FILE *f;

    assert_non_null(pem);
    eol = strchr(pem, '\n'); /* end of the BEGIN line */
    head = (size_t)(eol - pem);
    memcpy(text, pem, head);
    memcpy(text + head, "\0junk", 5);
    len = strlen(pem) - head;
    memcpy(text + head + 5, eol, len);
    len += head + 5;
    free(pem);

    assert_int_equal(aop_pem_load_mem(text, len, "mem", &got, &err), -1);
    assert_null(got);
    assert_contains(err.msg, "no PEM certificate");
    scratch_path(fx, "nul.pem", path);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_load_fails(path, "no PEM certificate");
}

static void test_cloudflare_ca(void **state)
{
    X509 *ca = cloudflare_ca();
    unsigned char spki[AOP_SHA256_LEN];
    char hex[AOP_SHA256_HEXLEN], b64[45], date[64];
    char *subject = aop_name_rfc2253(X509_get_subject_name(ca));

    (void)state;
    assert_true(aop_cert_is_ca(ca));
    sha256_hex(ca, hex);
    assert_string_equal(hex, CF_SHA256_HEX);
    assert_int_equal(aop_spki_sha256(ca, spki), 0);
    aop_base64_sha256(spki, b64);
    assert_string_equal(b64, CF_SPKI_B64);
    assert_contains(subject, "CN=origin-pull.cloudflare.net");
    assert_int_equal(aop_cert_not_after_str(ca, date, sizeof(date)), 0);
    assert_string_equal(date, CF_NOT_AFTER);
    assert_int_equal(aop_cert_not_after_iso(ca, date, sizeof(date)), 0);
    assert_string_equal(date, "2029-11-01T17:00:00Z");
    free(subject);
    X509_free(ca);
}

/* ------------------------------------------------------------------------ */
/* keys */

static void test_key_load_and_match(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];
    EVP_PKEY *key = NULL;
    aop_error err = { "" };

    assert_int_equal(tp_write_key(fx->dir, "leaf.key", fx->pki.leaf.key,
                                  NULL, 0, path), 0);
    assert_int_equal(aop_key_load_file(path, &key, &err), 0);
    assert_non_null(key);
    assert_true(aop_key_matches_cert(fx->pki.leaf.x, key));
    assert_true(aop_key_matches_cert(fx->pki.reissued.x, key)); /* same key */
    assert_false(aop_key_matches_cert(fx->pki.foreign_leaf.x, key));
    assert_false(aop_key_matches_cert(fx->pki.root.x, key));
    EVP_PKEY_free(key);
}

/* The private key after the certificate, as `cat cert key > both.pem` makes. */
static void test_key_after_cert_in_one_file(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];
    char *key_pem = tp_key_pem(fx->pki.leaf.key);
    EVP_PKEY *key = NULL;
    aop_error err = { "" };

    assert_non_null(key_pem);
    assert_int_equal(tp_write_certs(fx->dir, "both.pem", &fx->pki.leaf.x, 1,
                                    key_pem, path), 0);
    free(key_pem);
    assert_int_equal(aop_key_load_file(path, &key, &err), 0);
    assert_true(aop_key_matches_cert(fx->pki.leaf.x, key));
    EVP_PKEY_free(key);
}

static void assert_key_fails(const char *path, const char *why)
{
    EVP_PKEY *key = NULL;
    aop_error err = { "" };

    assert_int_equal(aop_key_load_file(path, &key, &err), -1);
    assert_null(key);
    assert_contains(err.msg, path);
    assert_contains(err.msg, why);
}

static void test_key_garbage(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];

    assert_int_equal(tp_write_text(fx->dir, "garbage.key", "not a key\n", path), 0);
    assert_key_fails(path, "no usable private key");
    assert_int_equal(tp_write_certs(fx->dir, "cert-not-key.pem", &fx->pki.leaf.x,
                                    1, NULL, path), 0);
    assert_key_fails(path, "no usable private key");
    scratch_path(fx, "missing.key", path);
    assert_key_fails(path, "No such file");
}

/* An encrypted key must fail at once: the module loads keys at startup
 * without a terminal. The alarm turns a passphrase prompt into a failure
 * (SIGALRM kills the run) instead of a hung test. */
static void test_key_encrypted_fails_without_prompt(void **state)
{
    fixture *fx = *state;
    char path[TP_PATHLEN];
    int traditional;

    for (traditional = 0; traditional <= 1; traditional++) {
        assert_int_equal(tp_write_key(fx->dir, "enc.key", fx->pki.leaf.key,
                                      "secret", traditional, path), 0);
        alarm(10);
        assert_key_fails(path, "is encrypted");
        alarm(0);
    }
}

/* ------------------------------------------------------------------------ */
/* digests */

/* SHA-256 of DER bytes written by an i2d function, computed here. */
static void digest_der(const unsigned char *der, int len, unsigned char out[AOP_SHA256_LEN])
{
    unsigned int n = 0;

    assert_true(len > 0);
    assert_int_equal(EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(n, AOP_SHA256_LEN);
}

static void test_cert_sha256_is_digest_of_der(void **state)
{
    fixture *fx = *state;
    unsigned char *der = NULL, want[AOP_SHA256_LEN], got[AOP_SHA256_LEN];
    int len = i2d_X509(fx->pki.leaf.x, &der);

    digest_der(der, len, want);
    OPENSSL_free(der);
    assert_int_equal(aop_cert_sha256(fx->pki.leaf.x, got), 0);
    assert_memory_equal(got, want, AOP_SHA256_LEN);

    /* The same key re-issued is another certificate. */
    assert_int_equal(aop_cert_sha256(fx->pki.reissued.x, got), 0);
    assert_memory_not_equal(got, want, AOP_SHA256_LEN);
}

static void test_spki_sha256_is_digest_of_public_key(void **state)
{
    fixture *fx = *state;
    unsigned char *der = NULL, want[AOP_SHA256_LEN], got[AOP_SHA256_LEN];
    int len = i2d_PUBKEY(fx->pki.leaf.key, &der);

    digest_der(der, len, want);
    OPENSSL_free(der);
    assert_int_equal(aop_spki_sha256(fx->pki.leaf.x, got), 0);
    assert_memory_equal(got, want, AOP_SHA256_LEN);

    /* The point of spki pins: a re-issue with the same key keeps it. */
    assert_int_equal(aop_spki_sha256(fx->pki.reissued.x, got), 0);
    assert_memory_equal(got, want, AOP_SHA256_LEN);
    assert_int_equal(aop_spki_sha256(fx->pki.foreign_leaf.x, got), 0);
    assert_memory_not_equal(got, want, AOP_SHA256_LEN);
}

static void test_hex_lowercase(void **state)
{
    const unsigned char data[] = { 0x00, 0x0f, 0xa5, 0xff, 0x9B };
    char out[2 * sizeof(data) + 1];

    (void)state;
    memset(out, 'x', sizeof(out));
    aop_hex(data, sizeof(data), out);
    assert_string_equal(out, "000fa5ff9b");
    aop_hex(data, 0, out);
    assert_string_equal(out, "");
}

static void test_base64_sha256(void **state)
{
    unsigned char zero[AOP_SHA256_LEN] = { 0 }, back[48];
    unsigned char digest[AOP_SHA256_LEN];
    char out[45];
    size_t i;

    (void)state;
    memset(out, 'x', sizeof(out));
    aop_base64_sha256(zero, out);
    assert_string_equal(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

    for (i = 0; i < sizeof(digest); i++) {
        digest[i] = (unsigned char)(0xff - 7 * i);
    }
    aop_base64_sha256(digest, out);
    assert_int_equal(strlen(out), 44);
    assert_int_equal(EVP_DecodeBlock(back, (unsigned char *)out, 44), 33);
    assert_memory_equal(back, digest, AOP_SHA256_LEN);
}

/* ------------------------------------------------------------------------ */
/* names and dates */

static void assert_name(const X509_NAME *name, const char *want)
{
    char *got = aop_name_rfc2253(name);

    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_name_rfc2253(void **state)
{
    fixture *fx = *state;

    /* RFC 2253 writes the most specific RDN first: CN before O. */
    assert_name(X509_get_subject_name(fx->pki.leaf.x), "CN=leaf,O=Test Org");
    assert_name(X509_get_issuer_name(fx->pki.leaf.x), "CN=Test Root CA");
}

/* Special characters are escaped as RFC 2253 says; UTF-8 stays UTF-8 as in
 * mod_ssl's SSL_CLIENT_S_DN (not \C3\BC). */
static void test_name_rfc2253_escapes_keep_utf8(void **state)
{
    fixture *fx = *state;
    tp_spec spec = { .cn = "a,b+c", .org = "Z\xc3\xbcrich",
                     .not_before = fx->pki.now, .not_after = fx->pki.now + TP_DAY };
    tp_cert c;

    assert_int_equal(tp_issue(&spec, NULL, &c), 0);
    assert_name(X509_get_subject_name(c.x), "CN=a\\,b\\+c,O=Z\xc3\xbcrich");
    tp_cert_free(&c);
}

/* An empty name (the subject a CA may leave out) prints as "", not NULL;
 * found by fuzz_pem, where UBSan caught memcpy from the empty BIO's NULL
 * data pointer. */
static void test_name_rfc2253_empty(void **state)
{
    X509_NAME *empty = X509_NAME_new();

    (void)state;
    assert_non_null(empty);
    assert_name(empty, "");
    X509_NAME_free(empty);
}

static void test_not_after_formats(void **state)
{
    fixture *fx = *state;
    tp_spec spec = { .cn = "2050", .not_before = fx->pki.now, .not_after = T_2050 };
    tp_cert c;
    char buf[64];

    assert_int_equal(tp_issue(&spec, NULL, &c), 0);
    /* As OpenSSL prints it: day padded with a space, "GMT". */
    assert_int_equal(aop_cert_not_after_str(c.x, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "Jan  2 03:04:05 2050 GMT");
    assert_int_equal(aop_cert_not_after_iso(c.x, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2050-01-02T03:04:05Z");

    /* Too small a buffer is an error, not a truncated date. */
    assert_int_equal(aop_cert_not_after_str(c.x, buf, 10), -1);
    assert_int_equal(aop_cert_not_after_iso(c.x, buf, 10), -1);
    tp_cert_free(&c);
}

static int days_left(X509 *x, time_t now)
{
    int days = 12345;

    assert_int_equal(aop_cert_days_left(x, now, &days), 0);
    return days;
}

static void test_days_left(void **state)
{
    fixture *fx = *state;
    X509 *leaf = fx->pki.leaf.x;              /* notAfter = now + 10 days */
    time_t end = fx->pki.now + 10 * TP_DAY;
    int d = days_left(leaf, time(NULL));

    assert_true(d == 9 || d == 10);
    assert_int_equal(days_left(leaf, fx->pki.now), 10);
    assert_int_equal(days_left(leaf, fx->pki.now + 1), 9);
    assert_int_equal(days_left(leaf, end - TP_DAY), 1);
    assert_int_equal(days_left(leaf, end - 1), 0);
    assert_int_equal(days_left(leaf, end + 1), -1);     /* rounds down */
    assert_int_equal(days_left(leaf, end + TP_DAY + 1), -2);
    assert_true(days_left(fx->pki.expired.x, time(NULL)) < 0);
}

/* The API's expires_on (RFC 3339) follows the same rule as the certificate. */
static void test_iso_days_left(void **state)
{
    fixture *fx = *state;
    X509 *leaf = fx->pki.leaf.x;
    time_t end = fx->pki.now + 10 * TP_DAY;
    time_t at[] = { fx->pki.now, fx->pki.now + 1, end - 1, end + 1, end + TP_DAY + 1 };
    char iso[40], frac[48];
    size_t i;
    int d;

    assert_int_equal(aop_cert_not_after_iso(leaf, iso, sizeof(iso)), 0);
    for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        assert_int_equal(aop_iso_days_left(iso, at[i], &d), 0);
        assert_int_equal(d, days_left(leaf, at[i]));
    }
    /* Cloudflare writes microseconds; they do not change whole days. */
    snprintf(frac, sizeof(frac), "%.19s.186877Z", iso);
    assert_int_equal(aop_iso_days_left(frac, end - 1, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(aop_iso_days_left("next tuesday", fx->pki.now, &d), -1);
    assert_int_equal(aop_iso_days_left("2030-13-40T25:61:61Z", fx->pki.now, &d), -1);
    assert_int_equal(aop_iso_days_left(NULL, fx->pki.now, &d), -1);
}

/* aop_cert_validity's return and state at `now`. */
#define assert_validity(x, now, want_rv, want_state) \
    assert_validity_at((x), (now), (want_rv), (want_state), __FILE__, __LINE__)

static void assert_validity_at(X509 *x, time_t now, int want_rv, int want_state,
                               const char *file, int line)
{
    int state = 99, rv = aop_cert_validity(x, now, &state);

    if (rv != want_rv || state != want_state) {
        print_error("aop_cert_validity gave %d, state %d; expected %d, state %d\n",
                    rv, state, want_rv, want_state);
        _fail(file, line);
    }
}

static void test_validity_states(void **state)
{
    fixture *fx = *state;

    assert_validity(fx->pki.leaf.x, fx->pki.now, 1, 0);
    assert_validity(fx->pki.expired.x, fx->pki.now, 0, 1);
    assert_validity(fx->pki.not_yet_valid.x, fx->pki.now, 0, -1);
    /* `now` is the caller's, not the clock. */
    assert_validity(fx->pki.expired.x, fx->pki.now - 2 * TP_DAY, 1, 0);
    assert_validity(fx->pki.not_yet_valid.x, fx->pki.now + 2 * TP_DAY, 1, 0);
}

/* notBefore is the first valid second. The second of notAfter already
 * counts as expired, as in OpenSSL's X509_verify_cert (RFC 5280 would say
 * inclusive): the core must agree with the verifier, or a leaf could pass
 * here and fail its chain in the same second (see test_policy_now). */
static void test_validity_boundaries(void **state)
{
    fixture *fx = *state;
    X509 *leaf = fx->pki.leaf.x;
    time_t start = fx->pki.now - 60 * 60, end = fx->pki.now + 10 * TP_DAY;

    assert_validity(leaf, start - 1, 0, -1);
    assert_validity(leaf, start, 1, 0);
    assert_validity(leaf, end - 1, 1, 0);
    assert_validity(leaf, end, 0, 1);
    assert_validity(leaf, end + 1, 0, 1);
}

static void test_is_ca(void **state)
{
    fixture *fx = *state;
    tp_spec v1 = { .cn = "v1 root", .v1 = 1,
                   .not_before = fx->pki.now, .not_after = fx->pki.now + TP_DAY };
    tp_cert root_v1;

    assert_true(aop_cert_is_ca(fx->pki.root.x));
    assert_true(aop_cert_is_ca(fx->pki.inter.x));
    assert_false(aop_cert_is_ca(fx->pki.leaf.x));
    assert_false(aop_cert_is_ca(fx->pki.non_ca.x));

    /* A self-signed v1 certificate has no basicConstraints: old roots. */
    assert_int_equal(tp_issue(&v1, NULL, &root_v1), 0);
    assert_true(aop_cert_is_ca(root_v1.x));
    tp_cert_free(&root_v1);
}

/* ------------------------------------------------------------------------ */
/* pins */

/* Parses `text`, expecting `rv`; returns the pin. */
static aop_pin parse_pin(const char *text, int rv)
{
    aop_pin pin;
    aop_error err = { "" };

    assert_int_equal(aop_pin_parse(text, &pin, &err), rv);
    if (rv < 0) {
        assert_true(err.msg[0] != '\0');
    }
    return pin;
}

/* A malformed pin: -1 and a message mentioning `why`. */
#define assert_bad_pin(text, why) assert_bad_pin_at((text), (why), __FILE__, __LINE__)

static void assert_bad_pin_at(const char *text, const char *why,
                              const char *file, int line)
{
    aop_pin pin;
    aop_error err = { "" };
    int rv = aop_pin_parse(text, &pin, &err);

    if (rv != -1) {
        print_error("\"%s\" gave %d, not -1\n", text, rv);
        _fail(file, line);
    }
    assert_contains_at(err.msg, why, file, line);
}

static void test_pin_sha256_forms(void **state)
{
    X509 *ca = cloudflare_ca();
    aop_pin want = cert_pin(ca);
    const char *forms[] = {
        "sha256:" CF_SHA256_COLONS,
        "sha256:" CF_SHA256_HEX,
        "sha256:9A1AC2B4BE15F9F27EEE20A734CBA4E9898F61001B3BD7C84B69B56A3E25A2B9",
        "sha256:9a:1a:c2:b4:be:15:f9:f2:7e:ee:20:a7:34:cb:a4:e9:"
        "89:8f:61:00:1b:3b:d7:c8:4b:69:b5:6a:3e:25:a2:b9",
        "SHA256:" CF_SHA256_HEX,
        "Sha256:" CF_SHA256_COLONS,
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        aop_pin pin = parse_pin(forms[i], 1);

        assert_int_equal(pin.kind, AOP_PIN_CERT_SHA256);
        assert_true(aop_pin_equal(&pin, &want));
    }
    X509_free(ca);
}

static void test_pin_sha256_malformed(void **state)
{
    (void)state;
    assert_bad_pin("sha256:", "64 hex digits");
    assert_bad_pin("sha256:" CF_SHA256_HEX "0", "64 hex digits");
    assert_bad_pin("sha256:9a1ac2b4be15f9f27eee20a734cba4e9898f61001b3bd7c84b69b56a3e25a2b",
                   "64 hex digits");
    assert_bad_pin("sha256:" CF_SHA256_HEX CF_SHA256_HEX, "64 hex digits");
    assert_bad_pin("sha256:ga1ac2b4be15f9f27eee20a734cba4e9898f61001b3bd7c84b69b56a3e25a2b9",
                   "non-hex");
    assert_bad_pin("sha256: " CF_SHA256_HEX, "non-hex");
    assert_bad_pin("sha256:" CF_SPKI_B64, "non-hex");
}

static void test_pin_spki(void **state)
{
    X509 *ca = cloudflare_ca();
    aop_pin want = spki_pin(ca);
    aop_pin pin = parse_pin("spki-sha256:" CF_SPKI_B64, 1);
    aop_pin upper = parse_pin("SPKI-SHA256:" CF_SPKI_B64, 1);

    (void)state;
    assert_int_equal(pin.kind, AOP_PIN_SPKI_SHA256);
    assert_true(aop_pin_equal(&pin, &want));
    assert_true(aop_pin_equal(&upper, &want));
    X509_free(ca);
}

static void test_pin_spki_malformed(void **state)
{
    (void)state;
    assert_bad_pin("spki-sha256:", "44-character");
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0w",
                   "44-character");                      /* no padding */
    assert_bad_pin("spki-sha256:" CF_SPKI_B64 "=", "44-character");
    assert_bad_pin("spki-sha256:" CF_SHA256_HEX, "44-character");
    /* 44 characters, but "==" pads a 31-byte value */
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0==",
                   "44-character");
    /* 44 characters with characters outside the base64 alphabet */
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQ!zmYdap1rBDEl2bKiZ+PmbB9o0w=",
                   "not valid base64");
    assert_bad_pin("spki-sha256:4u-f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ_PmbB9o0w=",
                   "not valid base64");                  /* base64url */
}

/* '=' is padding, never data: one inside the value is malformed base64,
 * whatever a lenient decoder makes of it. */
static void test_pin_spki_padding_inside_refused(void **state)
{
    (void)state;
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQ=zmYdap1rBDEl2bKiZ+PmbB9o0w=",
                   "base64");
    assert_bad_pin("spki-sha256:=u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0w=",
                   "base64");
}

/* 43 base64 characters carry 258 bits: the last one's low 2 bits are not
 * part of the digest and must be zero, or two spellings would name one pin
 * (found by fuzz_pin). */
static void test_pin_spki_noncanonical_refused(void **state)
{
    (void)state;
    /* CF_SPKI_B64 with its last 'w' (110000) as 'x' (110001), 'y', 'z' */
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0x=",
                   "base64");
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0y=",
                   "base64");
    assert_bad_pin("spki-sha256:4u+f6FrDn1Itx3NQXzmYdap1rBDEl2bKiZ+PmbB9o0z=",
                   "base64");
    parse_pin("spki-sha256:" CF_SPKI_B64, 1);
}

/* Anything without a pin prefix is a file name for the caller to read. */
static void test_pin_no_prefix(void **state)
{
    (void)state;
    parse_pin("/etc/apache2/cf/zone-cert.pem", 0);
    parse_pin("zone-cert.pem", 0);
    parse_pin("sha256", 0);
    parse_pin("sha1:" CF_SHA256_HEX, 0);
    parse_pin("spki:" CF_SPKI_B64, 0);
    parse_pin(CF_SHA256_HEX, 0);
    parse_pin("", 0);
}

static void test_pin_parse_without_err(void **state)
{
    aop_pin pin;

    (void)state;
    assert_int_equal(aop_pin_parse("sha256:zz", &pin, NULL), -1);
    assert_int_equal(aop_pin_parse("spki-sha256:x", &pin, NULL), -1);
}

static void assert_roundtrip(const aop_pin *pin, const char *want_text)
{
    char text[AOP_PIN_TEXTLEN];
    aop_pin back;

    memset(text, 'x', sizeof(text));
    aop_pin_format(pin, text);
    if (want_text) {
        assert_string_equal(text, want_text);
    }
    back = parse_pin(text, 1);
    assert_true(aop_pin_equal(&back, pin));
}

static void test_pin_format_roundtrip(void **state)
{
    fixture *fx = *state;
    X509 *ca = cloudflare_ca();
    aop_pin cf_cert = parse_pin("sha256:" CF_SHA256_COLONS, 1);
    aop_pin cf_spki = spki_pin(ca);
    aop_pin leaf_cert = cert_pin(fx->pki.leaf.x), leaf_spki = spki_pin(fx->pki.leaf.x);

    /* Canonical: lowercase hex without colons. */
    assert_roundtrip(&cf_cert, "sha256:" CF_SHA256_HEX);
    assert_roundtrip(&cf_spki, "spki-sha256:" CF_SPKI_B64);
    assert_roundtrip(&leaf_cert, NULL);
    assert_roundtrip(&leaf_spki, NULL);
    X509_free(ca);
}

static void test_pin_from_cert(void **state)
{
    fixture *fx = *state;
    unsigned char want[AOP_SHA256_LEN];
    aop_pin pin = cert_pin(fx->pki.leaf.x);

    assert_int_equal(aop_cert_sha256(fx->pki.leaf.x, want), 0);
    assert_int_equal(pin.kind, AOP_PIN_CERT_SHA256);
    assert_memory_equal(pin.digest, want, AOP_SHA256_LEN);
}

static void test_pin_equal(void **state)
{
    fixture *fx = *state;
    aop_pin a = cert_pin(fx->pki.leaf.x), b = cert_pin(fx->pki.leaf.x);
    aop_pin other = cert_pin(fx->pki.reissued.x);
    aop_pin same_digest_other_kind = a;

    same_digest_other_kind.kind = AOP_PIN_SPKI_SHA256;
    assert_true(aop_pin_equal(&a, &b));
    assert_false(aop_pin_equal(&a, &other));
    assert_false(aop_pin_equal(&a, &same_digest_other_kind));
}

/* ------------------------------------------------------------------------ */
/* policy */

static void test_verdict_reasons(void **state)
{
    (void)state;
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_OK), "ok");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_NO_CERT), "no-certificate");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_EXPIRED), "expired");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_NOT_YET_VALID), "not-yet-valid");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_UNTRUSTED), "untrusted");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_PIN_MISMATCH), "pin-mismatch");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_INTERNAL), "internal-error");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_REVOKED), "revoked");
    assert_string_equal(aop_verdict_reason(AOP_VERDICT_UNSUPPORTED_ALGORITHM),
                        "unsupported-algorithm");
    assert_string_equal(aop_verdict_reason((aop_verdict)99), "internal-error");
}

/* No anchors and no pins: only the validity period is judged. */
static void test_policy_empty(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(NULL, 0, NULL, 0);

    assert_null(aop_policy_store(p));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.foreign_leaf.x));
    assert_verdict(AOP_VERDICT_EXPIRED, verdict(fx, p, fx->pki.expired.x));
    assert_verdict(AOP_VERDICT_NOT_YET_VALID, verdict(fx, p, fx->pki.not_yet_valid.x));
    aop_policy_free(p);
}

static void test_policy_anchor(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);

    assert_non_null(aop_policy_store(p));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.foreign_leaf.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.subject_copy.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.server_only.x));
    assert_verdict(AOP_VERDICT_EXPIRED, verdict(fx, p, fx->pki.expired.x));
    assert_verdict(AOP_VERDICT_NOT_YET_VALID, verdict(fx, p, fx->pki.not_yet_valid.x));
    /* An anchor is not a pin: the CA itself is no client certificate. */
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.root.x));
    aop_policy_free(p);
}

/* A CA with the anchor's name but another key proves nothing, whether or
 * not the client sends it along. */
static void test_policy_impostor_ca(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);
    STACK_OF(X509) *sent = chain_of(fx->pki.impostor_ca.x);

    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.impostor_leaf.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED,
                   judge(p, fx->pki.impostor_leaf.x, sent, fx->pki.now, NULL).verdict);
    sk_X509_free(sent);
    aop_policy_free(p);
}

static void test_policy_intermediate(void **state)
{
    fixture *fx = *state;
    aop_policy *root = policy_new(&fx->pki.root.x, 1, NULL, 0);
    aop_policy *inter = policy_new(&fx->pki.inter.x, 1, NULL, 0);
    STACK_OF(X509) *sent = chain_of(fx->pki.inter.x);

    assert_verdict(AOP_VERDICT_OK,
                   judge(root, fx->pki.leaf_inter.x, sent, fx->pki.now, NULL).verdict);
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, root, fx->pki.leaf_inter.x));
    /* Trusting an intermediate alone is enough (partial chain)... */
    assert_verdict(AOP_VERDICT_OK, verdict(fx, inter, fx->pki.leaf_inter.x));
    /* ...and does not extend to what its root signed. */
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, inter, fx->pki.leaf.x));
    sk_X509_free(sent);
    aop_policy_free(root);
    aop_policy_free(inter);
}

static void test_policy_cloudflare_anchor(void **state)
{
    fixture *fx = *state;
    X509 *ca = cloudflare_ca();
    aop_policy *p = policy_new(&ca, 1, NULL, 0);

    X509_free(ca); /* the policy holds its own reference */
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.leaf.x));
    aop_policy_free(p);
}

static void test_policy_non_ca_anchor_refused(void **state)
{
    fixture *fx = *state;
    aop_policy *p = aop_policy_new();
    aop_error err = { "" };

    assert_non_null(p);
    assert_int_equal(aop_policy_add_anchor(p, fx->pki.non_ca.x, &err), -1);
    assert_contains(err.msg, "not a CA");
    err.msg[0] = '\0';
    assert_int_equal(aop_policy_add_anchor(p, fx->pki.leaf.x, &err), -1);
    assert_contains(err.msg, "not a CA");
    /* A refused anchor must not leave the policy with an empty store, which
     * would turn "no anchors" into "nothing chains". */
    assert_null(aop_policy_store(p));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    aop_policy_free(p);
}

/* Anchors added in one step: the same trust as one at a time, copies kept
 * once, and a list with a non-CA certificate refused whole. */
static void test_policy_add_anchors(void **state)
{
    fixture *fx = *state;
    /* The root three times, and an impostor with the root's subject: after
     * sorting they are one run of equal subjects, where only copies go. */
    X509 *list[] = { fx->pki.root.x, fx->pki.foreign_ca.x, fx->pki.root.x,
                     fx->pki.impostor_ca.x, fx->pki.root.x };
    X509 *judged[] = { fx->pki.leaf.x, fx->pki.foreign_leaf.x, fx->pki.impostor_leaf.x,
                       fx->pki.leaf_inter.x, fx->pki.subject_copy.x, fx->pki.expired.x };
    STACK_OF(X509) *cas = sk_X509_new_null();
    aop_policy *one = policy_new(list, 5, NULL, 0);
    aop_policy *p = aop_policy_new();
    aop_error err = { "" };
    size_t i;

    assert_non_null(cas);
    assert_non_null(p);
    for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
        sk_X509_push(cas, list[i]);
    }
    assert_int_equal(aop_policy_add_anchors(p, cas, &err), 0);
    assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(aop_policy_store(p))),
                     sk_X509_OBJECT_num(X509_STORE_get0_objects(aop_policy_store(one))));
    assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(aop_policy_store(p))), 3);
    for (i = 0; i < sizeof(judged) / sizeof(judged[0]); i++) {
        assert_verdict(verdict(fx, one, judged[i]), verdict(fx, p, judged[i]));
    }
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.foreign_leaf.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.leaf_inter.x));
    /* Later additions, one at a time or in a step, still find copies. */
    assert_int_equal(aop_policy_add_anchor(p, fx->pki.foreign_ca.x, &err), 0);
    sk_X509_zero(cas);
    sk_X509_push(cas, fx->pki.inter.x);
    sk_X509_push(cas, fx->pki.impostor_ca.x);
    assert_int_equal(aop_policy_add_anchors(p, cas, &err), 0);
    assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(aop_policy_store(p))), 4);
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf_inter.x));
    aop_policy_free(p);
    aop_policy_free(one);

    /* One non-CA certificate: nothing is added, the error names it. */
    p = aop_policy_new();
    assert_non_null(p);
    sk_X509_zero(cas);
    sk_X509_push(cas, fx->pki.root.x);
    sk_X509_push(cas, fx->pki.non_ca.x);
    assert_int_equal(aop_policy_add_anchors(p, cas, &err), -1);
    assert_contains(err.msg, "certificate 2: not a CA");
    assert_null(aop_policy_store(p));
    aop_policy_free(p);
    sk_X509_free(cas);
}

static void test_policy_pins_only(void **state)
{
    fixture *fx = *state;
    aop_pin by_cert = cert_pin(fx->pki.leaf.x), by_key = spki_pin(fx->pki.leaf.x);
    aop_policy *pc = policy_new(NULL, 0, &by_cert, 1);
    aop_policy *pk = policy_new(NULL, 0, &by_key, 1);

    assert_null(aop_policy_store(pc));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, pc, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, pc, fx->pki.reissued.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, pc, fx->pki.subject_copy.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, pk, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, pk, fx->pki.reissued.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, pk, fx->pki.foreign_leaf.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, pk, fx->pki.subject_copy.x));
    aop_policy_free(pc);
    aop_policy_free(pk);
}

/* A pin never excuses an expired certificate. */
static void test_policy_pinned_but_expired(void **state)
{
    fixture *fx = *state;
    aop_pin pin = cert_pin(fx->pki.expired.x);
    aop_policy *p = policy_new(NULL, 0, &pin, 1);

    assert_verdict(AOP_VERDICT_EXPIRED, verdict(fx, p, fx->pki.expired.x));
    aop_policy_free(p);
}

/* Old and new pin side by side during a rotation; duplicates collapse. */
static void test_policy_several_pins(void **state)
{
    fixture *fx = *state;
    aop_pin pins[] = { cert_pin(fx->pki.leaf.x), cert_pin(fx->pki.reissued.x),
                       cert_pin(fx->pki.leaf.x) };
    aop_policy *p = policy_new(NULL, 0, pins, 3);

    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.reissued.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, p, fx->pki.foreign_leaf.x));
    aop_policy_free(p);
}

/* Both halves must hold: chained and pinned. */
static void test_policy_anchors_and_pins(void **state)
{
    fixture *fx = *state;
    aop_pin pins[] = { cert_pin(fx->pki.leaf.x), cert_pin(fx->pki.foreign_leaf.x) };
    aop_policy *p = policy_new(&fx->pki.root.x, 1, pins, 2);

    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_PIN_MISMATCH, verdict(fx, p, fx->pki.reissued.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.foreign_leaf.x));
    aop_policy_free(p);
}

static void test_policy_no_cert(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);
    aop_leaf empty = { 0 };
    aop_result res;

    assert_verdict(AOP_VERDICT_NO_CERT, judge(p, NULL, NULL, fx->pki.now, NULL).verdict);
    aop_policy_check(p, &empty, NULL, fx->pki.now, &res);
    assert_verdict(AOP_VERDICT_NO_CERT, res.verdict);
    aop_policy_free(p);
}

/* The handshake's verification result is taken as it is. */
static void test_policy_known_chain(void **state)
{
    fixture *fx = *state;
    aop_pin pin = cert_pin(fx->pki.leaf.x);
    aop_policy *anchored = policy_new(&fx->pki.root.x, 1, NULL, 0);
    aop_policy *pinned = policy_new(&fx->pki.root.x, 1, &pin, 1);
    aop_policy *pins_only = policy_new(NULL, 0, &pin, 1);
    const aop_chain_result revoked = { X509_V_ERR_CERT_REVOKED, 1, 0, 0, "" };
    const aop_chain_result bad_sig = { X509_V_ERR_CERT_SIGNATURE_FAILURE, 1, 0, 0, "" };
    const aop_chain_result no_alg = { X509_V_ERR_CERT_SIGNATURE_FAILURE, 0, 0, 0, "ML-DSA-44" };
    const aop_chain_result ok = { X509_V_OK, 0, 0, 0, "" };
    aop_result res;

    /* A failure is reported although the chain itself is good. */
    res = judge(anchored, fx->pki.leaf.x, NULL, fx->pki.now, &bad_sig);
    assert_verdict(AOP_VERDICT_UNTRUSTED, res.verdict);
    assert_int_equal(res.chain.error, X509_V_ERR_CERT_SIGNATURE_FAILURE);
    assert_int_equal(res.chain.depth, 1);
    /* Revocation and an algorithm OpenSSL lacks have their own verdicts. */
    assert_verdict(AOP_VERDICT_REVOKED,
                   judge(anchored, fx->pki.leaf.x, NULL, fx->pki.now, &revoked).verdict);
    assert_verdict(AOP_VERDICT_UNSUPPORTED_ALGORITHM,
                   judge(anchored, fx->pki.leaf.x, NULL, fx->pki.now, &no_alg).verdict);
    /* A success is not re-checked: this leaf would not verify here. */
    assert_verdict(AOP_VERDICT_OK,
                   judge(anchored, fx->pki.foreign_leaf.x, NULL, fx->pki.now, &ok).verdict);
    /* The rest of the rule still applies. */
    assert_verdict(AOP_VERDICT_PIN_MISMATCH,
                   judge(pinned, fx->pki.reissued.x, NULL, fx->pki.now, &ok).verdict);
    assert_verdict(AOP_VERDICT_EXPIRED,
                   judge(anchored, fx->pki.expired.x, NULL, fx->pki.now, &ok).verdict);
    /* Without anchors no chain is required, whatever the handshake said. */
    assert_verdict(AOP_VERDICT_OK,
                   judge(pins_only, fx->pki.leaf.x, NULL, fx->pki.now, &revoked).verdict);
    /* With anchors, no chain result is never taken for a success. */
    {
        aop_leaf leaf;

        assert_int_equal(aop_leaf_init(&leaf, fx->pki.leaf.x), 0);
        aop_policy_check(anchored, &leaf, NULL, fx->pki.now, &res);
        assert_verdict(AOP_VERDICT_INTERNAL, res.verdict);
    }
    aop_policy_free(anchored);
    aop_policy_free(pinned);
    aop_policy_free(pins_only);
}

/* Validity and chain are both judged at the given `now`, not the clock. */
static void test_policy_now(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);
    time_t end = fx->pki.now + 10 * TP_DAY, start = fx->pki.now - 60 * 60;
    aop_result res;

    assert_verdict(AOP_VERDICT_EXPIRED,
                   judge(p, fx->pki.leaf.x, NULL, end + 1, NULL).verdict);
    assert_verdict(AOP_VERDICT_NOT_YET_VALID,
                   judge(p, fx->pki.leaf.x, NULL, start - 1, NULL).verdict);
    /* The boundary seconds judged alike by validity and chain verification:
     * "expired", never "untrusted" because the verifier disagreed. */
    assert_verdict(AOP_VERDICT_EXPIRED, judge(p, fx->pki.leaf.x, NULL, end, NULL).verdict);
    assert_verdict(AOP_VERDICT_OK, judge(p, fx->pki.leaf.x, NULL, end - 1, NULL).verdict);
    assert_verdict(AOP_VERDICT_OK, judge(p, fx->pki.leaf.x, NULL, start, NULL).verdict);
    assert_verdict(AOP_VERDICT_OK,
                   judge(p, fx->pki.expired.x, NULL, fx->pki.now - 2 * TP_DAY, NULL).verdict);
    assert_verdict(AOP_VERDICT_OK,
                   judge(p, fx->pki.not_yet_valid.x, NULL, fx->pki.now + 2 * TP_DAY,
                         NULL).verdict);
    /* The leaf is valid two years from now; the root (1 year) is not. */
    {
        tp_spec spec = { .cn = "long", .eku = "clientAuth", .not_before = fx->pki.now,
                         .not_after = fx->pki.now + 3 * 365 * TP_DAY };
        tp_cert long_leaf;

        assert_int_equal(tp_issue(&spec, &fx->pki.root, &long_leaf), 0);
        res = judge(p, long_leaf.x, NULL, fx->pki.now + 2 * 365 * TP_DAY, NULL);
        assert_verdict(AOP_VERDICT_UNTRUSTED, res.verdict);
        assert_int_equal(res.chain.error, X509_V_ERR_CERT_HAS_EXPIRED);
        assert_int_equal(res.chain.depth, 1);
        tp_cert_free(&long_leaf);
    }
    aop_policy_free(p);
}

static aop_chain_result verify_chain(const aop_policy *p, X509 *leaf,
                                     STACK_OF(X509) *untrusted, time_t now)
{
    aop_chain_result r = { -12345, -12345, 0, 0, "" };

    aop_policy_verify_chain(p, leaf, untrusted, now, TEST_AUTH_LEVEL, &r);
    return r;
}

#define assert_chain(want_error, want_depth, r) do { \
        aop_chain_result r_ = (r); \
        assert_string_equal(X509_verify_cert_error_string(want_error), \
                            X509_verify_cert_error_string(r_.error)); \
        assert_int_equal(r_.depth, (want_depth)); \
    } while (0)

static void test_policy_verify_chain_errors(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);
    aop_policy *none = policy_new(NULL, 0, NULL, 0);
    STACK_OF(X509) *foreign = chain_of(fx->pki.foreign_ca.x);
    time_t now = fx->pki.now;
    aop_result res;

    assert_chain(X509_V_OK, 0, verify_chain(p, fx->pki.leaf.x, NULL, now));
    assert_chain(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0,
                 verify_chain(p, fx->pki.foreign_leaf.x, NULL, now));
    /* With its own root sent along, the chain ends in an untrusted root. */
    assert_chain(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 1,
                 verify_chain(p, fx->pki.foreign_leaf.x, foreign, now));
    assert_chain(X509_V_ERR_INVALID_PURPOSE, 0,
                 verify_chain(p, fx->pki.server_only.x, NULL, now));
    assert_chain(X509_V_ERR_CERT_HAS_EXPIRED, 0,
                 verify_chain(p, fx->pki.expired.x, NULL, now));
    /* Nothing to verify against is a failure, never a success. */
    assert_true(verify_chain(none, fx->pki.leaf.x, NULL, now).error != X509_V_OK);

    /* aop_policy_check reports the same error with its UNTRUSTED verdict. */
    res = judge(p, fx->pki.foreign_leaf.x, NULL, now, NULL);
    assert_verdict(AOP_VERDICT_UNTRUSTED, res.verdict);
    assert_chain(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, res.chain);
    sk_X509_free(foreign);
    aop_policy_free(p);
    aop_policy_free(none);
}

/* A weak leaf under a trusted anchor: refused at the security level of a
 * TLS handshake, whoever verifies (handshake, request, tool); only a level
 * that allows it accepts it. */
static void test_policy_verify_chain_security_level(void **state)
{
    fixture *fx = *state;
    aop_policy *p = policy_new(&fx->pki.root.x, 1, NULL, 0);
    tp_spec rsa1024 = { .cn = "rsa1024", .eku = "clientAuth", .rsa_bits = 1024,
                        .not_before = fx->pki.now - 60, .not_after = fx->pki.now + TP_DAY };
    tp_spec sha1 = { .cn = "sha1", .eku = "clientAuth", .md = EVP_sha1(),
                     .not_before = fx->pki.now - 60, .not_after = fx->pki.now + TP_DAY };
    tp_cert weak_key, weak_sig;
    aop_chain_result r;

    assert_int_equal(tp_issue(&rsa1024, &fx->pki.root, &weak_key), 0);
    assert_int_equal(tp_issue(&sha1, &fx->pki.root, &weak_sig), 0);
    aop_policy_verify_chain(p, weak_key.x, NULL, fx->pki.now, TEST_AUTH_LEVEL, &r);
    assert_chain(X509_V_ERR_EE_KEY_TOO_SMALL, 0, r);
    aop_policy_verify_chain(p, weak_sig.x, NULL, fx->pki.now, TEST_AUTH_LEVEL, &r);
    assert_chain(X509_V_ERR_CA_MD_TOO_WEAK, 0, r);
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, weak_key.x));
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, weak_sig.x));
    /* The same certificates at level 0: the level is what refuses them. */
    aop_policy_verify_chain(p, weak_key.x, NULL, fx->pki.now, 0, &r);
    assert_chain(X509_V_OK, 0, r);
    aop_policy_verify_chain(p, weak_sig.x, NULL, fx->pki.now, 0, &r);
    assert_chain(X509_V_OK, 0, r);
    tp_cert_free(&weak_key);
    tp_cert_free(&weak_sig);
    aop_policy_free(p);
}

/* CRLs: loading, signature by an anchor, revoked leaf and intermediate,
 * revoked intermediate anchor, a CA without CRL, an expired CRL. */
static void test_policy_crls(void **state)
{
    fixture *fx = *state;
    time_t now = fx->pki.now;
    X509 *anchors[2] = { fx->pki.root.x, fx->pki.inter.x };
    X509_CRL *root_revokes_inter = tp_crl(&fx->pki.root, &fx->pki.inter.x, 1,
                                          now - TP_DAY, now + TP_DAY);
    X509_CRL *root_revokes_leaf = tp_crl(&fx->pki.root, &fx->pki.leaf.x, 1,
                                         now - TP_DAY, now + TP_DAY);
    X509_CRL *root_empty_expired = tp_crl(&fx->pki.root, NULL, 0, now - 3 * TP_DAY,
                                          now - TP_DAY);
    X509_CRL *foreign = tp_crl(&fx->pki.foreign_ca, NULL, 0, now - TP_DAY, now + TP_DAY);
    STACK_OF(X509) *sent = chain_of(fx->pki.inter.x);
    aop_policy *p;
    aop_error err = { "" };
    aop_chain_result r;
    STACK_OF(X509_CRL) *loaded = NULL;
    char path[TP_PATHLEN];

    assert_non_null(root_revokes_inter);
    /* Loading: every CRL of a file, none is an error. */
    assert_int_equal(tp_write_crls(fx->dir, "two.crl", &root_revokes_inter, 1, path), 0);
    assert_int_equal(aop_crl_load_file(path, &loaded, &err), 0);
    assert_int_equal(sk_X509_CRL_num(loaded), 1);
    aop_crls_free(loaded);
    assert_int_equal(tp_write_certs(fx->dir, "cert-not-crl.pem", &fx->pki.root.x, 1, NULL,
                                    path), 0);
    assert_int_equal(aop_crl_load_file(path, &loaded, &err), -1);
    assert_contains(err.msg, "no PEM CRL found");

    /* A CRL of a CA that is no anchor of the policy is refused. */
    p = policy_new(anchors, 1, NULL, 0);
    assert_int_equal(aop_policy_add_crl(p, foreign, &err), -1);
    assert_contains(err.msg, "not issued and signed by a trust anchor");
    /* A revoked leaf: refused as revoked; its CA-less intermediate path too. */
    assert_int_equal(aop_policy_add_crl(p, root_revokes_leaf, &err), 0);
    aop_policy_verify_chain(p, fx->pki.leaf.x, NULL, now, TEST_AUTH_LEVEL, &r);
    assert_chain(X509_V_ERR_CERT_REVOKED, 0, r);
    assert_verdict(AOP_VERDICT_REVOKED, verdict(fx, p, fx->pki.leaf.x));
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.reissued.x));
    /* The intermediate has no CRL of its own: not checked, not refused. */
    assert_verdict(AOP_VERDICT_OK,
                   judge(p, fx->pki.leaf_inter.x, sent, now, NULL).verdict);
    aop_policy_free(p);

    /* A revoked intermediate, sent by the client or listed as an anchor. */
    p = policy_new(anchors, 1, NULL, 0);
    assert_int_equal(aop_policy_add_crl(p, root_revokes_inter, &err), 0);
    assert_verdict(AOP_VERDICT_REVOKED, judge(p, fx->pki.leaf_inter.x, sent, now,
                                              NULL).verdict);
    aop_policy_free(p);
    p = policy_new(anchors, 2, NULL, 0);
    assert_int_equal(aop_policy_add_crl(p, root_revokes_inter, &err), 0);
    aop_policy_verify_chain(p, fx->pki.leaf_inter.x, NULL, now, TEST_AUTH_LEVEL, &r);
    assert_chain(X509_V_ERR_CERT_REVOKED, 1, r);
    /* ...while what the root signed directly still passes. */
    assert_verdict(AOP_VERDICT_OK, verdict(fx, p, fx->pki.leaf.x));
    aop_policy_free(p);

    /* A CRL past its nextUpdate: its CA's certificates are refused. */
    p = policy_new(anchors, 1, NULL, 0);
    assert_int_equal(aop_policy_add_crl(p, root_empty_expired, &err), 0);
    aop_policy_verify_chain(p, fx->pki.leaf.x, NULL, now, TEST_AUTH_LEVEL, &r);
    assert_chain(X509_V_ERR_CRL_HAS_EXPIRED, 0, r);
    assert_verdict(AOP_VERDICT_UNTRUSTED, verdict(fx, p, fx->pki.leaf.x));
    aop_policy_free(p);

    sk_X509_free(sent);
    X509_CRL_free(root_revokes_inter);
    X509_CRL_free(root_revokes_leaf);
    X509_CRL_free(root_empty_expired);
    X509_CRL_free(foreign);
}

/* Anchors that cannot be right, and algorithms this OpenSSL lacks. */
static void test_cert_hygiene(void **state)
{
    fixture *fx = *state;
    STACK_OF(X509) *roots = NULL;
    X509_STORE *system;
    X509 *cf = cloudflare_ca();
    aop_error err = { "" };
    char what[AOP_ALGORITHM_LEN];
    int i;

    assert_int_equal(aop_pem_load_mem(aop_cloudflare_origin_ca_pem,
                                      strlen(aop_cloudflare_origin_ca_pem), "roots",
                                      &roots, &err), 0);
    assert_int_equal(sk_X509_num(roots), 2);
    for (i = 0; i < sk_X509_num(roots); i++) {
        assert_true(aop_cert_is_cloudflare_origin_ca(sk_X509_value(roots, i)));
        assert_true(aop_cert_algorithms_supported(sk_X509_value(roots, i), what,
                                                  sizeof(what)));
    }
    /* The origin-pull CA is the right one; test CAs are neither. */
    assert_false(aop_cert_is_cloudflare_origin_ca(cf));
    assert_false(aop_cert_is_cloudflare_origin_ca(fx->pki.root.x));
    system = aop_system_store_load();
    assert_non_null(system);
    assert_false(aop_store_has_cert(system, fx->pki.root.x));
    assert_false(aop_store_has_cert(system, cf));
    /* A store holds what was added to it. */
    assert_int_equal(X509_STORE_add_cert(system, fx->pki.root.x), 1);
    assert_true(aop_store_has_cert(system, fx->pki.root.x));
    assert_false(aop_store_has_cert(NULL, fx->pki.root.x));
    X509_STORE_free(system);
    aop_certs_free(roots);
    X509_free(cf);
}

/* UTF-8 as the JSON of the module and the tool take it. */
static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(aop_utf8_len((const unsigned char *)"a"), 1);
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xc3\xa9"), 2);        /* é */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xe2\x82\xac"), 3);    /* € */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xf0\x9f\x94\x92"), 4);
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xc0\xaf"), 0);        /* overlong */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xe0\x80\xaf"), 0);    /* overlong */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xed\xa0\x80"), 0);    /* surrogate */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xc3"), 0);            /* cut short */
    assert_int_equal(aop_utf8_len((const unsigned char *)"\xff"), 0);
}

/* The facts the tool checks before an upload: the subject's CN, an EKU a
 * TLS client check refuses, an issuer in a trust store, and the OpenSSL an
 * algorithm needs. */
static void test_cert_upload_facts(void **state)
{
    fixture *fx = *state;
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    tp_spec no_cn_spec = { .org = "Only An Org", .cn = "x" };
    tp_cert no_cn = { NULL, NULL };
    X509_NAME *org_only = X509_NAME_new();
    const X509_ALGOR *sig_alg;
    char cn[64], what[AOP_ALGORITHM_LEN];

    (void)state;
    /* The subject's CN, not the issuer's; one that does not fit is refused. */
    assert_int_equal(aop_cert_subject_cn(fx->pki.leaf_inter.x, cn, sizeof(cn)), 0);
    assert_string_equal(cn, "leaf via intermediate");
    assert_int_equal(aop_cert_subject_cn(fx->pki.leaf_inter.x, cn, 5), -1);
    assert_int_equal(X509_NAME_add_entry_by_txt(org_only, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"Only An Org",
                                                -1, -1, 0), 1);
    no_cn_spec.subject = org_only;
    assert_int_equal(tp_issue(&no_cn_spec, &fx->pki.root, &no_cn), 0);
    assert_int_equal(aop_cert_subject_cn(no_cn.x, cn, sizeof(cn)), -1);

    /* EKU: clientAuth passes, no EKU passes, serverAuth alone does not. */
    assert_true(aop_cert_eku_allows_client(fx->pki.leaf.x));
    assert_true(aop_cert_eku_allows_client(fx->pki.root.x));
    assert_false(aop_cert_eku_allows_client(fx->pki.server_only.x));

    /* Issued by a CA of the store, directly or through an intermediate
     * sent along; an expired leaf still has the same issuer. */
    assert_int_equal(X509_STORE_add_cert(store, fx->pki.root.x), 1);
    assert_int_equal(sk_X509_push(untrusted, fx->pki.inter.x), 1);
    assert_true(aop_store_issued(store, fx->pki.leaf.x, NULL));
    assert_true(aop_store_issued(store, fx->pki.expired.x, NULL));
    assert_true(aop_store_issued(store, fx->pki.leaf_inter.x, untrusted));
    assert_false(aop_store_issued(store, fx->pki.leaf_inter.x, NULL));
    assert_false(aop_store_issued(store, fx->pki.foreign_leaf.x, NULL));
    assert_false(aop_store_issued(store, fx->pki.impostor_leaf.x, NULL));
    assert_false(aop_store_issued(store, fx->pki.non_ca.x, NULL));
    assert_false(aop_store_issued(NULL, fx->pki.leaf.x, NULL));

    /* An ML-DSA signature (its OID, which OpenSSL 3.0 has no name for) is
     * named, with the release that supports it. */
    assert_string_equal(aop_algorithm_openssl_version("ML-DSA-44"), "3.5");
    assert_string_equal(aop_algorithm_openssl_version("2.16.840.1.101.3.4.3.19"), "3.5");
    assert_null(aop_algorithm_openssl_version("ecdsa-with-SHA256"));
    assert_null(aop_algorithm_openssl_version(NULL));
    X509_get0_signature(NULL, &sig_alg, no_cn.x);
    assert_int_equal(X509_ALGOR_set0((X509_ALGOR *)sig_alg,
                                     OBJ_txt2obj("2.16.840.1.101.3.4.3.17", 1),
                                     V_ASN1_UNDEF, NULL), 1);
    if (OBJ_txt2nid("ML-DSA-44") == NID_undef) {
        assert_false(aop_cert_algorithms_supported(no_cn.x, what, sizeof(what)));
        assert_string_equal(what, "ML-DSA-44");
    }

    tp_cert_free(&no_cn);
    X509_NAME_free(org_only);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
}

/* The error a TLS layer reports for each verdict (SSL_CLIENT_VERIFY). */
static void test_result_x509_error(void **state)
{
    aop_result res = { AOP_VERDICT_OK, { X509_V_OK, 0, 0, 0, "" } };

    (void)state;
    assert_int_equal(aop_result_x509_error(&res), X509_V_OK);
    res.verdict = AOP_VERDICT_NO_CERT;
    assert_int_equal(aop_result_x509_error(&res), X509_V_OK);
    res.verdict = AOP_VERDICT_EXPIRED;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_CERT_HAS_EXPIRED);
    res.verdict = AOP_VERDICT_NOT_YET_VALID;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_CERT_NOT_YET_VALID);
    res.verdict = AOP_VERDICT_PIN_MISMATCH;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_CERT_REJECTED);
    res.verdict = AOP_VERDICT_REVOKED;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_CERT_REVOKED);
    res.verdict = AOP_VERDICT_UNSUPPORTED_ALGORITHM;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM);
    res.verdict = AOP_VERDICT_UNTRUSTED;
    res.chain.error = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    assert_int_equal(aop_result_x509_error(&res), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    /* Untrusted never reads as a success, even with a chain that says so. */
    res.chain.error = X509_V_OK;
    assert_true(aop_result_x509_error(&res) != X509_V_OK);
    res.verdict = AOP_VERDICT_INTERNAL;
    assert_true(aop_result_x509_error(&res) != X509_V_OK);
}

/* What a successful verification reports about itself: how long it holds,
 * and whether it needed an intermediate the client sent (the module only
 * remembers results that the leaf alone would reproduce). */
static void test_policy_verify_chain_success_details(void **state)
{
    fixture *fx = *state;
    X509 *root_and_inter[2] = { fx->pki.root.x, fx->pki.inter.x };
    aop_policy *root_only = policy_new(&fx->pki.root.x, 1, NULL, 0);
    aop_policy *both = policy_new(root_and_inter, 2, NULL, 0);
    /* A copy, as a TLS peer's intermediate is parsed from the wire. */
    X509 *inter_copy = X509_dup(fx->pki.inter.x);
    STACK_OF(X509) *sent = chain_of(inter_copy);
    time_t now = fx->pki.now, nb, leaf_na, inter_na;
    aop_chain_result r;

    assert_int_equal(aop_cert_bounds(fx->pki.leaf_inter.x, &nb, &leaf_na), 0);
    assert_int_equal(aop_cert_bounds(fx->pki.inter.x, &nb, &inter_na), 0);
    assert_true(leaf_na < inter_na);

    /* Root anchor, intermediate from the client: valid, but only with it. */
    r = verify_chain(root_only, fx->pki.leaf_inter.x, sent, now);
    assert_chain(X509_V_OK, 0, r);
    assert_int_equal(r.used_peer_chain, 1);
    assert_int_equal(r.valid_until, leaf_na);
    /* The intermediate in the store: the store's copy is used, sent or not. */
    r = verify_chain(both, fx->pki.leaf_inter.x, sent, now);
    assert_chain(X509_V_OK, 0, r);
    assert_int_equal(r.used_peer_chain, 0);
    r = verify_chain(both, fx->pki.leaf_inter.x, NULL, now);
    assert_int_equal(r.used_peer_chain, 0);
    assert_int_equal(r.valid_until, leaf_na);
    /* A leaf signed by the root: holds until the earlier of the two notAfters. */
    r = verify_chain(root_only, fx->pki.leaf.x, NULL, now);
    assert_int_equal(r.used_peer_chain, 0);
    assert_int_equal(aop_cert_bounds(fx->pki.leaf.x, &nb, &leaf_na), 0);
    assert_int_equal(r.valid_until, leaf_na);
    sk_X509_free(sent);
    X509_free(inter_copy);
    aop_policy_free(root_only);
    aop_policy_free(both);
}

/* ------------------------------------------------------------------------ */
/* hostname */

#define assert_host(in, allow_port, want) \
    assert_host_at((in), (allow_port), (want), __FILE__, __LINE__)
#define assert_host_refused(in, allow_port) \
    assert_host_at((in), (allow_port), NULL, __FILE__, __LINE__)

/* Normalises `in`: expects `want`, or a refusal when `want` is NULL. */
static void assert_host_at(const char *in, int allow_port, const char *want,
                           const char *file, int line)
{
    char out[AOP_HOSTNAME_MAX];
    int rv = aop_hostname_normalize(in, allow_port, out);

    if (want && rv != 0) {
        print_error("\"%s\" (allow_port %d) was refused\n", in, allow_port);
        _fail(file, line);
    }
    if (!want && rv != -1) {
        print_error("\"%s\" (allow_port %d) was accepted as \"%s\"\n",
                    in, allow_port, out);
        _fail(file, line);
    }
    if (want) {
        _assert_string_equal(out, want, file, line);
    }
}

static void test_hostname_normalize(void **state)
{
    (void)state;
    assert_host("example.com", 0, "example.com");
    assert_host("WWW.Example.COM", 0, "www.example.com");
    assert_host("example.com.", 0, "example.com");
    assert_host("Example.COM.", 1, "example.com");
    assert_host("example.com:443", 1, "example.com");
    assert_host("example.com.:8443", 1, "example.com");
    assert_host("localhost", 0, "localhost");
    assert_host("_acme-challenge.example.com", 0, "_acme-challenge.example.com");
    assert_host("192.0.2.1:80", 1, "192.0.2.1");
}

static void test_hostname_refused(void **state)
{
    (void)state;
    assert_host_refused("example.com:443", 0); /* a configured name has no port */
    assert_host_refused("", 0);
    assert_host_refused("", 1);
    assert_host_refused(".", 0);
    assert_host_refused("..", 0);
    assert_host_refused(".example.com", 0);
    assert_host_refused("a..example.com", 0);
    assert_host_refused("exa mple.com", 0);
    assert_host_refused("example.com/", 0);
    assert_host_refused("a/b", 1);
    assert_host_refused("*.example.com", 0);
    assert_host_refused("example.com:44a", 1);
    assert_host_refused("example.com:443:1", 1);
    assert_host_refused(":443", 1);
    assert_host_refused("[::1]:443", 1);
    assert_host_refused("ex\xc3\xa4mple.com", 0);
}

/* An empty last label: dropping one trailing dot must not hide the other
 * (the result would still end in a dot and match no configured name). */
static void test_hostname_refuses_double_trailing_dot(void **state)
{
    (void)state;
    assert_host_refused("example.com..", 0);
    assert_host_refused("example.com..:443", 1);
}

static void test_hostname_length(void **state)
{
    char name[300], want[300];

    (void)state;
    /* 255 characters fit AOP_HOSTNAME_MAX with the NUL; 256 do not. */
    memset(name, 'a', 255);
    name[255] = '\0';
    assert_host(name, 0, name);
    name[255] = 'a';
    name[256] = '\0';
    assert_host_refused(name, 0);
    assert_host_refused(name, 1);

    /* The port does not count toward the length. */
    memset(want, 'b', 253);
    want[253] = '\0';
    memcpy(name, want, 253);
    memcpy(name + 253, ":443", 5);
    assert_host(name, 1, want);
}

/* ------------------------------------------------------------------------ */

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest pem[] = {
        T(test_pem_load_one),
        T(test_pem_load_several_in_order),
        T(test_pem_text_between_blocks_is_ignored),
        T(test_pem_load_mem),
        T(test_pem_mem_error_names_origin),
        T(test_pem_missing_file),
        T(test_pem_directory),
        T(test_pem_empty_file),
        T(test_pem_key_only),
        T(test_pem_bad_base64),
        T(test_pem_not_der),
        T(test_pem_truncated),
        T(test_pem_garbage_after_good_cert),
        T(test_pem_empty_block_is_not_the_end),
        T(test_pem_encrypted_cert_block_fails_without_prompt),
        T(test_pem_file_and_memory_agree_on_nul),
        T(test_cloudflare_ca),
    };
    const struct CMUnitTest keys[] = {
        T(test_key_load_and_match),
        T(test_key_after_cert_in_one_file),
        T(test_key_garbage),
        T(test_key_encrypted_fails_without_prompt),
    };
    const struct CMUnitTest digests[] = {
        T(test_cert_sha256_is_digest_of_der),
        T(test_spki_sha256_is_digest_of_public_key),
        T(test_hex_lowercase),
        T(test_base64_sha256),
    };
    const struct CMUnitTest names_times[] = {
        T(test_name_rfc2253),
        T(test_name_rfc2253_escapes_keep_utf8),
        T(test_name_rfc2253_empty),
        T(test_not_after_formats),
        T(test_days_left),
        T(test_iso_days_left),
        T(test_validity_states),
        T(test_validity_boundaries),
        T(test_is_ca),
    };
    const struct CMUnitTest pins[] = {
        T(test_pin_sha256_forms),
        T(test_pin_sha256_malformed),
        T(test_pin_spki),
        T(test_pin_spki_malformed),
        T(test_pin_spki_padding_inside_refused),
        T(test_pin_spki_noncanonical_refused),
        T(test_pin_no_prefix),
        T(test_pin_parse_without_err),
        T(test_pin_format_roundtrip),
        T(test_pin_from_cert),
        T(test_pin_equal),
    };
    const struct CMUnitTest policy[] = {
        T(test_verdict_reasons),
        T(test_policy_empty),
        T(test_policy_anchor),
        T(test_policy_impostor_ca),
        T(test_policy_intermediate),
        T(test_policy_cloudflare_anchor),
        T(test_policy_non_ca_anchor_refused),
        T(test_policy_add_anchors),
        T(test_policy_pins_only),
        T(test_policy_pinned_but_expired),
        T(test_policy_several_pins),
        T(test_policy_anchors_and_pins),
        T(test_policy_no_cert),
        T(test_policy_known_chain),
        T(test_policy_now),
        T(test_policy_verify_chain_errors),
        T(test_policy_verify_chain_success_details),
        T(test_policy_verify_chain_security_level),
        T(test_result_x509_error),
        T(test_policy_crls),
        T(test_cert_hygiene),
        T(test_utf8_len),
        T(test_cert_upload_facts),
    };
    const struct CMUnitTest hostname[] = {
        T(test_hostname_normalize),
        T(test_hostname_refused),
        T(test_hostname_refuses_double_trailing_dot),
        T(test_hostname_length),
    };
    int failed = 0;

    failed += cmocka_run_group_tests_name("pem", pem, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("keys", keys, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("digests", digests, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("names_times", names_times, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("pins", pins, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("policy", policy, fx_setup, fx_teardown);
    failed += cmocka_run_group_tests_name("hostname", hostname, NULL, NULL);
    return failed ? 1 : 0;
}
