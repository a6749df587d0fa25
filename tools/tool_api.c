/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "aop_cert.h"
#include "tool_api.h"
#include "tool_out.h"

/* A response larger than this is not an API answer; refuse to buffer it. */
#define TOOL_API_MAX_BODY (32u * 1024u * 1024u)
/* Longest Retry-After honoured, so a broken header cannot hang the tool;
 * Cloudflare's lock-out after exceeding the limit is five minutes. */
#define TOOL_API_MAX_RETRY_AFTER 330.0
/* How many 429 answers in a row the tool waits out before giving up. */
#define TOOL_API_MAX_RATE_RETRIES 6
#define TOOL_API_MAX_BACKOFF 30.0

struct tool_api {
    CURL *curl;
    tool_credentials cred;
    struct curl_slist *headers;      /* auth + Accept */
    struct curl_slist *headers_body; /* the same + Content-Type */
    STACK_OF(X509) *extra_ca;        /* --cacert, added to the default store */
    char base[1024];

    /* pacing: the start times of the last `rate_limit` requests (a ring) */
    double *stamps;
    int rate_limit;
    double rate_window;
    int stamp_next;
    int stamp_count;

    /* retries of idempotent calls */
    int max_retries;
    double retry_base;

    tool_api_error last;
};

/* One attempt's raw outcome. */
typedef struct tool_api_reply {
    CURLcode curl_rc;
    long status;
    char *body;
    size_t len;
    int overflow;
    double retry_after; /* seconds, < 0 when absent */
    char curl_err[CURL_ERROR_SIZE];
} tool_api_reply;

static const char *const tool_method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* Error codes that mean the credentials are wrong or lack a permission
 * (reference §7): malformed header 6003/6111, invalid token 1000, unknown
 * key/email 9103, invalid access token 9109, not authorised 10000. */
static const int tool_auth_codes[] = {1000, 6003, 6100, 6101, 6102, 6103, 6111,
                                      9103, 9106, 9107, 9109, 10000, 10001};
/* ... and codes that mean the object does not exist: 1415 (certificate id
 * invalid or deleted), 7003 (no route: an invalid identifier). */
static const int tool_notfound_codes[] = {1415, 7003};

static double tool_env_double(const char *name, double dflt, double min)
{
    const char *s = getenv(name);
    char *end;
    double v;

    if (!s || !*s) {
        return dflt;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min) {
        fprintf(stderr, "warning: ignoring %s=%s (not a number >= %g)\n", name, s, min);
        return dflt;
    }
    return v;
}

/* CFAOP_RATE_LIMIT=N/SECONDS: at most N requests in any window of SECONDS. */
static void tool_api_rate_config(struct tool_api *api)
{
    const char *s = getenv("CFAOP_RATE_LIMIT");
    char *end;
    long n;
    double w;

    api->rate_limit = 1200;
    api->rate_window = 300.0;
    if (!s || !*s) {
        return;
    }
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || n < 1 || n > 100000 || *end != '/') {
        goto bad;
    }
    w = strtod(end + 1, &end);
    if (*end || !isfinite(w) || w <= 0) {
        goto bad;
    }
    api->rate_limit = (int)n;
    api->rate_window = w;
    return;
bad:
    fprintf(stderr, "warning: ignoring CFAOP_RATE_LIMIT=%s (expected N/SECONDS)\n", s);
}

/* Wipes and frees a header list: two of its strings hold credentials. */
static void tool_slist_wipe(struct curl_slist *list)
{
    struct curl_slist *it;

    for (it = list; it; it = it->next) {
        if (it->data) {
            OPENSSL_cleanse(it->data, strlen(it->data));
        }
    }
    curl_slist_free_all(list);
}

static struct curl_slist *tool_slist_add(struct curl_slist *list, const char *name,
                                         const char *value, int *ok)
{
    struct curl_slist *n;
    size_t len = strlen(name) + strlen(value) + 3;
    char *line;

    if (!*ok) {
        return list;
    }
    line = malloc(len);
    if (!line) {
        *ok = 0;
        return list;
    }
    snprintf(line, len, "%s: %s", name, value);
    n = curl_slist_append(list, line);
    OPENSSL_cleanse(line, len);
    free(line);
    if (!n) {
        *ok = 0;
        return list;
    }
    return n;
}

