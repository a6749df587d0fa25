/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * libFuzzer target: pin parsing (CFAOPPin / CFAOPHostnamePin arguments).
 *
 * The input is a directive argument (a C string: it ends at the first NUL).
 * Invariants, any broken one calls abort():
 *   - aop_pin_parse returns 1, 0 or -1; -1 always explains itself;
 *   - 0 exactly when the text has no pin prefix (so it names a file);
 *   - a parsed pin has a known kind, and its canonical text is what the
 *     input says once the prefix is lowercased and, for sha256, the hex is
 *     lowercased and the colons dropped: one pin, one spelling of it;
 *   - parse(format(pin)) == pin, and format is a fixed point.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aop_pin.h"
#include "fuzz_check.h"

#define PREFIX_CERT "sha256:"
#define PREFIX_SPKI "spki-sha256:"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical text the input should have, for comparison with
 * aop_pin_format. malloc'ed. */
static char *expected_canonical(const char *text, aop_pin_kind kind)
{
    size_t n = strlen(text), i, j;
    char *out = malloc(n + 1);

    CHECK(out != NULL);
    if (kind == AOP_PIN_SPKI_SHA256) {
        memcpy(out, PREFIX_SPKI, strlen(PREFIX_SPKI));
        strcpy(out + strlen(PREFIX_SPKI), text + strlen(PREFIX_SPKI));
        return out;
    }
    memcpy(out, PREFIX_CERT, strlen(PREFIX_CERT));
    j = strlen(PREFIX_CERT);
    for (i = j; i < n; i++) {
        if (text[i] != ':') {
            out[j++] = (char)tolower((unsigned char)text[i]);
        }
    }
    out[j] = '\0';
    return out;
}

static void check_format(const aop_pin *pin, const char *input)
{
    char text[AOP_PIN_TEXTLEN], again[AOP_PIN_TEXTLEN];
    aop_pin back;
    aop_error err;
    char *want;

    /* A poisoned buffer: format must terminate what it writes. */
    memset(text, 'x', sizeof(text));
    aop_pin_format(pin, text);
    CHECK(memchr(text, '\0', sizeof(text)) != NULL);
    if (pin->kind == AOP_PIN_CERT_SHA256) {
        CHECK(strlen(text) == strlen(PREFIX_CERT) + 2 * AOP_SHA256_LEN);
        CHECK(strncmp(text, PREFIX_CERT, strlen(PREFIX_CERT)) == 0);
        CHECK(strspn(text + strlen(PREFIX_CERT), "0123456789abcdef")
              == 2 * AOP_SHA256_LEN);
    }
    else {
        CHECK(strlen(text) == strlen(PREFIX_SPKI) + 44);
        CHECK(strncmp(text, PREFIX_SPKI, strlen(PREFIX_SPKI)) == 0);
    }

    err.msg[0] = '\0';
    CHECK(aop_pin_parse(text, &back, &err) == 1);
    CHECK(aop_pin_equal(pin, &back));
    CHECK(back.kind == pin->kind);
    aop_pin_format(&back, again);
    CHECK(strcmp(text, again) == 0);

    if (input) {
        want = expected_canonical(input, pin->kind);
        if (strcmp(want, text) != 0) {
            fprintf(stderr, "input     %s\ncanonical %s\nexpected  %s\n",
                    input, text, want);
            abort();
        }
        free(want);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    aop_pin pin, other;
    aop_error err;
    int rv, prefixed;

    /* Directive arguments are short; a long one tells nothing new. */
    if (size > 4096) {
        return -1;
    }
    text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    memset(&pin, 0xa5, sizeof(pin));
    memset(err.msg, 0, sizeof(err.msg));
    rv = aop_pin_parse(text, &pin, &err);
    CHECK(rv == 1 || rv == 0 || rv == -1);

    prefixed = strncasecmp(text, PREFIX_CERT, strlen(PREFIX_CERT)) == 0
        || strncasecmp(text, PREFIX_SPKI, strlen(PREFIX_SPKI)) == 0;
    CHECK((rv == 0) == !prefixed);

    if (rv == -1) {
        CHECK(err.msg[0] != '\0');
        CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
    }
    if (rv == 1) {
        CHECK(pin.kind == AOP_PIN_CERT_SHA256 || pin.kind == AOP_PIN_SPKI_SHA256);
        CHECK((pin.kind == AOP_PIN_SPKI_SHA256)
              == (strncasecmp(text, PREFIX_SPKI, strlen(PREFIX_SPKI)) == 0));
        check_format(&pin, text);

        /* The other kind with the same digest is another pin. */
        other = pin;
        other.kind = pin.kind == AOP_PIN_CERT_SHA256
            ? AOP_PIN_SPKI_SHA256 : AOP_PIN_CERT_SHA256;
        CHECK(!aop_pin_equal(&pin, &other));
        check_format(&other, NULL);
    }

    /* The raw bytes as a digest: every digest has a text that parses back. */
    if (size >= AOP_SHA256_LEN) {
        memset(&other, 0, sizeof(other));
        other.kind = (data[0] & 1) ? AOP_PIN_SPKI_SHA256 : AOP_PIN_CERT_SHA256;
        memcpy(other.digest, data, AOP_SHA256_LEN);
        check_format(&other, NULL);
    }

    /* Without an error buffer the answer is the same. */
    CHECK(aop_pin_parse(text, &other, NULL) == rv);
    if (rv == 1) {
        CHECK(aop_pin_equal(&pin, &other));
    }
    free(text);
    return 0;
}
