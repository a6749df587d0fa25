/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <arpa/inet.h>
#include <string.h>

#include "apr_network_io.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "cfaop_edge.h"
#include "cfaop_private.h"

/* Why `value` is no single numeric IP address, NULL when it is one; then
 * `family` is APR_INET or APR_INET6. */
static const char *cfaop_edge_bad_address(const char *value, int *family)
{
    unsigned char buf[sizeof(struct in6_addr)];

    if (!*value) {
        return "empty";
    }
    if (strchr(value, ',')) {
        return "several addresses";
    }
    if (inet_pton(AF_INET, value, buf) == 1) {
        *family = APR_INET;
    }
    else if (inet_pton(AF_INET6, value, buf) == 1) {
        *family = APR_INET6;
    }
    else {
        return "not a numeric IPv4 or IPv6 address";
    }
    return NULL;
}

/* Takes the client address from the header Cloudflare's edge set. Only a
 * numeric address is parsed, so no name is ever looked up. */
static void cfaop_edge_remote_ip(request_rec *r, cfaop_srv_conf *sc)
{
    const char *value = NULL, *why;
    apr_sockaddr_t *addr;
    int count = 0, family = APR_UNSPEC;
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i;

    for (i = 0; i < h->nelts; i++) {
        if (e[i].key && !strcasecmp(e[i].key, sc->remote_ip_header)) {
            value = e[i].val;
            count++;
        }
    }
    if (!value) {
        return;
    }
    why = count > 1 ? "several addresses" : cfaop_edge_bad_address(value, &family);
    /* The family is known: with APR_UNSPEC, getaddrinfo's AI_ADDRCONFIG
     * would list the machine's interfaces over netlink on every request. */
    if (!why && apr_sockaddr_info_get(&addr, value, family,
                                      r->useragent_addr ? r->useragent_addr->port : 0,
                                      0, r->pool) != APR_SUCCESS) {
        why = "cannot be parsed";
    }
    if (why) {
        /* Said once per process and vhost: a client can repeat it at will. */
        if (!sc->remote_ip_warned) {
            sc->remote_ip_warned = 1;
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CFAOP_LOGNO(00020)
                          "%s from a verified edge is ignored (%s): '%s'; the "
                          "client address stays the connection's (not said "
                          "again for this virtual host)", sc->remote_ip_header,
                          why, value);
        }
        return;
    }
    r->useragent_addr = addr;
    r->useragent_ip = apr_pstrdup(r->pool, value);
    apr_table_setn(r->notes, "cfaop-remote-ip", "1");
}

void cfaop_edge_apply(request_rec *r, cfaop_srv_conf *sc, int passed)
{
    int i;

    if (passed && sc->remote_ip_header) {
        cfaop_edge_remote_ip(r, sc);
    }
    if (passed) {
        return;
    }
    if (sc->remote_ip_header) {
        /* Judged again and refused (mod_ssl renegotiated): the address
         * taken from the header no longer holds. Only a vhost with the
         * header takes an address from it. */
        if (apr_table_get(r->notes, "cfaop-remote-ip")) {
            r->useragent_addr = r->connection->client_addr;
            r->useragent_ip = r->connection->client_ip;
            apr_table_unset(r->notes, "cfaop-remote-ip");
        }
        /* apr_table_unset removes every occurrence, whatever the case. */
        apr_table_unset(r->headers_in, sc->remote_ip_header);
    }
    for (i = 0; sc->edge_headers && i < sc->edge_headers->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(sc->edge_headers, i, const char *));
    }
}
