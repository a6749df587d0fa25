/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * libFuzzer target: hostname normalisation, the key under which hostname
 * policies are stored (configuration, allow_port 0) and looked up (Host
 * header or SNI, allow_port 1). A name that two paths normalise differently
 * is a policy that silently does not apply, so the invariants are strict:
 *   - the result is 1..AOP_HOSTNAME_MAX-1 characters of [a-z0-9._-], never
 *     starts or ends with a dot, has no empty label, is no longer than the
 *     input;
 *   - normalising is idempotent in both modes;
 *   - a name accepted as configured is accepted as a Host, the same way;
 *     without a ':' both modes agree; with a port, the result is the
 *     normalised part before it;
 *   - case does not matter;
 *   - an independent model of the grammar gives the same accept/refuse
 *     answer.
 * Any broken invariant calls abort().
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aop_hostname.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Calls aop_hostname_normalize with a poisoned buffer and checks the shape
 * of what it wrote. */
static int normalize(const char *in, int allow_port, char out[AOP_HOSTNAME_MAX])
{
    size_t len, i;
    int rv;

    memset(out, 0x5a, AOP_HOSTNAME_MAX);
    rv = aop_hostname_normalize(in, allow_port, out);
    CHECK(rv == 0 || rv == -1);
    if (rv != 0) {
        return rv;
    }
    CHECK(memchr(out, '\0', AOP_HOSTNAME_MAX) != NULL);
    len = strlen(out);
    CHECK(len >= 1 && len <= AOP_HOSTNAME_MAX - 1);
    CHECK(len <= strlen(in));
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)out[i];

        CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '.' || c == '-' || c == '_');
    }
    CHECK(out[0] != '.');
    CHECK(out[len - 1] != '.');
    CHECK(strstr(out, "..") == NULL);
    return 0;
}

/* The grammar, written a second time and differently: the host part is
 * [A-Za-z0-9._-]+ without an empty label, one trailing dot allowed, at most
 * AOP_HOSTNAME_MAX-1 characters before that dot is dropped; with
 * allow_port, ":" and only digits may follow. */
static int model_accepts(const char *in, int allow_port)
{
    const char *colon = allow_port ? strchr(in, ':') : NULL;
    size_t hostlen = colon ? (size_t)(colon - in) : strlen(in);
    size_t i;

    if (colon && strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
        return 0;
    }
    if (hostlen == 0 || hostlen > AOP_HOSTNAME_MAX - 1) {
        return 0;
    }
    for (i = 0; i < hostlen; i++) {
        unsigned char c = (unsigned char)in[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) {
            return 0;
        }
        if (c == '.' && (i == 0 || in[i - 1] == '.')) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in, *upper, *colon;
    char out0[AOP_HOSTNAME_MAX], out1[AOP_HOSTNAME_MAX];
    char again[AOP_HOSTNAME_MAX], before[AOP_HOSTNAME_MAX];
    int rv0, rv1;
    size_t i;

    /* A few names' worth is enough to cross every length limit. */
    if (size > 2048) {
        return -1;
    }
    in = malloc(size + 1);
    upper = malloc(size + 1);
    CHECK(in && upper);
    memcpy(in, data, size);
    in[size] = '\0';

    rv0 = normalize(in, 0, out0);
    rv1 = normalize(in, 1, out1);
    CHECK((rv0 == 0) == model_accepts(in, 0));
    CHECK((rv1 == 0) == model_accepts(in, 1));

    if (rv0 == 0) {
        CHECK(normalize(out0, 0, again) == 0 && strcmp(again, out0) == 0);
        CHECK(normalize(out0, 1, again) == 0 && strcmp(again, out0) == 0);
        /* A configured name is also a valid Host, with the same key. */
        CHECK(rv1 == 0 && strcmp(out0, out1) == 0);
    }
    if (rv1 == 0) {
        CHECK(normalize(out1, 1, again) == 0 && strcmp(again, out1) == 0);
        CHECK(normalize(out1, 0, again) == 0 && strcmp(again, out1) == 0);
    }
    colon = strchr(in, ':');
    if (!colon) {
        CHECK(rv0 == rv1);
        if (rv0 == 0) {
            CHECK(strcmp(out0, out1) == 0);
        }
    }
    else {
        /* A configured name never has a port. */
        CHECK(rv0 == -1);
        if (rv1 == 0) {
            *colon = '\0';
            CHECK(normalize(in, 0, before) == 0 && strcmp(before, out1) == 0);
            *colon = ':';
        }
    }

    for (i = 0; i <= size; i++) {
        upper[i] = (char)toupper((unsigned char)in[i]);
    }
    CHECK(normalize(upper, 0, again) == rv0);
    if (rv0 == 0) {
        CHECK(strcmp(again, out0) == 0);
    }
    CHECK(normalize(upper, 1, again) == rv1);
    if (rv1 == 0) {
        CHECK(strcmp(again, out1) == 0);
    }

    free(in);
    free(upper);
    return 0;
}
