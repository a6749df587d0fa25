/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * libFuzzer target: PEM / CA-file loading, and what the module does with a
 * loaded anchor file (CA check, digests, pins, names, dates, a policy and a
 * chain verification against it).
 *
 * Every input is read twice:
 *   - as the bytes of a PEM file, through aop_pem_load_mem and, via a memfd,
 *     through aop_pem_load_file, which must agree certificate for
 *     certificate: the module reads files, the tool reads memory;
 *   - as the DER of one certificate, wrapped in a PEM block, so that
 *     mutations reach the ASN.1 structure and not only the base64 text.
 *
 * Any broken invariant calls abort(), which libFuzzer reports as a crash.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "aop_cert.h"
#include "aop_pin.h"
#include "aop_policy.h"
#include "fuzz_check.h"

/* A fixed clock keeps every run deterministic: 2025-01-01T00:00:00Z. */
#define FUZZ_NOW ((time_t)1735689600LL)
/* The security level of a TLS server on Debian, as the module verifies. */
#define FUZZ_AUTH_LEVEL 2

/* Larger inputs only slow the fuzzer down; no trust file needs more. */
#define FUZZ_MAX_INPUT (256 * 1024)

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* One memfd for the whole run: aop_pem_load_file opens it by path,
     * as it would open a CA file, with no file system in the way. */
    memfd = memfd_create("fuzz_pem", 0);
    if (memfd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
    return 0;
}

/* An error message is a non-empty, NUL-terminated string. */
static void check_error(const aop_error *err)
{
    CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
    CHECK(err->msg[0] != '\0');
}

static int same_certs(STACK_OF(X509) *a, STACK_OF(X509) *b)
{
    int i;

    if (sk_X509_num(a) != sk_X509_num(b)) {
        return 0;
    }
    for (i = 0; i < sk_X509_num(a); i++) {
        if (X509_cmp(sk_X509_value(a, i), sk_X509_value(b, i)) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Digests, pins, names and dates of one certificate, as the module and
 * the tool print or compare them. */
static void exercise_cert(X509 *x)
{
    unsigned char d1[AOP_SHA256_LEN], d2[AOP_SHA256_LEN];
    char hex[AOP_SHA256_HEXLEN], b64[45], text[AOP_PIN_TEXTLEN], date[64];
    aop_pin pin, back;
    aop_error err;
    aop_leaf leaf;
    time_t nb, na;
    int days, state, valid;
    char *name;

    if (aop_cert_sha256(x, d1) == 0) {
        CHECK(aop_cert_sha256(x, d2) == 0);
        CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
        aop_hex(d1, sizeof(d1), hex);
        CHECK(strlen(hex) == 2 * AOP_SHA256_LEN);
        CHECK(strspn(hex, "0123456789abcdef") == 2 * AOP_SHA256_LEN);

        /* The pin of a certificate survives its text form. */
        CHECK(aop_pin_from_cert(x, &pin) == 0);
        CHECK(memcmp(pin.digest, d1, sizeof(d1)) == 0);
        aop_pin_format(&pin, text);
        CHECK(aop_pin_parse(text, &back, &err) == 1);
        CHECK(aop_pin_equal(&pin, &back));
    }
    if (aop_spki_sha256(x, d1) == 0) {
        aop_base64_sha256(d1, b64);
        CHECK(strlen(b64) == 44);
        pin.kind = AOP_PIN_SPKI_SHA256;
        memcpy(pin.digest, d1, sizeof(d1));
        aop_pin_format(&pin, text);
        CHECK(aop_pin_parse(text, &back, &err) == 1);
        CHECK(aop_pin_equal(&pin, &back));
    }

    name = aop_name_rfc2253(X509_get_subject_name(x));
    free(name);
    name = aop_name_rfc2253(X509_get_issuer_name(x));
    free(name);

    if (aop_cert_not_after_str(x, date, sizeof(date)) == 0) {
        CHECK(strlen(date) < sizeof(date));
    }
    /* Too small a buffer is an error, never an overflow. */
    (void)aop_cert_not_after_str(x, date, 4);
    if (aop_cert_not_after_iso(x, date, sizeof(date)) == 0) {
        CHECK(strlen(date) < sizeof(date));
    }
    (void)aop_cert_not_after_iso(x, date, 4);
    (void)aop_cert_days_left(x, FUZZ_NOW, &days);

    valid = aop_cert_validity(x, FUZZ_NOW, &state);
    if (aop_cert_bounds(x, &nb, &na) == 0) {
        CHECK(valid == (aop_validity_state(nb, na, FUZZ_NOW) == 0));
        CHECK(state == aop_validity_state(nb, na, FUZZ_NOW));
    }
    else {
        CHECK(valid == -1);
    }

    if (aop_leaf_init(&leaf, x) == 0) {
        CHECK(leaf.cert == x);
    }
}

/* What the module does with an anchor file: every certificate must be a
 * CA; the CAs become a policy; client leaves are judged against it. */
static void exercise_anchors(STACK_OF(X509) *certs)
{
    aop_policy *anchored = aop_policy_new(), *pinned = aop_policy_new();
    aop_error err;
    aop_leaf leaf;
    aop_result res;
    aop_chain_result chain;
    aop_pin pin;
    int i, ncas = 0, rv, is_ca;

    CHECK(anchored && pinned);
    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);

        exercise_cert(x);
        is_ca = aop_cert_is_ca(x);
        CHECK(is_ca == aop_cert_is_ca(x));
        err.msg[0] = '\0';
        rv = aop_policy_add_anchor(anchored, x, &err);
        if (!is_ca) {
            CHECK(rv == -1);
            check_error(&err);
        }
        else if (rv == 0) {
            ncas++;
        }
        if (aop_pin_from_cert(x, &pin) == 0) {
            CHECK(aop_policy_add_pin(pinned, &pin) == 0);
        }
    }
    /* A store exists exactly when some anchor was accepted. */
    CHECK((aop_policy_store(anchored) != NULL) == (ncas > 0));

    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);

        if (aop_leaf_init(&leaf, x) != 0) {
            continue;
        }
        /* The rest of the file stands in for the chain the client sent. */
        if (ncas > 0) {
            aop_policy_verify_chain(anchored, x, certs, FUZZ_NOW, FUZZ_AUTH_LEVEL,
                                    &chain);
            aop_policy_check(anchored, &leaf, &chain, FUZZ_NOW, &res);
            CHECK(aop_verdict_reason(res.verdict) != NULL);
            /* The policy's verdict on a leaf in its validity period is the
             * chain's, and the chain agrees that the leaf is in it. */
            if (aop_validity_state(leaf.not_before, leaf.not_after, FUZZ_NOW) == 0) {
                CHECK(res.chain.error == chain.error);
                CHECK((res.verdict == AOP_VERDICT_OK) == (chain.error == X509_V_OK));
                CHECK(chain.depth != 0
                      || (chain.error != X509_V_ERR_CERT_HAS_EXPIRED
                          && chain.error != X509_V_ERR_CERT_NOT_YET_VALID));
            }
        }
        /* A pinned leaf fails on its dates, never on its pin. */
        aop_policy_check(pinned, &leaf, NULL, FUZZ_NOW, &res);
        CHECK(res.verdict != AOP_VERDICT_PIN_MISMATCH
              && res.verdict != AOP_VERDICT_UNTRUSTED);
    }
    aop_policy_free(anchored);
    aop_policy_free(pinned);
}

