/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tool_out.h"

/* The last error, repeated in the --json document so that a script reading
 * only stdout still learns why the command failed. */
static char tool_last_error[1024];

void tool_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tool_last_error, sizeof(tool_last_error), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "cfaop: error: %s\n", tool_last_error);
}

void tool_warn(tool_ctx *ctx, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* Warnings are about safety (an expiring certificate, a mode in which
     * AOP does nothing): -q does not hide them. */
    fflush(stdout);
    fprintf(stderr, "warning: %s\n", buf);
    if (ctx && ctx->warnings) {
        json_array_append_new(ctx->warnings, json_string(buf));
    }
}

void tool_info(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->quiet) {
        return;
    }
    fflush(stdout);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void tool_print(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->json) {
        return;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void tool_print_verbose(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->json || ctx->quiet) {
        return;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void tool_out_result(tool_ctx *ctx, json_t *result)
{
    json_decref(ctx->result);
    ctx->result = result;
}

void tool_out_finish(tool_ctx *ctx, int rc)
{
    json_t *doc;

    if (!ctx->json) {
        return;
    }
    doc = json_is_object(ctx->result) ? json_incref(ctx->result) : json_object();
    if (!doc) {
        return;
    }
    if (ctx->result && !json_is_object(ctx->result)) {
        json_object_set(doc, "result", ctx->result);
    }
    json_object_set_new(doc, "ok", json_boolean(rc == TOOL_EXIT_OK));
    json_object_set_new(doc, "exit_code", json_integer(rc));
    if (rc != TOOL_EXIT_OK && tool_last_error[0]) {
        json_object_set_new(doc, "error", json_string(tool_last_error));
    }
    json_object_set(doc, "warnings", ctx->warnings ? ctx->warnings : json_array());
    if (ctx->dry_run) {
        json_object_set_new(doc, "dry_run", json_true());
        json_object_set(doc, "calls", ctx->dry_calls ? ctx->dry_calls : json_array());
    }
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputc('\n', stdout);
    json_decref(doc);
}

const char *tool_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *tool_json_show(const json_t *obj, const char *key)
{
    const char *s = tool_json_str(obj, key);

    return (s && *s) ? s : "-";
}

json_t *tool_json_redacted(const json_t *body)
{
    json_t *copy, *v;
    const char *k;
    size_t i;

    if (!body) {
        return json_null();
    }
    copy = json_deep_copy(body);
    if (json_is_object(copy)) {
        json_object_foreach(copy, k, v) {
            if (strcmp(k, "private_key") == 0) {
                json_object_set_new(copy, k, json_string("[REDACTED]"));
            } else if (json_is_object(v) || json_is_array(v)) {
                json_object_set_new(copy, k, tool_json_redacted(v));
            }
        }
    } else if (json_is_array(copy)) {
        json_array_foreach(copy, i, v) {
            if (json_is_object(v) || json_is_array(v)) {
                json_array_set_new(copy, i, tool_json_redacted(v));
            }
        }
    }
    return copy;
}
