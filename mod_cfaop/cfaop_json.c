/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <string.h>

#include "apr_strings.h"

#include "aop_text.h"
#include "cfaop_json.h"

#define CFAOP_JSON_BUFSIZE 16384
/* Deeper than the policy document ever nests. */
#define CFAOP_JSON_DEPTH 16

struct cfaop_json {
    cfaop_json_sink *sink;
    void *baton;
    apr_status_t status;         /* the sink's first error */
    int depth;
    int first[CFAOP_JSON_DEPTH]; /* nothing written yet at this level */
    char closer[CFAOP_JSON_DEPTH];
    apr_size_t used;
    char buf[CFAOP_JSON_BUFSIZE];
};

cfaop_json *cfaop_json_make(apr_pool_t *p, cfaop_json_sink *sink, void *baton)
{
    cfaop_json *j = apr_pcalloc(p, sizeof(*j));

    j->sink = sink;
    j->baton = baton;
    j->first[0] = 1;
    return j;
}

static void cfaop_json_flush(cfaop_json *j)
{
    if (j->used && j->status == APR_SUCCESS) {
        j->status = j->sink(j->baton, j->buf, j->used);
    }
    j->used = 0;
}

static void cfaop_json_put(cfaop_json *j, const char *data, apr_size_t len)
{
    if (j->used + len > sizeof(j->buf)) {
        cfaop_json_flush(j);
        if (len > sizeof(j->buf)) {
            if (j->status == APR_SUCCESS) {
                j->status = j->sink(j->baton, data, len);
            }
            return;
        }
    }
    memcpy(j->buf + j->used, data, len);
    j->used += len;
}

static void cfaop_json_puts(cfaop_json *j, const char *s)
{
    cfaop_json_put(j, s, strlen(s));
}

static void cfaop_json_quoted(cfaop_json *j, const char *value)
{
    const unsigned char *s = (const unsigned char *)value;
    char esc[8];
    apr_size_t n;

    cfaop_json_put(j, "\"", 1);
    while (*s) {
        if (*s == '"' || *s == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*s;
            cfaop_json_put(j, esc, 2);
            s++;
        }
        else if (*s < 0x20) {
            apr_snprintf(esc, sizeof(esc), "\\u%04x", *s);
            cfaop_json_put(j, esc, 6);
            s++;
        }
        else if ((n = aop_utf8_len(s)) == 0) {
            cfaop_json_puts(j, "\\ufffd");
            s++;
        }
        else {
            cfaop_json_put(j, (const char *)s, n);
            s += n;
        }
    }
    cfaop_json_put(j, "\"", 1);
}

/* The separator and member name before a value. */
static void cfaop_json_member(cfaop_json *j, const char *key)
{
    if (!j->first[j->depth]) {
        cfaop_json_put(j, ",", 1);
    }
    j->first[j->depth] = 0;
    if (key) {
        cfaop_json_quoted(j, key);
        cfaop_json_put(j, ":", 1);
    }
}

static void cfaop_json_open(cfaop_json *j, const char *key, char opener,
                            char closer)
{
    cfaop_json_member(j, key);
    cfaop_json_put(j, &opener, 1);
    if (j->depth + 1 < CFAOP_JSON_DEPTH) {
        j->depth++;
    }
    j->first[j->depth] = 1;
    j->closer[j->depth] = closer;
}

void cfaop_json_object(cfaop_json *j, const char *key)
{
    cfaop_json_open(j, key, '{', '}');
}

void cfaop_json_array(cfaop_json *j, const char *key)
{
    cfaop_json_open(j, key, '[', ']');
}

void cfaop_json_end(cfaop_json *j)
{
    if (j->depth > 0) {
        cfaop_json_put(j, &j->closer[j->depth], 1);
        j->depth--;
    }
}

void cfaop_json_string(cfaop_json *j, const char *key, const char *value)
{
    cfaop_json_member(j, key);
    if (value) {
        cfaop_json_quoted(j, value);
    }
    else {
        cfaop_json_puts(j, "null");
    }
}

void cfaop_json_int(cfaop_json *j, const char *key, apr_int64_t value)
{
    char num[32];

    cfaop_json_member(j, key);
    apr_snprintf(num, sizeof(num), "%" APR_INT64_T_FMT, value);
    cfaop_json_puts(j, num);
}

void cfaop_json_bool(cfaop_json *j, const char *key, int value)
{
    cfaop_json_member(j, key);
    cfaop_json_puts(j, value ? "true" : "false");
}

void cfaop_json_null(cfaop_json *j, const char *key)
{
    cfaop_json_member(j, key);
    cfaop_json_puts(j, "null");
}

apr_status_t cfaop_json_finish(cfaop_json *j)
{
    if (j->depth == 0) {
        cfaop_json_put(j, "\n", 1);
    }
    cfaop_json_flush(j);
    return j->status;
}