/* Loads `pem` from memory and, when asked, through the memfd; checks that
 * both agree and runs the anchor exercise on what loaded. */
static void load_and_exercise(const char *pem, size_t len, int also_file)
{
    STACK_OF(X509) *mem_certs = NULL, *file_certs = NULL;
    aop_error err;
    int mem_rv, file_rv;

    err.msg[0] = '\0';
    mem_rv = aop_pem_load_mem(pem, len, "fuzz input", &mem_certs, &err);
    CHECK(mem_rv == 0 || mem_rv == -1);
    if (mem_rv == 0) {
        CHECK(mem_certs != NULL && sk_X509_num(mem_certs) >= 1);
    }
    else {
        CHECK(mem_certs == NULL);
        check_error(&err);
    }

    if (also_file) {
        CHECK(ftruncate(memfd, 0) == 0);
        CHECK(pwrite(memfd, pem, len, 0) == (ssize_t)len);
        err.msg[0] = '\0';
        file_rv = aop_pem_load_file(memfd_path, &file_certs, &err);
        CHECK(file_rv == 0 || file_rv == -1);
        if (file_rv != 0) {
            CHECK(file_certs == NULL);
            check_error(&err);
        }
        /* The same bytes are the same trust, from a file or from memory. */
        CHECK(file_rv == mem_rv);
        if (file_rv == 0) {
            CHECK(same_certs(mem_certs, file_certs));
        }
        aop_certs_free(file_certs);
    }

    if (mem_rv == 0) {
        exercise_anchors(mem_certs);
    }
    aop_certs_free(mem_certs);
}

/* The input as the DER of one certificate, in a PEM block of its own,
 * followed by the built-in Cloudflare CA so that a real anchor is there. */
static void load_as_der(const uint8_t *data, size_t size)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
    static const char end[] = "-----END CERTIFICATE-----\n";
    size_t ca_len = strlen(aop_cloudflare_ca_pem);
    size_t cap = sizeof(begin) + (size / 48 + 1) * 65 + sizeof(end) + ca_len + 1;
    char *pem = malloc(cap), *p;
    size_t off;

    CHECK(pem != NULL);
    p = pem;
    memcpy(p, begin, sizeof(begin) - 1);
    p += sizeof(begin) - 1;
    for (off = 0; off < size; off += 48) {
        size_t n = size - off < 48 ? size - off : 48;

        p += EVP_EncodeBlock((unsigned char *)p, data + off, (int)n);
        *p++ = '\n';
    }
    memcpy(p, end, sizeof(end) - 1);
    p += sizeof(end) - 1;
    memcpy(p, aop_cloudflare_ca_pem, ca_len);
    p += ca_len;
    *p = '\0';
    CHECK((size_t)(p - pem) < cap);
    load_and_exercise(pem, (size_t)(p - pem), 0);
    free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) {
        return -1;
    }
    load_and_exercise((const char *)data, size, 1);
    load_as_der(data, size);
    return 0;
}