static struct curl_slist *tool_api_headers(struct tool_api *api, int with_body)
{
    struct curl_slist *list = NULL;
    char bearer[16 + 1024];
    int ok = 1;

    if (api->cred.token) {
        snprintf(bearer, sizeof(bearer), "Bearer %s", api->cred.token);
        list = tool_slist_add(list, "Authorization", bearer, &ok);
        OPENSSL_cleanse(bearer, sizeof(bearer));
    } else {
        list = tool_slist_add(list, "X-Auth-Email", api->cred.email, &ok);
        list = tool_slist_add(list, "X-Auth-Key", api->cred.key, &ok);
    }
    list = tool_slist_add(list, "Accept", "application/json", &ok);
    if (with_body) {
        list = tool_slist_add(list, "Content-Type", "application/json", &ok);
    }
    /* Disable curl's "Expect: 100-continue" for uploads: one round trip. */
    list = tool_slist_add(list, "Expect", "", &ok);
    if (!ok) {
        tool_slist_wipe(list);
        return NULL;
    }
    return list;
}

int tool_api_init(tool_ctx *ctx, tool_credentials *cred)
{
    struct tool_api *api = calloc(1, sizeof(*api));
    aop_error err;
    size_t blen;
    int rc = TOOL_EXIT_FAIL;

    if (!api) {
        tool_error("out of memory");
        goto cleanup;
    }
    api->cred = *cred;
    memset(cred, 0, sizeof(*cred));
    ctx->api = api;

    blen = strlen(ctx->api_base);
    while (blen > 0 && ctx->api_base[blen - 1] == '/') {
        blen--;
    }
    if (blen >= sizeof(api->base)) {
        tool_error("--api-base is too long");
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    memcpy(api->base, ctx->api_base, blen);
    api->base[blen] = '\0';
    /* The token must never travel in clear text or to another scheme. */
    if (strncasecmp(api->base, "https://", 8) != 0) {
        tool_error("--api-base must be an https:// URL (got '%s')", api->base);
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    if (ctx->cacert && aop_pem_load_file(ctx->cacert, &api->extra_ca, &err) != 0) {
        tool_error("--cacert: %s", err.msg);
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }

    tool_api_rate_config(api);
    api->stamps = calloc((size_t)api->rate_limit, sizeof(*api->stamps));
    api->max_retries = (int)tool_env_double("CFAOP_RETRIES", 4, 0);
    api->retry_base = tool_env_double("CFAOP_RETRY_BASE", 1.0, 0);
    api->curl = curl_easy_init();
    api->headers = tool_api_headers(api, 0);
    api->headers_body = tool_api_headers(api, 1);
    if (!api->stamps || !api->curl || !api->headers || !api->headers_body) {
        tool_error("cannot initialise the HTTP client");
        goto cleanup;
    }
    rc = TOOL_EXIT_OK;

cleanup:
    return rc;
}

void tool_api_free(tool_ctx *ctx)
{
    struct tool_api *api = ctx->api;

    if (!api) {
        return;
    }
    if (api->curl) {
        curl_easy_cleanup(api->curl);
    }
    tool_slist_wipe(api->headers);
    tool_slist_wipe(api->headers_body);
    tool_secret_free(&api->cred.token);
    tool_secret_free(&api->cred.key);
    tool_secret_free(&api->cred.email);
    aop_certs_free(api->extra_ca);
    free(api->stamps);
    free(api);
    ctx->api = NULL;
}

int tool_api_uses_key(const tool_ctx *ctx)
{
    return ctx->api && !ctx->api->cred.token;
}

const tool_api_error *tool_api_last_error(const tool_ctx *ctx)
{
    return &ctx->api->last;
}

int tool_api_report(tool_ctx *ctx)
{
    tool_error("%s", ctx->api->last.message);
    return ctx->api->last.exit_code;
}

int tool_api_pathf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        tool_error("request path too long");
        return -1;
    }
    return 0;
}

/* --- pacing ------------------------------------------------------------ */

/*
 * Waits until one more request keeps every window of rate_window seconds at
 * or under rate_limit requests. A burst up to the limit is free; only the
 * request that would exceed it waits, until the oldest of the window has
 * left it.
 */
