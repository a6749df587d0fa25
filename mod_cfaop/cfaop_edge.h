/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_edge: headers that only Cloudflare's edge may set. They are
 * believed on a request whose client certificate passed the policy, and
 * removed from every other request before any handler, CGI or module after
 * us can read them: CFAOPRemoteIPHeader (the client address, as %a,
 * REMOTE_ADDR and Require ip see it) and CFAOPEdgeHeaders.
 */
#ifndef CFAOP_EDGE_H
#define CFAOP_EDGE_H

#include "httpd.h"

#include "cfaop_config.h"

/* Applies the vhost's edge headers to r; `passed`: r's certificate passed. */
void cfaop_edge_apply(request_rec *r, cfaop_srv_conf *sc, int passed);

#endif /* CFAOP_EDGE_H */
