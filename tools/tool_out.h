/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_out: everything cfaop prints. Results go to stdout (human text, or
 * one JSON document with --json); progress, warnings and errors go to
 * stderr so that scripts can read stdout undisturbed.
 */
#ifndef TOOL_OUT_H
#define TOOL_OUT_H

#include <stdio.h>
#include <jansson.h>

#include "tool.h"

#if defined(__GNUC__)
#define TOOL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TOOL_PRINTF(a, b)
#endif

/* "cfaop: error: ..." on stderr, always (also with -q and --json). */
void tool_error(const char *fmt, ...) TOOL_PRINTF(1, 2);
/* "warning: ..." on stderr, and recorded for the --json document. */
void tool_warn(tool_ctx *ctx, const char *fmt, ...) TOOL_PRINTF(2, 3);
/* Progress on stderr; silenced by -q. */
void tool_info(tool_ctx *ctx, const char *fmt, ...) TOOL_PRINTF(2, 3);
/* Human result text on stdout; silent with --json. */
void tool_print(tool_ctx *ctx, const char *fmt, ...) TOOL_PRINTF(2, 3);
/* Human result text that -q drops too (headings, decoration). */
void tool_print_verbose(tool_ctx *ctx, const char *fmt, ...) TOOL_PRINTF(2, 3);

/* Sets the command's --json result (steals the reference). */
void tool_out_result(tool_ctx *ctx, json_t *result);
/* Prints the --json document at exit: the result, warnings, dry-run calls. */
void tool_out_finish(tool_ctx *ctx, int rc);
/* Flushes stdout; a write error (a full disk) turns success into
 * TOOL_EXIT_FAIL, with an error on stderr. Returns the final exit code. */
int tool_out_close(int rc);

/* Never prints `secret` (a credential): every output function replaces it
 * with [REDACTED], also in text the API sent back. Keeps its own copy. */
void tool_out_add_secret(const char *secret);
/* Wipes and frees the copies. */
void tool_out_forget_secrets(void);

/* Small jansson helpers that tolerate absent or mistyped fields. */
const char *tool_json_str(const json_t *obj, const char *key);
/* A string for display: the value, or "-" when absent. */
const char *tool_json_show(const json_t *obj, const char *key);
/* A JSON string of arbitrary bytes: invalid UTF-8 bytes become the text
 * \xNN, so a message with a file name in another encoding is never lost. */
json_t *tool_json_text(const char *s);

/* Deep copy of `body` with every "private_key" value replaced: what may be
 * shown (dry-run) of a request body. */
json_t *tool_json_redacted(const json_t *body);

#endif /* TOOL_OUT_H */
