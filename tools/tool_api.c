/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
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
#include "tool_util.h"

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
    STACK_OF(X509) * extra_ca;       /* --cacert, added to the default store */
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

/* One attempt: the transport's outcome and, when there was an HTTP
 * answer, what it means. */
typedef struct tool_api_reply {
    CURLcode curl_rc;
    char curl_err[CURL_ERROR_SIZE];
    tool_buf body;
    int overflow;
    tool_answer answer;
} tool_api_reply;

/* Counters of one call's retries. */
typedef struct tool_api_retries {
    int attempt;      /* 5xx and transport retries so far */
    int rate_retries; /* 429 answers waited out so far */
} tool_api_retries;

static const char *const tool_method_names[] = {"GET", "POST", "PUT", "PATCH",
                                                "DELETE"};

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
        fprintf(stderr, "warning: ignoring %s=%s (not a number >= %g)\n", name,
                s, min);
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
    w = !errno && n >= 1 && n <= 100000 && *end == '/' ? strtod(end + 1, &end)
                                                       : -1;
    if (*end || !isfinite(w) || w <= 0) {
        fprintf(stderr,
                "warning: ignoring CFAOP_RATE_LIMIT=%s (expected N/SECONDS)\n",
                s);
        return;
    }
    api->rate_limit = (int)n;
    api->rate_window = w;
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