static void tool_api_pace_wait(tool_ctx *ctx)
{
    struct tool_api *api = ctx->api;
    double wait;

    if (api->stamp_count < api->rate_limit) {
        return;
    }
    /* The ring is full: stamp_next is the oldest. */
    wait = api->stamps[api->stamp_next] + api->rate_window - tool_now();
    if (wait > 0) {
        /* A pause of the tool's own making: say so, or it looks hung. */
        tool_info(ctx, "cfaop: note: pausing %.1f s to stay under the API rate limit "
                  "(%d requests in %g s)", wait, api->rate_limit, api->rate_window);
        tool_sleep(wait);
    }
}

/* Records a request at the time its answer came (or it failed): the API
 * counted it at some moment before that, so windows measured from here
 * are never shorter than the API's. */
static void tool_api_pace_record(struct tool_api *api)
{
    api->stamps[api->stamp_next] = tool_now();
    api->stamp_next = (api->stamp_next + 1) % api->rate_limit;
    if (api->stamp_count < api->rate_limit) {
        api->stamp_count++;
    }
}

/* --- one HTTP exchange ---------------------------------------------------- */

static size_t tool_api_write_cb(char *data, size_t size, size_t n, void *userp)
{
    tool_api_reply *r = userp;
    size_t add = size * n;
    char *grown;

    if (r->len + add > TOOL_API_MAX_BODY) {
        r->overflow = 1;
        return 0; /* aborts the transfer */
    }
    grown = realloc(r->body, r->len + add + 1);
    if (!grown) {
        return 0;
    }
    r->body = grown;
    memcpy(r->body + r->len, data, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

/* Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
static size_t tool_api_header_cb(char *data, size_t size, size_t n, void *userp)
{
    tool_api_reply *r = userp;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    char value[128];
    size_t i, vlen;
    char *end;
    double secs;
    time_t when;

    if (len <= sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0) {
        return len;
    }
    i = sizeof(name) - 1;
    while (i < len && (data[i] == ' ' || data[i] == '\t')) {
        i++;
    }
    vlen = len - i;
    while (vlen > 0 && isspace((unsigned char)data[i + vlen - 1])) {
        vlen--;
    }
    if (vlen == 0 || vlen >= sizeof(value)) {
        return len;
    }
    memcpy(value, data + i, vlen);
    value[vlen] = '\0';
    secs = strtod(value, &end);
    if (*end == '\0' && isfinite(secs) && secs >= 0) {
        r->retry_after = secs;
    } else if ((when = curl_getdate(value, NULL)) != -1) {
        secs = difftime(when, time(NULL));
        r->retry_after = secs > 0 ? secs : 0;
    }
    return len;
}

/* Adds --cacert's certificates to the store libcurl already filled with the
 * system's CAs: --cacert adds trust, it never replaces or disables it. */
static CURLcode tool_api_sslctx_cb(CURL *curl, void *sslctx, void *userp)
{
    struct tool_api *api = userp;
    X509_STORE *store = SSL_CTX_get_cert_store((SSL_CTX *)sslctx);
    int i;

    (void)curl;
    for (i = 0; store && i < sk_X509_num(api->extra_ca); i++) {
        X509_STORE_add_cert(store, sk_X509_value(api->extra_ca, i));
    }
    ERR_clear_error(); /* a duplicate is not an error */
    return CURLE_OK;
}

static int tool_api_backend_is_openssl(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    return v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL", 7) == 0;
}

static void tool_api_perform(tool_ctx *ctx, tool_method method, const char *url,
                             const char *body, tool_api_reply *r)
{
    CURL *c = ctx->api->curl;
    long ms = (long)(ctx->timeout * 1000.0);

    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
    /* Reset between calls so no option of a previous method leaks into the
     * next; live connections survive a reset. */
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    /* No redirects: the credentials go to the API base and nowhere else. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cfaop/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, body ? ctx->api->headers_body : ctx->api->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tool_api_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tool_api_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err);
    if (ctx->api->extra_ca) {
        if (tool_api_backend_is_openssl()) {
            curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, tool_api_sslctx_cb);
            curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, ctx->api);
        } else {
            /* Other TLS backends cannot add to the default store. */
            curl_easy_setopt(c, CURLOPT_CAINFO, ctx->cacert);
        }
    }
    switch (method) {
    case TOOL_GET:
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        break;
    case TOOL_POST:
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        /* On a reused connection that dies, libcurl silently sends the
         * request again; for an upload that could create a duplicate. A
         * fresh connection makes every repeat our own, checked decision. */
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        break;
    default:
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, tool_method_names[method]);
        break;
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    r->curl_rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->curl_rc != CURLE_OK) {
        if (!r->curl_err[0]) {
            snprintf(r->curl_err, sizeof(r->curl_err), "%s", curl_easy_strerror(r->curl_rc));
        }
        if (r->overflow) {
            snprintf(r->curl_err, sizeof(r->curl_err), "response larger than %u bytes",
                     TOOL_API_MAX_BODY);
        }
    }
}

