/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_answer: what an HTTP answer of the Cloudflare v4 API means. Pure
 * functions, no network and no global state: header lines, the status and
 * the body go in; the envelope's result, or a failure with its message,
 * comes out. The transport (tool_api) feeds it; a fuzzer can feed it any
 * bytes at all.
 */
#ifndef TOOL_ANSWER_H
#define TOOL_ANSWER_H

#include <stddef.h>

#include <jansson.h>

#include "tool.h"

/* Shapes a caller can demand of "result" (tool_answer_result). */
#define TOOL_WANT_ANY 0u
#define TOOL_WANT_ARRAY (1u << 1)
#define TOOL_WANT_OBJECT (1u << 2)

typedef struct tool_answer {
    long status;        /* HTTP status */
    double retry_after; /* Retry-After in seconds, < 0 when absent */
    json_t *root;       /* the envelope when the body is JSON, owned */
    tool_failure failure;
    int code;           /* first API error code, 0 when none */
    char message[1024]; /* why it failed, for the user */
} tool_answer;

void tool_answer_init(tool_answer *a);
void tool_answer_free(tool_answer *a);

/* One header line as received ("Name: value\r\n"); only Retry-After
 * (seconds or an HTTP date) matters. `now` is time(NULL). */
void tool_answer_header(tool_answer *a, const char *line, size_t len, long now);

/*
 * Judges a complete answer to METHOD PATH: TOOL_FAILED_NOTHING for a
 * 2xx envelope with success true; otherwise the kind of failure (bad
 * credentials, not found, API error, malformed answer) with a message that
 * carries the API's own codes and says what to check.
 */
tool_failure tool_answer_parse(tool_answer *a, const char *method,
                               const char *path, long status, const char *body,
                               size_t len);

/* After success: the result (borrowed from a->root, NULL for null) when it
 * has the shape WANT asks for; else TOOL_FAILED_MALFORMED and a message. */
tool_failure tool_answer_result(tool_answer *a, const char *method,
                                const char *path, unsigned want,
                                json_t **result);

/* result_info.total_pages of a list answer, 0 when absent. */
long tool_answer_total_pages(const tool_answer *a);

#endif /* TOOL_ANSWER_H */