static struct curl_slist *tool_slist_add(struct curl_slist *list,
                                         const char *name, const char *value,
                                         int *ok)
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
    }
    else {
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

    blen = strlen(ctx->cfg.api_base);
    while (blen > 0 && ctx->cfg.api_base[blen - 1] == '/') {
        blen--;
    }
    if (blen >= sizeof(api->base)) {
        tool_error("--api-base is too long");
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    memcpy(api->base, ctx->cfg.api_base, blen);
    api->base[blen] = '\0';
    /* The token must never travel in clear text or to another scheme. */
    if (strncasecmp(api->base, "https://", 8) != 0) {
        tool_error("--api-base must be an https:// URL (got '%s')", api->base);
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    if (ctx->cfg.cacert
        && aop_pem_load_file(ctx->cfg.cacert, &api->extra_ca, &err) != 0) {
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
        tool_info(ctx,
                  "cfaop: note: pausing %.1f s to stay under the API rate "
                  "limit (%d requests in %g s)",
                  wait, api->rate_limit, api->rate_window);
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

    if (r->body.len + add > TOOL_API_MAX_BODY) {
        r->overflow = 1;
        return 0; /* aborts the transfer */
    }
    return tool_buf_add(&r->body, data, add) == 0 ? add : 0;
}

static size_t tool_api_header_cb(char *data, size_t size, size_t n, void *userp)
{
    tool_api_reply *r = userp;

    tool_answer_header(&r->answer, data, size * n, (long)time(NULL));
    return size * n;
}

/* Adds --cacert's certificates to the store libcurl already filled with the
 * system's CAs: --cacert adds trust, it never replaces or disables it. */
void tool_api_trust_add(const tool_ctx *ctx, SSL_CTX *sslctx)
{
    X509_STORE *store = SSL_CTX_get_cert_store(sslctx);
    int i;

    for (i = 0; store && ctx->api && i < sk_X509_num(ctx->api->extra_ca); i++) {
        X509_STORE_add_cert(store, sk_X509_value(ctx->api->extra_ca, i));
    }
    ERR_clear_error(); /* a duplicate is not an error */
}

static CURLcode tool_api_sslctx_cb(CURL *curl TOOL_UNUSED, void *sslctx,
                                   void *userp)
{
    tool_api_trust_add(userp, (SSL_CTX *)sslctx);
    return CURLE_OK;
}

int tool_api_backend_is_openssl(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    return v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL", 7) == 0;
}

void tool_api_setopt_transport(const tool_ctx *ctx, CURL *c, const char *url,
                               char *errbuf)
{
    long ms = (long)(ctx->cfg.timeout * 1000.0);

    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    /* No redirects: credentials and client certificates go to the URL asked
     * for and nowhere else. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cfaop/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

/* The options every request has; live connections survive the reset. */
static void tool_api_setopt_common(tool_ctx *ctx, const char *url,
                                   int with_body, tool_api_reply *r)
{
    CURL *c = ctx->api->curl;

    curl_easy_reset(c);
    tool_api_setopt_transport(ctx, c, url, r->curl_err);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER,
                     with_body ? ctx->api->headers_body : ctx->api->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tool_api_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tool_api_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (ctx->api->extra_ca) {
        if (tool_api_backend_is_openssl()) {
            curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, tool_api_sslctx_cb);
            curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, ctx);
        }
        else {
            /* Other TLS backends cannot add to the default store. */
            curl_easy_setopt(c, CURLOPT_CAINFO, ctx->cfg.cacert);
        }
    }
}

static void tool_api_perform(tool_ctx *ctx, tool_method method, const char *url,
                             const char *body, tool_api_reply *r)
{
    CURL *c = ctx->api->curl;
    long status = 0;

    tool_api_setopt_common(ctx, url, body != NULL, r);
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
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
    }
    r->curl_rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r->answer.status = status;
    if (r->curl_rc != CURLE_OK && !r->curl_err[0]) {
        snprintf(r->curl_err, sizeof(r->curl_err), "%s",
                 curl_easy_strerror(r->curl_rc));
    }
    if (r->curl_rc != CURLE_OK && r->overflow) {
        snprintf(r->curl_err, sizeof(r->curl_err),
                 "response larger than %u bytes", TOOL_API_MAX_BODY);
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

static void tool_api_dry_run(tool_ctx *ctx, tool_method method,
                             const char *path, const json_t *body)
{
    json_t *shown = tool_json_redacted(body);
    json_t *call =
        json_pack("{s:s, s:s, s:O}", "method", tool_method_names[method],
                  "path", path, "body", shown);
    char *text = body ? json_dumps(shown, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    if (call && ctx->dry_calls) {
        json_array_append(ctx->dry_calls, call);
    }
    tool_print(ctx, "dry-run: %s %s%s%s\n", tool_method_names[method], path,
               text ? " " : "", text ? text : "");
    free(text);
    json_decref(call);
    json_decref(shown);
}

/* One attempt, paced, logged with -v, and judged. */
static void tool_api_attempt(tool_ctx *ctx, tool_method method, const char *url,
                             const char *path, const char *payload,
                             tool_api_reply *r)
{
    const char *name = tool_method_names[method];
    double t0;

    tool_buf_free(&r->body);
    tool_answer_free(&r->answer);
    tool_answer_init(&r->answer);
    r->curl_err[0] = '\0';
    r->overflow = 0;
    tool_api_pace_wait(ctx);
    t0 = tool_now();
    tool_api_perform(ctx, method, url, payload, r);
    tool_api_pace_record(ctx->api);
    if (ctx->cfg.verbose && r->curl_rc == CURLE_OK) {
        fprintf(stderr, "cfaop: %s %s -> %ld (%.0f ms)\n", name, path,
                r->answer.status, (tool_now() - t0) * 1000.0);
    }
    else if (ctx->cfg.verbose) {
        fprintf(stderr, "cfaop: %s %s -> failed: %s (%.0f ms)\n", name, path,
                r->curl_err, (tool_now() - t0) * 1000.0);
    }
    if (r->curl_rc == CURLE_OK) {
        tool_answer_parse(&r->answer, name, path, r->answer.status,
                          tool_buf_str(&r->body), r->body.len);
        return;
    }
    r->answer.status = 0;
    r->answer.failure = TOOL_FAILED_TRANSPORT;
    snprintf(r->answer.message, sizeof(r->answer.message), "%s %s: %s%s", name,
             path, r->curl_err,
             r->curl_rc == CURLE_PEER_FAILED_VERIFICATION
                 ? " (the API's TLS certificate is not trusted; see --cacert)"
                 : "");
}

/*
 * The retry policy: seconds to wait before the next attempt, or -1 when
 * the reply is final. A 429 was refused unprocessed, so every method may
 * repeat it; a 5xx or a transport failure is repeated only when the call is
 * idempotent or was never sent.
 */
static double tool_api_retry_delay(tool_ctx *ctx, tool_method method,
                                   const char *path, const tool_api_reply *r,
                                   tool_api_retries *n)
{
    struct tool_api *api = ctx->api;
    int sent = r->curl_rc == CURLE_OK || !tool_api_not_sent(r->curl_rc);
    double wait;

    if (r->curl_rc == CURLE_OK && r->answer.status == 429
        && n->rate_retries < TOOL_API_MAX_RATE_RETRIES) {
        wait = r->answer.retry_after >= 0
                   ? r->answer.retry_after
                   : tool_api_backoff(api, n->rate_retries);
        wait =
            wait > TOOL_API_MAX_RETRY_AFTER ? TOOL_API_MAX_RETRY_AFTER : wait;
        n->rate_retries++;
        tool_info(ctx,
                  "cfaop: rate limited by the API (HTTP 429); retrying %s %s "
                  "in %.1f s",
                  tool_method_names[method], path, wait);
        return wait;
    }
    if (r->curl_rc == CURLE_OK ? r->answer.status < 500
                               : !tool_api_transient(r->curl_rc)) {
        return -1;
    }
    if ((method == TOOL_POST && sent) || n->attempt >= api->max_retries) {
        return -1;
    }
    wait = tool_api_backoff(api, n->attempt);
    n->attempt++;
    tool_info(ctx, "cfaop: %s; retrying in %.1f s (attempt %d of %d)",
              r->answer.message, wait, n->attempt + 1, api->max_retries + 1);
    return wait;
}

/* Records the final reply in api->last; TOOL_EXIT_OK or its exit code. */
static int tool_api_conclude(tool_ctx *ctx, tool_method method,
                             const tool_api_reply *r, const tool_api_retries *n)
{
    tool_api_error *e = &ctx->api->last;
    const tool_answer *a = &r->answer;

    memset(e, 0, sizeof(*e));
    e->http_status = a->status;
    if (a->failure == TOOL_FAILED_NOTHING) {
        return TOOL_EXIT_OK;
    }
    if (method == TOOL_DELETE && n->attempt > 0 && a->status == 404) {
        /* A retried DELETE whose first attempt landed: gone is what was
         * asked for. */
        return TOOL_EXIT_OK;
    }
    e->code = a->code;
    e->exit_code = tool_exit_code(a->failure);
    snprintf(e->message, sizeof(e->message), "%s", a->message);
    if (method == TOOL_POST
        && ((r->curl_rc != CURLE_OK && !tool_api_not_sent(r->curl_rc))
            || a->status >= 500
            || !json_is_boolean(json_object_get(a->root, "success")))) {
        /* The upload may have landed: the caller must look before it tries
         * again. */
        e->unknown_outcome = 1;
    }
    return e->exit_code;
}

/* The call with its retries; on success the judged answer is moved into
 * *answer (its root NULL with --dry-run or after a repeated DELETE). */
static int tool_api_exchange(tool_ctx *ctx, tool_method method,
                             const char *path, const json_t *body,
                             unsigned flags, tool_answer *answer)
{
    tool_api_reply reply;
    tool_api_retries retries = {0, 0};
    tool_buf url = TOOL_BUF_INIT;
    char *payload = NULL;
    double wait;
    int rc;

    memset(&reply, 0, sizeof(reply));
    tool_answer_init(&reply.answer);
    tool_answer_init(answer);
    memset(&ctx->api->last, 0, sizeof(ctx->api->last));
    if (ctx->cfg.dry_run && method != TOOL_GET) {
        tool_api_dry_run(ctx, method, path, body);
        return TOOL_EXIT_OK;
    }
    tool_buf_printf(&url, "%s%s", ctx->api->base, path);
    /* May hold a private key: wiped before it is freed. */
    payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!tool_buf_str(&url) || (body && !payload)) {
        snprintf(ctx->api->last.message, sizeof(ctx->api->last.message),
                 "out of memory");
        ctx->api->last.exit_code = rc = tool_exit_code(TOOL_FAILED_MEMORY);
        goto cleanup;
    }
    for (;;) {
        tool_api_attempt(ctx, method, tool_buf_str(&url), path, payload,
                         &reply);
        wait = tool_api_retry_delay(ctx, method, path, &reply, &retries);
        if (wait < 0) {
            break;
        }
        tool_sleep(wait);
    }
    rc = tool_api_conclude(ctx, method, &reply, &retries);
    if (rc == TOOL_EXIT_OK && reply.answer.failure == TOOL_FAILED_NOTHING) {
        *answer = reply.answer;
        tool_answer_init(&reply.answer);
    }

cleanup:
    if (rc != TOOL_EXIT_OK && !(flags & TOOL_API_NOREPORT)) {
        tool_error("%s", ctx->api->last.message);
    }
    if (payload) {
        OPENSSL_cleanse(payload, strlen(payload));
        free(payload);
    }
    tool_buf_free(&url);
    tool_buf_free(&reply.body);
    tool_answer_free(&reply.answer);
    return rc;
}

int tool_api_call(tool_ctx *ctx, tool_method method, const char *path,
                  const json_t *body, unsigned flags, json_t **result)
{
    tool_api_error *e = &ctx->api->last;
    tool_answer answer;
    json_t *res = NULL;
    int rc;

    if (result) {
        *result = NULL;
    }
    rc = tool_api_exchange(ctx, method, path, body, flags, &answer);
    if (rc != TOOL_EXIT_OK || !answer.root) {
        return rc; /* a failure, --dry-run, or a repeated DELETE: no result */
    }
    if (tool_answer_result(&answer, tool_method_names[method], path, flags,
                           &res)
        != TOOL_FAILED_NOTHING) {
        snprintf(e->message, sizeof(e->message), "%s", answer.message);
        e->exit_code = rc = tool_exit_code(answer.failure);
        if (!(flags & TOOL_API_NOREPORT)) {
            tool_error("%s", e->message);
        }
    }
    if (rc == TOOL_EXIT_OK && result && res) {
        *result = json_incref(res);
    }
    tool_answer_free(&answer);
    return rc;
}

int tool_api_callf(tool_ctx *ctx, tool_method method, const json_t *body,
                   unsigned flags, json_t **result, const char *fmt, ...)
{
    tool_buf path = TOOL_BUF_INIT;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    tool_buf_vprintf(&path, fmt, ap);
    va_end(ap);
    if (!tool_buf_str(&path)) {
        tool_error("out of memory");
        if (result) {
            *result = NULL;
        }
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    rc = tool_api_call(ctx, method, tool_buf_str(&path), body, flags, result);
    tool_buf_free(&path);
    return rc;
}

/* Longest list read: a runaway total_pages cannot loop forever. */
#define TOOL_API_MAX_PAGES 1000

/* Appends page `page` of the list at `path` to `all`; *pages gets the
 * answer's total_pages (0 when it has none or the page was empty). */
static int tool_api_get_page(tool_ctx *ctx, const char *path, long page,
                             unsigned flags, json_t *all, long *pages)
{
    tool_buf page_path = TOOL_BUF_INIT;
    tool_answer answer;
    json_t *res;
    int rc;

    *pages = 0;
    if (page == 1) {
        tool_buf_printf(&page_path, "%s", path);
    }
    else {
        tool_buf_printf(&page_path, "%s%cpage=%ld", path,
                        strchr(path, '?') ? '&' : '?', page);
    }
    if (!tool_buf_str(&page_path)) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    rc = tool_api_exchange(ctx, TOOL_GET, tool_buf_str(&page_path), NULL, flags,
                           &answer);
    if (rc == TOOL_EXIT_OK
        && tool_answer_result(&answer, "GET", tool_buf_str(&page_path),
                              TOOL_WANT_ARRAY, &res)
               != TOOL_FAILED_NOTHING) {
        tool_error("%s", answer.message);
        rc = tool_exit_code(answer.failure);
    }
    if (rc == TOOL_EXIT_OK) {
        json_array_extend(all, res);
        *pages =
            json_array_size(res) > 0 ? tool_answer_total_pages(&answer) : 0;
    }
    tool_answer_free(&answer);
    tool_buf_free(&page_path);
    return rc;
}

int tool_api_get_list(tool_ctx *ctx, unsigned flags, json_t **list,
                      const char *fmt, ...)
{
    tool_buf path = TOOL_BUF_INIT;
    json_t *all = json_array();
    long page, pages;
    va_list ap;
    int rc = TOOL_EXIT_OK;

    *list = NULL;
    va_start(ap, fmt);
    tool_buf_vprintf(&path, fmt, ap);
    va_end(ap);
    if (!all || !tool_buf_str(&path)) {
        tool_error("out of memory");
        rc = tool_exit_code(TOOL_FAILED_MEMORY);
    }
    for (page = 1; rc == TOOL_EXIT_OK; page++) {
        rc = tool_api_get_page(ctx, tool_buf_str(&path), page, flags, all,
                               &pages);
        if (rc != TOOL_EXIT_OK || pages <= page) {
            break;
        }
        if (page >= TOOL_API_MAX_PAGES) {
            tool_error("GET %s: more than %d pages; giving up",
                       tool_buf_str(&path), TOOL_API_MAX_PAGES);
            rc = tool_exit_code(TOOL_FAILED_MALFORMED);
        }
    }
    if (rc == TOOL_EXIT_OK) {
        *list = all;
        all = NULL;
    }
    json_decref(all);
    tool_buf_free(&path);
    return rc;
}
