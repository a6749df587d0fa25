/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_request: the per-request decision. Every initial request to an
 * enabled vhost is judged against the policy of that vhost and of its
 * hostname; internal redirects and subrequests keep the decision of the
 * request they come from, unless the connection's certificate changed.
 */
#ifndef CFAOP_REQUEST_H
#define CFAOP_REQUEST_H

#include "httpd.h"

/* post_read_request, after mod_ssl's own checks: the decision. */
int cfaop_request_check(request_rec *r);
/* check_access, after mod_ssl's: a certificate mod_ssl asked for again is
 * judged again; the verify result mod_ssl reports is renewed. */
int cfaop_request_access(request_rec *r);
/* fixups: a refusal made in the access phase holds. */
int cfaop_request_fixups(request_rec *r);

#endif /* CFAOP_REQUEST_H */
