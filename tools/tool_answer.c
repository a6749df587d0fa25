/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "tool_answer.h"

/* Error codes that mean the credentials are wrong or lack a permission:
 * malformed header 6003/6111, invalid token 1000, unknown key/email 9103,
 * invalid access token 9109, not authorised 10000. */
static const int tool_auth_codes[] = {1000, 6003, 6100, 6101, 6102,  6103, 6111,
                                      9103, 9106, 9107, 9109, 10000, 10001};
/* ... and codes that mean the object does not exist: 1415 (certificate id
 * invalid or deleted), 7003 (no route: an invalid identifier). */
static const int tool_notfound_codes[] = {1415, 7003};

void tool_answer_init(tool_answer *a)
{
    memset(a, 0, sizeof(*a));
    a->retry_after = -1;
}

void tool_answer_free(tool_answer *a)
{
    json_decref(a->root);
    a->root = NULL;
}

void tool_answer_header(tool_answer *a, const char *line, size_t len, long now)
{
    static const char name[] = "retry-after:";
    char value[128];
    size_t i, vlen;
    char *end;
    double secs;
    time_t when;

    if (len <= sizeof(name) - 1
        || strncasecmp(line, name, sizeof(name) - 1) != 0) {
        return;
    }
    i = sizeof(name) - 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    vlen = len - i;
    while (vlen > 0 && isspace((unsigned char)line[i + vlen - 1])) {
        vlen--;
    }
    if (vlen == 0 || vlen >= sizeof(value)) {
        return;
    }
    memcpy(value, line + i, vlen);
    value[vlen] = '\0';
    if (memchr(value, '\0', vlen)) {
        return;
    }
    /* Seconds or an HTTP date (RFC 9110, section 10.2.3). */
    secs = strtod(value, &end);
    if (*end == '\0' && isfinite(secs) && secs >= 0) {
        a->retry_after = secs;
    }
    else if ((when = curl_getdate(value, NULL)) != -1) {
        secs = difftime(when, (time_t)now);
        a->retry_after = secs > 0 ? secs : 0;
    }
}

static int tool_code_in(int code, const int *set, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (set[i] == code) {
            return 1;
        }
    }
    return 0;
}

#define TOOL_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The failure an API error code stands for (NOTHING: no particular one). */
static tool_failure tool_answer_code_failure(int code)
{
    if (tool_code_in(code, tool_auth_codes, TOOL_NELEMS(tool_auth_codes))) {
        return TOOL_FAILED_CREDENTIALS;
    }
    if (tool_code_in(code, tool_notfound_codes,
                     TOOL_NELEMS(tool_notfound_codes))) {
        return TOOL_FAILED_NOTFOUND;
    }
    return TOOL_FAILED_NOTHING;
}

static tool_failure tool_answer_status_failure(long status)
{
    if (status == 401 || status == 403) {
        return TOOL_FAILED_CREDENTIALS;
    }
    return status == 404 ? TOOL_FAILED_NOTFOUND : TOOL_FAILED_NOTHING;
}

static void tool_answer_append(tool_answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tool_answer_append(tool_answer *a, const char *fmt, ...)
{
    size_t used = strlen(a->message);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->message + used, sizeof(a->message) - used, fmt, ap);
    va_end(ap);
}

static const char *tool_answer_text(const json_t *item)
{
    const char *s = json_string_value(json_object_get(item, "message"));

    return s ? s : "(no message)";
}

/* Appends "CODE: message" for one error item and its error_chain, and
 * notes the failure the code stands for (credentials win). */
static void tool_answer_error_item(tool_answer *a, const json_t *item,
                                   tool_failure *kind)
{
    json_t *code = json_object_get(item, "code"), *sub;
    json_int_t c = json_is_integer(code) ? json_integer_value(code) : 0;
    tool_failure f = tool_answer_code_failure((int)c);
    size_t i;

    if (c && !a->code) {
        a->code = (int)c;
    }
    if (f == TOOL_FAILED_CREDENTIALS
        || (f && *kind != TOOL_FAILED_CREDENTIALS)) {
        *kind = f;
    }
    tool_answer_append(a, "%s%" JSON_INTEGER_FORMAT ": %s",
                       a->message[0] ? "; " : "API error ", c,
                       tool_answer_text(item));
    json_array_foreach (json_object_get(item, "error_chain"), i, sub) {
        code = json_object_get(sub, "code");
        tool_answer_append(a, " (%" JSON_INTEGER_FORMAT ": %s)",
                           json_is_integer(code) ? json_integer_value(code) : 0,
                           tool_answer_text(sub));
    }
}

