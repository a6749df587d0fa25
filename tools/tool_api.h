/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_api: the one client of the Cloudflare v4 API. It owns HTTP (libcurl),
 * the credentials and their headers, pacing under the API rate limit,
 * Retry-After on 429, retries of idempotent calls, and --dry-run for calls
 * that change something; tool_answer judges what comes back.
 * No other file talks to the API or sees the credentials (tool_http makes
 * the tool's other HTTPS requests, to origins, with the same trust).
 */
#ifndef TOOL_API_H
#define TOOL_API_H

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "tool.h"
#include "tool_answer.h"
#include "tool_buf.h"

typedef enum tool_method {
    TOOL_GET = 0,
    TOOL_POST,
    TOOL_PUT,
    TOOL_PATCH,
    TOOL_DELETE
} tool_method;

/* What went wrong with the last call. */
typedef struct tool_api_error {
    long http_status;    /* 0: no HTTP response at all */
    int code;            /* first API error code, 0 when none */
    int exit_code;       /* TOOL_EXIT_* for this failure */
    int unknown_outcome; /* a POST that may or may not have taken effect */
    char message[1024];  /* "API error 1415: ..." or a transport error */
} tool_api_error;

/* The credentials; the API layer takes ownership and wipes them at the end. */
typedef struct tool_credentials {
    char *token;
    char *key;
    char *email;
} tool_credentials;

/* Flags of tool_api_call: TOOL_WANT_ARRAY / TOOL_WANT_OBJECT (the result
 * must have that shape: null or another shape is a malformed answer, never
 * taken for an empty one), and: */
#define TOOL_API_NOREPORT \
    (1u << 0) /* the caller reports (or tolerates) errors */

int tool_api_init(tool_ctx *ctx, tool_credentials *cred);
void tool_api_free(tool_ctx *ctx);

/*
 * Makes one API call (with the retries the method allows). `path` is
 * relative to the API base ("/zones/ID/..."), `body` is sent as JSON when not
 * NULL. Returns TOOL_EXIT_OK and, when `result` is not NULL, a new reference
 * to the envelope's result (NULL when it is null or with --dry-run); or an
 * exit code, after printing "cfaop: error: ..." unless TOOL_API_NOREPORT.
 * With --dry-run, every method but GET is printed and not sent.
 */
int tool_api_call(tool_ctx *ctx, tool_method method, const char *path,
                  const json_t *body, unsigned flags, json_t **result);
/* The same with the path formatted from FMT. */
int tool_api_callf(tool_ctx *ctx, tool_method method, const json_t *body,
                   unsigned flags, json_t **result, const char *fmt, ...)
    TOOL_BUF_PRINTF(6, 7);

/*
 * GET of a list, read to the end: while the answer's result_info says
 * there are more pages (total_pages), the next page is fetched and its
 * items appended. *list gets a new array.
 */
int tool_api_get_list(tool_ctx *ctx, unsigned flags, json_t **list,
                      const char *fmt, ...) TOOL_BUF_PRINTF(4, 5);

/* The last call's failure, and printing it (for TOOL_API_NOREPORT callers). */
const tool_api_error *tool_api_last_error(const tool_ctx *ctx);
int tool_api_report(tool_ctx *ctx);

/* Before repeating a non-idempotent call by hand (an upload whose outcome
 * was checked): sleeps the backoff of retry `attempt` (0-based) and returns
 * 0, or returns -1 when the retry budget is spent. */
int tool_api_retry_wait(tool_ctx *ctx, int attempt);

/* The trust of every TLS connection the tool makes: --cacert's
 * certificates added to an SSL_CTX whose store holds the system's CAs
 * (connections to origins also trust the Origin CA roots: tool_http.c). */
void tool_api_trust_add(const tool_ctx *ctx, SSL_CTX *sslctx);
/* The transport every request of the tool has: HTTPS only, no redirects,
 * the server always verified, the --timeout, libcurl's message in errbuf. */
void tool_api_setopt_transport(const tool_ctx *ctx, CURL *c, const char *url,
                               char *errbuf);
/* 1 when libcurl's TLS backend is OpenSSL (its SSL_CTX can be handed over). */
int tool_api_backend_is_openssl(void);

/* 1 when the credentials are a legacy global API key. */
int tool_api_uses_key(const tool_ctx *ctx);

#endif /* TOOL_API_H */
