/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "tool_util.h"

/* Indexed by tool_failure. */
static const int tool_failure_exit[] = {
    [TOOL_FAILED_NOTHING] = TOOL_EXIT_OK,
    [TOOL_FAILED_USAGE] = TOOL_EXIT_USAGE,
    [TOOL_FAILED_CHECK] = TOOL_EXIT_FAIL,
    [TOOL_FAILED_MEMORY] = TOOL_EXIT_FAIL,
    [TOOL_FAILED_TRANSPORT] = TOOL_EXIT_FAIL,
    [TOOL_FAILED_MALFORMED] = TOOL_EXIT_FAIL,
    [TOOL_FAILED_API] = TOOL_EXIT_FAIL,
    [TOOL_FAILED_CREDENTIALS] = TOOL_EXIT_AUTH,
    [TOOL_FAILED_NOTFOUND] = TOOL_EXIT_NOTFOUND,
    [TOOL_FAILED_TIMEOUT] = TOOL_EXIT_TIMEOUT,
    [TOOL_FAILED_STATE] = TOOL_EXIT_FAIL,
};

int tool_exit_code(tool_failure failure)
{
    if ((size_t)failure
        >= sizeof(tool_failure_exit) / sizeof(tool_failure_exit[0])) {
        return TOOL_EXIT_FAIL;
    }
    return tool_failure_exit[failure];
}

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

void tool_id_lower(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

int tool_id_eq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

void tool_secret_free(char **s)
{
    if (*s) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

int tool_strlist_add(tool_strlist *l, const char *value)
{
    const char **v = realloc(l->v, ((size_t)l->n + 1) * sizeof(*v));

    if (!v) {
        return -1;
    }
    v[l->n++] = value;
    l->v = v;
    return 0;
}

void tool_strlist_free(tool_strlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
