/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_http: the tool's HTTPS requests that do not go to the API: an
 * origin's cfaop-status document, and the probe's pulls. No credential
 * ever travels here. The server's certificate is always verified: with
 * the tool's one trust (system CAs + --cacert) and Cloudflare's Origin CA
 * roots, which Cloudflare's edge trusts for origins too.
 */
#ifndef TOOL_HTTP_H
#define TOOL_HTTP_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tool.h"
#include "tool_buf.h"

typedef struct tool_http_req {
    const char *url;
    /* "HOST:PORT:ADDR:PORT": connect to ADDR while SNI and Host stay HOST,
     * as Cloudflare's edge does; NULL to connect to the URL's host. */
    const char *connect_to;
    X509 *client_cert; /* presented when not NULL (not owned) */
    STACK_OF(X509) * client_chain;
    EVP_PKEY *client_key;
    size_t max_body;
} tool_http_req;

typedef struct tool_http_resp {
    long status;         /* 0: no HTTP answer */
    int transport;       /* the CURLcode, 0 when an answer came */
    int tls_refused;     /* the TLS handshake or the first read failed after
                            the server's certificate was accepted */
    int peer_unverified; /* the server's certificate did not verify */
    tool_buf body;
    char error[256]; /* libcurl's message when there was no answer */
} tool_http_resp;

/* One GET on a fresh connection (no TLS session or connection reuse, so one
 * request's client certificate never carries over to the next). Returns 0
 * when an HTTP answer came, -1 otherwise (resp says why). */
int tool_http_get(tool_ctx *ctx, const tool_http_req *req,
                  tool_http_resp *resp);
void tool_http_resp_free(tool_http_resp *resp);

#endif /* TOOL_HTTP_H */
