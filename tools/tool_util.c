/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "tool.h"
#include "tool_out.h"

double tool_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tool_sleep(double seconds)
{
    struct timespec req, rem;

    if (!(seconds > 0)) {
        return;
    }
    req.tv_sec = (time_t)floor(seconds);
    req.tv_nsec = (long)((seconds - floor(seconds)) * 1e9);
    /* A signal must not shorten a wait the API asked for (Retry-After). */
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
        req = rem;
    }
}

int tool_is_zone_id(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return i == TOOL_ZONE_ID_LEN;
}

int tool_is_cert_id(const char *s)
{
    size_t i;

    /* Ids go into request paths: nothing that could change the path. */
    for (i = 0; s[i]; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-') {
            return 0;
        }
    }
    return i > 0 && i <= TOOL_ID_MAX;
}

void tool_cert_id_lower(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

int tool_check_cert_id(tool_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc < 1 || !tool_is_cert_id(argv[0])) {
        tool_error("'%s' is not a certificate id", argc < 1 ? "" : argv[0]);
        return TOOL_EXIT_USAGE;
    }
    tool_cert_id_lower(argv[0]);
    return TOOL_EXIT_OK;
}

void tool_secret_free(char **s)
{
    if (*s) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}
