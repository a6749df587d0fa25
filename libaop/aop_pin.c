/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "aop_pin.h"

#define AOP_PIN_PREFIX_CERT "sha256:"
#define AOP_PIN_PREFIX_SPKI "spki-sha256:"

static int aop_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int aop_pin_parse_hex(const char *hex, aop_pin *pin, aop_error *err)
{
    size_t ndigits = 0;
    const char *p;
    int v;

    for (p = hex; *p; p++) {
        if (*p == ':') {
            continue;
        }
        v = aop_hexval((unsigned char)*p);
        if (v < 0) {
            aop_error_set(err, "sha256 pin has a non-hex character '%c'", *p);
            return -1;
        }
        if (ndigits < 2 * AOP_SHA256_LEN) {
            pin->digest[ndigits / 2] = (unsigned char)((ndigits % 2)
                ? (pin->digest[ndigits / 2] | v) : (v << 4));
        }
        ndigits++;
    }
    if (ndigits != 2 * AOP_SHA256_LEN) {
        aop_error_set(err, "sha256 pin needs %d hex digits, got %zu",
                      2 * AOP_SHA256_LEN, ndigits);
        return -1;
    }
    pin->kind = AOP_PIN_CERT_SHA256;
    return 1;
}

static int aop_pin_parse_base64(const char *b64, aop_pin *pin, aop_error *err)
{
    unsigned char buf[64];
    char canonical[45];
    size_t len = strlen(b64);
    int n;

    /* A SHA-256 digest in padded base64 is exactly 44 characters. */
    if (len != 44 || b64[43] != '=' || b64[42] == '=') {
        aop_error_set(err, "spki-sha256 pin needs the 44-character base64 "
                      "of a SHA-256 digest, got %zu characters", len);
        return -1;
    }
    /* EVP_DecodeBlock would read a misplaced '=' as zero bits. */
    if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789+/") != 43) {
        aop_error_set(err, "spki-sha256 pin is not valid base64");
        return -1;
    }
    n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
    /* EVP_DecodeBlock counts the padding byte; 33 means 32 real bytes. */
    if (n != AOP_SHA256_LEN + 1) {
        aop_error_set(err, "spki-sha256 pin is not valid base64");
        return -1;
    }
    /* The last character carries 2 bits beyond the digest; a decoder drops
     * them, so unless they are zero, two spellings would name one pin. */
    aop_base64_sha256(buf, canonical);
    if (strcmp(canonical, b64) != 0) {
        aop_error_set(err, "spki-sha256 pin is not the canonical base64 of a "
                      "SHA-256 digest (did you mean %s?)", canonical);
        return -1;
    }
    memcpy(pin->digest, buf, AOP_SHA256_LEN);
    pin->kind = AOP_PIN_SPKI_SHA256;
    return 1;
}

int aop_pin_parse(const char *text, aop_pin *pin, aop_error *err)
{
    size_t lc = strlen(AOP_PIN_PREFIX_CERT), ls = strlen(AOP_PIN_PREFIX_SPKI);

    memset(pin, 0, sizeof(*pin));
    if (strncasecmp(text, AOP_PIN_PREFIX_CERT, lc) == 0) {
        return aop_pin_parse_hex(text + lc, pin, err);
    }
    if (strncasecmp(text, AOP_PIN_PREFIX_SPKI, ls) == 0) {
        return aop_pin_parse_base64(text + ls, pin, err);
    }
    return 0;
}

int aop_pin_from_cert(X509 *x, aop_pin *pin)
{
    memset(pin, 0, sizeof(*pin));
    pin->kind = AOP_PIN_CERT_SHA256;
    return aop_cert_sha256(x, pin->digest);
}

void aop_pin_format(const aop_pin *pin, char buf[AOP_PIN_TEXTLEN])
{
    size_t lc = strlen(AOP_PIN_PREFIX_CERT), ls = strlen(AOP_PIN_PREFIX_SPKI);

    if (pin->kind == AOP_PIN_SPKI_SHA256) {
        memcpy(buf, AOP_PIN_PREFIX_SPKI, ls);
        aop_base64_sha256(pin->digest, buf + ls);
    }
    else {
        memcpy(buf, AOP_PIN_PREFIX_CERT, lc);
        aop_hex(pin->digest, AOP_SHA256_LEN, buf + lc);
    }
}

int aop_pin_equal(const aop_pin *a, const aop_pin *b)
{
    return a->kind == b->kind
        && memcmp(a->digest, b->digest, AOP_SHA256_LEN) == 0;
}
