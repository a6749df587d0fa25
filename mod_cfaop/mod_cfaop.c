/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * mod_cfaop: lock an origin to Cloudflare's Authenticated Origin Pulls.
 * This file only registers hooks: cfaop_config.c (directives, configtest),
 * cfaop_ssl.c (inside mod_ssl), cfaop_conn.c (the connection's certificate),
 * cfaop_request.c (the decision per request), cfaop_edge.c (headers only
 * the edge may set), cfaop_doc.c (the policy as data), cfaop_status.c
 * (counters and the cfaop-status handler).
 */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_optional_hooks.h"
#include "mod_ssl_openssl.h"

#include "cfaop_config.h"
#include "cfaop_doc.h"
#include "cfaop_request.h"
#include "cfaop_ssl.h"
#include "cfaop_status.h"

static void cfaop_register_hooks(apr_pool_t *p)
{
    /* mod_ssl's own post_read_request (SNI/Host 421, 400) answers first;
     * its access check (renegotiation, verify result reset) runs before
     * ours; init_server has run for every vhost when our post_config
     * looks. */
    static const char *const after_ssl[] = { "mod_ssl.c", NULL };
    /* mod_remoteip may take the address from another header first; ours,
     * from a verified edge only, has the last word. */
    static const char *const after_ssl_remoteip[] = { "mod_ssl.c", "mod_remoteip.c", NULL };

    (void)p;
    ap_hook_check_config(cfaop_config_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(cfaop_doc_dump, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(cfaop_ssl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(cfaop_config_post, after_ssl, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(cfaop_status_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, cfaop_ssl_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, cfaop_ssl_pre_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
    ap_hook_post_read_request(cfaop_request_check, after_ssl_remoteip, NULL,
                              APR_HOOK_FIRST);
    ap_hook_check_access(cfaop_request_access, after_ssl, NULL,
                         APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_URI);
    ap_hook_fixups(cfaop_request_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(cfaop_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(cfaop) = {
    STANDARD20_MODULE_STUFF,
    NULL,                      /* per-directory config: none, vhost-level only */
    NULL,
    cfaop_config_create_srv,
    cfaop_config_merge_srv,
    cfaop_config_cmds,
    cfaop_register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE /* every vhost gets its own runtime state */
};
