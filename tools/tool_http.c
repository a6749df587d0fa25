/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "aop_cert.h"
#include "tool_api.h"
#include "tool_http.h"

typedef struct tool_http_xfer {
    tool_ctx *ctx;
    const tool_http_req *req;
    tool_http_resp *resp;
} tool_http_xfer;

static size_t tool_http_write_cb(char *data, size_t size, size_t n, void *userp)
{
    tool_http_xfer *x = userp;
    size_t add = size * n;

    if (x->resp->body.len + add > x->req->max_body) {
        return 0; /* aborts the transfer */
    }
    return tool_buf_add(&x->resp->body, data, add) == 0 ? add : 0;
}

/* Origins often hold a Cloudflare Origin CA certificate, which no system
 * store trusts but Cloudflare's edge does in Full (strict) mode. */
static void tool_http_trust_origin_ca(SSL_CTX *sc)
{
    X509_STORE *store = SSL_CTX_get_cert_store(sc);
    STACK_OF(X509) *roots = NULL;
    int i;

    if (aop_pem_load_mem(aop_cloudflare_origin_ca_pem,
                         strlen(aop_cloudflare_origin_ca_pem),
                         "Cloudflare Origin CA roots", &roots, NULL)
        == 0) {
        for (i = 0; i < sk_X509_num(roots); i++) {
            X509_STORE_add_cert(store, sk_X509_value(roots, i));
        }
        aop_certs_free(roots);
    }
    ERR_clear_error(); /* a duplicate is not an error */
}

/* The tool's trust plus the Origin CA roots, and the client certificate
 * (from memory: a throwaway key never touches a file). */
static CURLcode tool_http_sslctx_cb(CURL *curl TOOL_UNUSED, void *sslctx,
                                    void *userp)
{
    tool_http_xfer *x = userp;
    SSL_CTX *sc = sslctx;
    int i;

    tool_api_trust_add(x->ctx, sc);
    tool_http_trust_origin_ca(sc);
    if (!x->req->client_cert) {
        return CURLE_OK;
    }
    if (SSL_CTX_use_certificate(sc, x->req->client_cert) != 1
        || SSL_CTX_use_PrivateKey(sc, x->req->client_key) != 1) {
        ERR_clear_error();
        return CURLE_SSL_CERTPROBLEM;
    }
    for (i = 0; i < sk_X509_num(x->req->client_chain); i++) {
        SSL_CTX_add1_chain_cert(sc, sk_X509_value(x->req->client_chain, i));
    }
    ERR_clear_error();
    return CURLE_OK;
}

static void tool_http_setopt(tool_ctx *ctx, CURL *c, tool_http_xfer *x,
                             struct curl_slist **resolve, char *errbuf)
{
    tool_api_setopt_transport(ctx, c, x->req->url, errbuf);
    curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tool_http_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, tool_http_sslctx_cb);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, x);
    if (x->req->connect_to) {
        *resolve = curl_slist_append(NULL, x->req->connect_to);
        curl_easy_setopt(c, CURLOPT_CONNECT_TO, *resolve);
    }
}

int tool_http_get(tool_ctx *ctx, const tool_http_req *req, tool_http_resp *resp)
{
    tool_http_xfer x = {ctx, req, resp};
    struct curl_slist *connect_to = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode code;
    CURL *c;

    memset(resp, 0, sizeof(*resp));
    if (!tool_api_backend_is_openssl()) {
        snprintf(resp->error, sizeof(resp->error),
                 "libcurl's TLS backend is not OpenSSL");
        resp->transport = CURLE_NOT_BUILT_IN;
        return -1;
    }
    if (!(c = curl_easy_init())) {
        snprintf(resp->error, sizeof(resp->error), "out of memory");
        resp->transport = CURLE_OUT_OF_MEMORY;
        return -1;
    }
    tool_http_setopt(ctx, c, &x, &connect_to, errbuf);
    code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->transport = (int)code;
    if (code != CURLE_OK) {
        resp->status = 0;
        resp->peer_unverified = code == CURLE_PEER_FAILED_VERIFICATION;
        /* A refusal at the TLS layer (a handshake alert, or TLS 1.3's
         * "certificate required" on the first read), not a network fault. */
        resp->tls_refused =
            code == CURLE_SSL_CONNECT_ERROR || code == CURLE_RECV_ERROR
            || code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING;
        snprintf(resp->error, sizeof(resp->error), "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(code));
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(connect_to);
    return code == CURLE_OK ? 0 : -1;
}

void tool_http_resp_free(tool_http_resp *resp)
{
    tool_buf_free(&resp->body);
}