/* A transport failure before anything was sent: safe to repeat any call. */
static int tool_api_not_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT;
}

/* Transport failures worth another attempt (TLS verification is not one). */
static int tool_api_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
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

/* Appends "CODE: message" for an error item and its error_chain. */
static void tool_api_append_error(char *buf, size_t len, const json_t *item, int *first_code,
                                  int *exit_code)
{
    json_t *code = json_object_get(item, "code");
    const char *msg = tool_json_str(item, "message");
    json_t *chain = json_object_get(item, "error_chain"), *sub;
    size_t used = strlen(buf), i;
    int c = json_is_integer(code) ? (int)json_integer_value(code) : 0;

    if (c && !*first_code) {
        *first_code = c;
    }
    if (tool_code_in(c, tool_auth_codes, sizeof(tool_auth_codes) / sizeof(tool_auth_codes[0]))) {
        *exit_code = TOOL_EXIT_AUTH;
    } else if (*exit_code != TOOL_EXIT_AUTH
               && tool_code_in(c, tool_notfound_codes,
                               sizeof(tool_notfound_codes) / sizeof(tool_notfound_codes[0]))) {
        *exit_code = TOOL_EXIT_NOTFOUND;
    }
    snprintf(buf + used, len - used, "%s%s%d: %s", used ? "; " : "",
             used ? "" : "API error ", c, msg ? msg : "(no message)");
    json_array_foreach(chain, i, sub) {
        used = strlen(buf);
        code = json_object_get(sub, "code");
        msg = tool_json_str(sub, "message");
        snprintf(buf + used, len - used, " (%" JSON_INTEGER_FORMAT ": %s)",
                 json_is_integer(code) ? json_integer_value(code) : 0,
                 msg ? msg : "(no message)");
    }
}

/*
 * Interprets a complete HTTP answer. Returns TOOL_EXIT_OK with *result
 * borrowed from *root, or an exit code with api->last filled in.
 */
static int tool_api_envelope(tool_ctx *ctx, tool_method method, const char *path,
                             const tool_api_reply *r, json_t **root)
{
    tool_api_error *e = &ctx->api->last;
    json_t *success, *errors, *item;
    json_error_t jerr;
    size_t i;

    /* Only this answer counts, not an earlier attempt's. */
    e->http_status = r->status;
    e->code = 0;
    *root = r->body ? json_loadb(r->body, r->len, 0, &jerr) : NULL;
    success = json_object_get(*root, "success");
    if (!json_is_boolean(success)) {
        e->exit_code = r->status == 401 || r->status == 403 ? TOOL_EXIT_AUTH
                       : r->status == 404                  ? TOOL_EXIT_NOTFOUND
                                                           : TOOL_EXIT_FAIL;
        snprintf(e->message, sizeof(e->message),
                 "malformed response from the API (HTTP %ld, %s) to %s %s", r->status,
                 *root ? "no \"success\" field" : "not JSON", tool_method_names[method], path);
        return e->exit_code;
    }
    if (json_is_true(success) && r->status >= 200 && r->status < 300) {
        return TOOL_EXIT_OK;
    }
    e->exit_code = TOOL_EXIT_FAIL;
    e->message[0] = '\0';
    errors = json_object_get(*root, "errors");
    json_array_foreach(errors, i, item) {
        tool_api_append_error(e->message, sizeof(e->message), item, &e->code, &e->exit_code);
    }
    if (e->exit_code == TOOL_EXIT_FAIL) {
        if (r->status == 401 || r->status == 403) {
            e->exit_code = TOOL_EXIT_AUTH;
        } else if (r->status == 404) {
            e->exit_code = TOOL_EXIT_NOTFOUND;
        }
    }
    if (!e->message[0]) {
        snprintf(e->message, sizeof(e->message), "API call failed: HTTP %ld for %s %s",
                 r->status, tool_method_names[method], path);
    }
    return e->exit_code;
}