/* What to check when the API refuses the credentials. */
static void tool_answer_auth_hint(tool_answer *a, const char *method,
                                  const char *path)
{
    int get = strcmp(method, "GET") == 0;
    const char *perm = NULL, *rest;

    if (a->code != 10000 && a->code != 0) {
        tool_answer_append(a, " (the credentials are not valid: check them "
                              "with cfaop verify-token)");
        return;
    }
    rest = strncmp(path, "/zones/", 7) == 0 ? strchr(path + 7, '/') : NULL;
    if (!rest) {
        perm = strncmp(path, "/zones", 6) == 0 ? "Zone Read" : NULL;
    }
    else if (strncmp(rest, "/settings/", 10) == 0) {
        perm = get ? "Zone Settings Read" : "Zone Settings Write";
    }
    else if (strncmp(rest, "/origin_tls_client_auth", 23) == 0) {
        perm = get ? "SSL and Certificates Read" : "SSL and Certificates Write";
    }
    if (perm) {
        tool_answer_append(
            a,
            " (the credentials lack a permission: %s %s needs \"%s\" on this "
            "zone; check the token's permissions and zones, and the token "
            "itself with cfaop verify-token)",
            method, path, perm);
    }
    else {
        tool_answer_append(a,
                           " (the credentials lack a permission for %s %s; "
                           "check them with cfaop verify-token)",
                           method, path);
    }
}

tool_failure tool_answer_parse(tool_answer *a, const char *method,
                               const char *path, long status, const char *body,
                               size_t len)
{
    json_t *success, *item;
    json_error_t jerr;
    tool_failure kind = TOOL_FAILED_NOTHING;
    size_t i;

    a->status = status;
    a->code = 0;
    a->message[0] = '\0';
    json_decref(a->root);
    a->root = body ? json_loadb(body, len, 0, &jerr) : NULL;
    success = json_object_get(a->root, "success");
    if (!json_is_boolean(success)) {
        kind = tool_answer_status_failure(status);
        a->failure = kind ? kind : TOOL_FAILED_MALFORMED;
        if (status >= 500) {
            snprintf(a->message, sizeof(a->message),
                     "%s %s: HTTP %ld from the API", method, path, status);
        }
        else {
            snprintf(a->message, sizeof(a->message),
                     "malformed response from the API (HTTP %ld, %s) to %s %s",
                     status, a->root ? "no \"success\" field" : "not JSON",
                     method, path);
        }
        return a->failure;
    }
    if (json_is_true(success) && status >= 200 && status < 300) {
        a->failure = TOOL_FAILED_NOTHING;
        return a->failure;
    }
    json_array_foreach (json_object_get(a->root, "errors"), i, item) {
        tool_answer_error_item(a, item, &kind);
    }
    if (!kind) {
        kind = tool_answer_status_failure(status);
    }
    /* A server error says nothing about the request, whatever its codes. */
    a->failure = kind && status < 500 ? kind : TOOL_FAILED_API;
    if (!a->message[0]) {
        snprintf(a->message, sizeof(a->message), "%s %s: HTTP %ld from the API",
                 method, path, status);
    }
    else if (status >= 500) {
        tool_answer_append(a, " (HTTP %ld)", status);
    }
    if (a->failure == TOOL_FAILED_CREDENTIALS) {
        tool_answer_auth_hint(a, method, path);
    }
    return a->failure;
}

static const char *tool_json_kind(const json_t *v)
{
    if (!v || json_is_null(v)) {
        return "null";
    }
    return json_is_array(v)    ? "a list"
           : json_is_object(v) ? "an object"
                               : "a scalar";
}

tool_failure tool_answer_result(tool_answer *a, const char *method,
                                const char *path, unsigned want,
                                json_t **result)
{
    json_t *res = json_object_get(a->root, "result");

    *result = NULL;
    if (((want & TOOL_WANT_ARRAY) && !json_is_array(res))
        || ((want & TOOL_WANT_OBJECT) && !json_is_object(res))) {
        snprintf(a->message, sizeof(a->message),
                 "malformed response from the API to %s %s: the result is %s, "
                 "expected %s",
                 method, path, tool_json_kind(res),
                 (want & TOOL_WANT_ARRAY) ? "a list" : "an object");
        a->failure = TOOL_FAILED_MALFORMED;
        return a->failure;
    }
    *result = json_is_null(res) ? NULL : res;
    return TOOL_FAILED_NOTHING;
}

long tool_answer_total_pages(const tool_answer *a)
{
    json_t *pages =
        json_object_get(json_object_get(a->root, "result_info"), "total_pages");

    if (!json_is_integer(pages) || json_integer_value(pages) < 0
        || json_integer_value(pages) > 1000000) {
        return 0;
    }
    return (long)json_integer_value(pages);
}
