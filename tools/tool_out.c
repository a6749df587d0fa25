/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aop_text.h"
#include "tool_out.h"
#include "tool_util.h"

/* The last error, repeated in the --json document so that a script reading
 * only stdout still learns why the command failed. */
static char tool_last_error[1024];

/* Secrets that must never reach the output, even when the API quotes them
 * back in an error message. Own copies, wiped by tool_out_forget_secrets. */
#define TOOL_MAX_SECRETS 4
static char *tool_secrets[TOOL_MAX_SECRETS];

/* Shorter strings would blank out ordinary words; no real credential is. */
#define TOOL_MIN_SECRET_LEN 6
#define TOOL_REDACTED "[REDACTED]"

void tool_out_add_secret(const char *secret)
{
    size_t i;

    if (!secret || strlen(secret) < TOOL_MIN_SECRET_LEN) {
        return;
    }
    for (i = 0; i < TOOL_MAX_SECRETS; i++) {
        if (!tool_secrets[i]) {
            tool_secrets[i] = strdup(secret);
            return;
        }
    }
}

void tool_out_forget_secrets(void)
{
    size_t i;

    for (i = 0; i < TOOL_MAX_SECRETS; i++) {
        tool_secret_free(&tool_secrets[i]);
    }
}

/* A malloc'ed copy of s with every secret replaced by [REDACTED], or NULL
 * when s holds none (or memory ran out: then the caller prints nothing). */
static char *tool_redact_dup(const char *s, int *failed)
{
    char *out = NULL, *hit;
    size_t i, slen, rlen = strlen(TOOL_REDACTED);

    *failed = 0;
    for (i = 0; i < TOOL_MAX_SECRETS; i++) {
        const char *cur = out ? out : s;
        char *next;
        size_t n = 0, len;

        if (!tool_secrets[i] || !strstr(cur, tool_secrets[i])) {
            continue;
        }
        slen = strlen(tool_secrets[i]);
        for (hit = strstr(cur, tool_secrets[i]); hit;
             hit = strstr(hit + slen, tool_secrets[i])) {
            n++;
        }
        len = strlen(cur) + n * rlen + 1;
        next = malloc(len);
        if (!next) {
            free(out);
            *failed = 1;
            return NULL;
        }
        next[0] = '\0';
        while ((hit = strstr(cur, tool_secrets[i])) != NULL) {
            strncat(next, cur, (size_t)(hit - cur));
            strcat(next, TOOL_REDACTED);
            cur = hit + slen;
        }
        strcat(next, cur);
        free(out);
        out = next;
    }
    return out;
}

/* Formats into a malloc'ed string, with secrets redacted. */
static char *tool_vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    char *buf, *red;
    int n, failed;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (!buf) {
        return NULL;
    }
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    red = tool_redact_dup(buf, &failed);
    if (red || failed) {
        free(buf);
        return red;
    }
    return buf;
}

void tool_error(const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = tool_vformat(fmt, ap);
    va_end(ap);
    snprintf(tool_last_error, sizeof(tool_last_error), "%s",
             msg ? msg : "out of memory");
    free(msg);
    fflush(stdout);
    fprintf(stderr, "cfaop: error: %s\n", tool_last_error);
}

void tool_warn(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = tool_vformat(fmt, ap);
    va_end(ap);
    if (!msg) {
        return;
    }
    /* Warnings are about safety (an expiring certificate, a mode in which
     * AOP does nothing): -q does not hide them. */
    fflush(stdout);
    fprintf(stderr, "warning: %s\n", msg);
    if (ctx && ctx->warnings) {
        json_array_append_new(ctx->warnings, tool_json_text(msg));
    }
    free(msg);
}

void tool_info(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (ctx->cfg.quiet) {
        return;
    }
    va_start(ap, fmt);
    msg = tool_vformat(fmt, ap);
    va_end(ap);
    if (msg) {
        fflush(stdout);
        fprintf(stderr, "%s\n", msg);
        free(msg);
    }
}

static void tool_vprint(const char *fmt, va_list ap)
{
    char *msg = tool_vformat(fmt, ap);

    if (msg) {
        fputs(msg, stdout);
        free(msg);
    }
}