static double tool_api_backoff(const struct tool_api *api, int attempt)
{
    double d = api->retry_base * pow(2.0, attempt);

    if (d > TOOL_API_MAX_BACKOFF) {
        d = TOOL_API_MAX_BACKOFF;
    }
    /* Up to 25 % less, so that several clients do not retry in step. */
    return d * (1.0 - 0.25 * ((double)rand() / RAND_MAX));
}

int tool_api_retry_wait(tool_ctx *ctx, int attempt)
{
    if (attempt >= ctx->api->max_retries) {
        return -1;
    }
    tool_sleep(tool_api_backoff(ctx->api, attempt));
    return 0;
}

static void tool_api_dry_run(tool_ctx *ctx, tool_method method, const char *path,
                             const json_t *body)
{
    json_t *shown = tool_json_redacted(body);
    json_t *call = json_pack("{s:s, s:s, s:O}", "method", tool_method_names[method], "path",
                             path, "body", shown);
    char *text = body ? json_dumps(shown, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    if (call && ctx->dry_calls) {
        json_array_append(ctx->dry_calls, call);
    }
    tool_print(ctx, "dry-run: %s %s%s%s\n", tool_method_names[method], path, text ? " " : "",
               text ? text : "");
    free(text);
    json_decref(call);
    json_decref(shown);
}

/* What to check when the API refuses the credentials, for the error. */
static void tool_api_auth_hint(tool_method method, const char *path, int code, char *buf,
                               size_t len)
{
    const char *perm = NULL, *level = method == TOOL_GET ? "Read" : "Write";
    const char *rest;

    if (code != 10000 && code != 0) {
        snprintf(buf, len, "the credentials are not valid: check them with cfaop verify-token");
        return;
    }
    rest = strncmp(path, "/zones/", 7) == 0 ? strchr(path + 7, '/') : NULL;
    if (!rest) {
        perm = strncmp(path, "/zones", 6) == 0 ? "Zone Read" : NULL;
    } else if (strncmp(rest, "/settings/", 10) == 0) {
        perm = method == TOOL_GET ? "Zone Settings Read" : "Zone Settings Write";
    } else if (strncmp(rest, "/origin_tls_client_auth", 23) == 0) {
        perm = method == TOOL_GET ? "SSL and Certificates Read" : "SSL and Certificates Write";
    }
    if (perm) {
        snprintf(buf, len, "the credentials lack a permission: %s %s needs \"%s\" on this "
                 "zone; check the token's permissions and zones (cfaop verify-token checks "
                 "the token itself)", tool_method_names[method], path, perm);
    } else {
        snprintf(buf, len, "the credentials lack a %s permission for %s; check them with "
                 "cfaop verify-token", level, path);
    }
}

static int tool_api_exchange(tool_ctx *ctx, tool_method method, const char *path,
                             const json_t *body, unsigned flags, json_t **rootp)
{
    struct tool_api *api = ctx->api;
    tool_api_error *e = &api->last;
    tool_api_reply reply;
    json_t *root = NULL;
    char *url = NULL, *payload = NULL;
    size_t url_len;
    int attempt = 0, rate_retries = 0, rc = TOOL_EXIT_FAIL, idempotent = method != TOOL_POST;
    double t0, wait;

    memset(&reply, 0, sizeof(reply));
    memset(e, 0, sizeof(*e));
    *rootp = NULL;
    if (ctx->dry_run && method != TOOL_GET) {
        tool_api_dry_run(ctx, method, path, body);
        rc = TOOL_EXIT_OK;
        goto cleanup;
    }
    url_len = strlen(api->base) + strlen(path) + 1;
    url = malloc(url_len);
    if (body) {
        /* May hold a private key: wiped before it is freed. */
        payload = json_dumps(body, JSON_COMPACT);
    }
    if (!url || (body && !payload)) {
        snprintf(e->message, sizeof(e->message), "out of memory");
        e->exit_code = TOOL_EXIT_FAIL;
        goto report;
    }
    snprintf(url, url_len, "%s%s", api->base, path);

    for (;;) {
        free(reply.body);
        tool_api_pace_wait(ctx);
        t0 = tool_now();
        tool_api_perform(ctx, method, url, payload, &reply);
        tool_api_pace_record(api);
        if (ctx->verbose) {
            if (reply.curl_rc == CURLE_OK) {
                fprintf(stderr, "cfaop: %s %s -> %ld (%.0f ms)\n", tool_method_names[method],
                        path, reply.status, (tool_now() - t0) * 1000.0);
            } else {
                fprintf(stderr, "cfaop: %s %s -> failed: %s (%.0f ms)\n",
                        tool_method_names[method], path, reply.curl_err,
                        (tool_now() - t0) * 1000.0);
            }
        }

        if (reply.curl_rc == CURLE_OK && reply.status == 429
            && rate_retries < TOOL_API_MAX_RATE_RETRIES) {
            /* The API refused the call unprocessed: repeating it is safe for
             * every method, after the wait the API asks for. */
            wait = reply.retry_after >= 0 ? reply.retry_after : tool_api_backoff(api, rate_retries);
            if (wait > TOOL_API_MAX_RETRY_AFTER) {
                wait = TOOL_API_MAX_RETRY_AFTER;
            }
            rate_retries++;
            tool_info(ctx, "cfaop: rate limited by the API (HTTP 429); retrying %s %s in %.1f s",
                      tool_method_names[method], path, wait);
            tool_sleep(wait);
            continue;
        }

        if (reply.curl_rc != CURLE_OK || reply.status >= 500) {
            if (reply.curl_rc != CURLE_OK) {
                snprintf(e->message, sizeof(e->message), "%s %s: %s%s",
                         tool_method_names[method], path, reply.curl_err,
                         reply.curl_rc == CURLE_PEER_FAILED_VERIFICATION
                             ? " (the API's TLS certificate is not trusted; see --cacert)"
                             : "");
                e->http_status = 0;
            } else {
                /* Keep the API's own words when a 5xx carries an envelope. */
                json_decref(root);
                tool_api_envelope(ctx, method, path, &reply, &root);
                json_decref(root);
                root = NULL;
                if (!e->code) {
                    snprintf(e->message, sizeof(e->message), "%s %s: HTTP %ld from the API",
                             tool_method_names[method], path, reply.status);
                } else {
                    size_t used = strlen(e->message);

                    snprintf(e->message + used, sizeof(e->message) - used, " (HTTP %ld)",
                             reply.status);
                }
            }
            e->exit_code = TOOL_EXIT_FAIL;
            if ((idempotent || (reply.curl_rc != CURLE_OK && tool_api_not_sent(reply.curl_rc)))
                && (reply.curl_rc == CURLE_OK || tool_api_transient(reply.curl_rc))
                && attempt < api->max_retries) {
                wait = tool_api_backoff(api, attempt);
                attempt++;
                tool_info(ctx, "cfaop: %s; retrying in %.1f s (attempt %d of %d)", e->message,
                          wait, attempt + 1, api->max_retries + 1);
                tool_sleep(wait);
                continue;
            }
            if (!idempotent && !tool_api_not_sent(reply.curl_rc)) {
                /* The upload may have landed: the caller must look before
                 * it tries again. */
                e->unknown_outcome = 1;
            }
            goto report;
        }

        rc = tool_api_envelope(ctx, method, path, &reply, &root);
        if (rc != TOOL_EXIT_OK && method == TOOL_POST
            && !json_is_boolean(json_object_get(root, "success"))) {
            /* An upload answered with garbage may still have landed. */
            e->unknown_outcome = 1;
        }
        if (rc != TOOL_EXIT_OK && method == TOOL_DELETE && attempt > 0
            && reply.status == 404) {
            /* A retried DELETE whose first attempt landed: gone is what
             * was asked for. */
            rc = TOOL_EXIT_OK;
            memset(e, 0, sizeof(*e));
            goto cleanup;
        }
        if (rc != TOOL_EXIT_OK) {
            goto report;
        }
        *rootp = root;
        root = NULL;
        goto cleanup;
    }

report:
    rc = e->exit_code ? e->exit_code : TOOL_EXIT_FAIL;
    e->exit_code = rc;
    if (rc == TOOL_EXIT_AUTH && e->http_status != 0) {
        char hint[512];
        size_t used = strlen(e->message);

        tool_api_auth_hint(method, path, e->code, hint, sizeof(hint));
        snprintf(e->message + used, sizeof(e->message) - used, " (%s)", hint);
    }
    if (!(flags & TOOL_API_NOREPORT)) {
        tool_error("%s", e->message);
    }

cleanup:
    if (payload) {
        OPENSSL_cleanse(payload, strlen(payload));
        free(payload);
    }
    free(url);
    free(reply.body);
    json_decref(root);
    return rc;
}

/* "a list" / "an object" / what the value is, for messages. */
static const char *tool_json_kind(const json_t *v)
{
    if (!v || json_is_null(v)) {
        return "null";
    }
    return json_is_array(v) ? "a list" : json_is_object(v) ? "an object" : "a scalar";
}

int tool_api_call(tool_ctx *ctx, tool_method method, const char *path, const json_t *body,
                  unsigned flags, json_t **result)
{
    tool_api_error *e = &ctx->api->last;
    json_t *root = NULL, *res;
    int rc;

    if (result) {
        *result = NULL;
    }
    rc = tool_api_exchange(ctx, method, path, body, flags, &root);
    if (rc != TOOL_EXIT_OK || !root) {
        return rc; /* a failure, --dry-run, or a repeated DELETE: no result */
    }
    res = json_object_get(root, "result");
    if (((flags & TOOL_API_ARRAY) && !json_is_array(res))
        || ((flags & TOOL_API_OBJECT) && !json_is_object(res))) {
        snprintf(e->message, sizeof(e->message),
                 "malformed response from the API to %s %s: the result is %s, expected %s",
                 tool_method_names[method], path, tool_json_kind(res),
                 (flags & TOOL_API_ARRAY) ? "a list" : "an object");
        e->exit_code = TOOL_EXIT_FAIL;
        if (!(flags & TOOL_API_NOREPORT)) {
            tool_error("%s", e->message);
        }
        json_decref(root);
        return TOOL_EXIT_FAIL;
    }
    if (result) {
        *result = json_is_null(res) ? NULL : json_incref(res);
    }
    json_decref(root);
    return TOOL_EXIT_OK;
}

/* Longest list read: a runaway total_pages cannot loop forever. */
#define TOOL_API_MAX_PAGES 1000

int tool_api_get_list(tool_ctx *ctx, const char *path, unsigned flags, json_t **list)
{
    json_t *root = NULL, *res, *info, *all = json_array();
    char *page_path = NULL;
    size_t len = strlen(path) + 32;
    long page = 1, pages;
    int rc = TOOL_EXIT_FAIL;

    *list = NULL;
    page_path = malloc(len);
    if (!all || !page_path) {
        tool_error("out of memory");
        goto cleanup;
    }
    for (;;) {
        if (page == 1) {
            snprintf(page_path, len, "%s", path);
        } else {
            snprintf(page_path, len, "%s%cpage=%ld", path, strchr(path, '?') ? '&' : '?', page);
        }
        rc = tool_api_exchange(ctx, TOOL_GET, page_path, NULL, flags, &root);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        res = json_object_get(root, "result");
        if (!json_is_array(res)) {
            tool_error("malformed response from the API to GET %s: the result is %s, expected "
                       "a list", page_path, tool_json_kind(res));
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
        json_array_extend(all, res);
        info = json_object_get(root, "result_info");
        pages = json_array_size(res) == 0 ? 0 : json_integer_value(json_object_get(info, "total_pages"));
        json_decref(root);
        root = NULL;
        if (pages <= page) {
            break;
        }
        if (page >= TOOL_API_MAX_PAGES) {
            tool_error("GET %s: more than %d pages; giving up", path, TOOL_API_MAX_PAGES);
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
        page++;
    }
    *list = all;
    all = NULL;

cleanup:
    json_decref(root);
    json_decref(all);
    free(page_path);
    return rc;
}