void tool_print(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->cfg.json) {
        return;
    }
    va_start(ap, fmt);
    tool_vprint(fmt, ap);
    va_end(ap);
}

void tool_print_verbose(tool_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->cfg.json || ctx->cfg.quiet) {
        return;
    }
    va_start(ap, fmt);
    tool_vprint(fmt, ap);
    va_end(ap);
}

void tool_out_result(tool_ctx *ctx, json_t *result)
{
    json_decref(ctx->result);
    ctx->result = result;
}

/* Replaces, in place, every string of `v` that holds a secret. */
static void tool_redact_json(json_t *v)
{
    const char *k;
    json_t *item;
    size_t i;
    char *red;
    int failed;

    if (json_is_string(v)) {
        red = tool_redact_dup(json_string_value(v), &failed);
        if (red || failed) {
            json_string_set(v, red ? red : TOOL_REDACTED);
        }
        free(red);
    }
    else if (json_is_object(v)) {
        json_object_foreach (v, k, item) {
            tool_redact_json(item);
        }
    }
    else if (json_is_array(v)) {
        json_array_foreach (v, i, item) {
            tool_redact_json(item);
        }
    }
}

void tool_out_finish(tool_ctx *ctx, int rc)
{
    json_t *doc;

    if (!ctx->cfg.json) {
        return;
    }
    doc = json_is_object(ctx->result) ? json_deep_copy(ctx->result)
                                      : json_object();
    if (!doc) {
        return;
    }
    if (ctx->result && !json_is_object(ctx->result)) {
        json_object_set(doc, "result", ctx->result);
    }
    json_object_set_new(doc, "ok", json_boolean(rc == TOOL_EXIT_OK));
    json_object_set_new(doc, "exit_code", json_integer(rc));
    if (rc != TOOL_EXIT_OK && tool_last_error[0]) {
        json_object_set_new(doc, "error", tool_json_text(tool_last_error));
    }
    json_object_set(doc, "warnings",
                    ctx->warnings ? ctx->warnings : json_array());
    if (ctx->origin_check) {
        json_object_set(doc, "origin_check", ctx->origin_check);
    }
    if (ctx->cfg.dry_run) {
        json_object_set_new(doc, "dry_run", json_true());
        json_object_set(doc, "calls",
                        ctx->dry_calls ? ctx->dry_calls : json_array());
    }
    tool_redact_json(doc);
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputc('\n', stdout);
    json_decref(doc);
}

int tool_out_close(int rc)
{
    /* A full disk or a closed pipe must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int err = errno;

        tool_error("cannot write to standard output: %s",
                   strerror(err ? err : EIO));
        return rc == TOOL_EXIT_OK ? TOOL_EXIT_FAIL : rc;
    }
    return rc;
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

json_t *tool_json_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    json_t *v;
    char *buf;
    size_t i = 0, o = 0, n;

    if (!s) {
        return json_null();
    }
    v = json_string(s);
    if (v) {
        return v;
    }
    /* Not UTF-8 (a file name in another encoding): each invalid byte
     * becomes the text \xNN, so the message survives and stays readable. */
    buf = malloc(strlen(s) * 4 + 1);
    if (!buf) {
        return json_null();
    }
    while (p[i]) {
        n = aop_utf8_len(p + i);
        if (n == 0) {
            snprintf(buf + o, 5, "\\x%02x", p[i]);
            o += 4;
            i++;
        }
        else {
            memcpy(buf + o, p + i, n);
            o += n;
            i += n;
        }
    }
    buf[o] = '\0';
    v = json_string(buf);
    free(buf);
    return v ? v : json_null();
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
        json_object_foreach (copy, k, v) {
            if (strcmp(k, "private_key") == 0) {
                json_object_set_new(copy, k, json_string("[REDACTED]"));
            }
            else if (json_is_object(v) || json_is_array(v)) {
                json_object_set_new(copy, k, tool_json_redacted(v));
            }
        }
    }
    else if (json_is_array(copy)) {
        json_array_foreach (copy, i, v) {
            if (json_is_object(v) || json_is_array(v)) {
                json_array_set_new(copy, i, tool_json_redacted(v));
            }
        }
    }
    return copy;
}
