/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_request: the per-request decision. Every initial request to an
 * enabled vhost is judged against the policy of that vhost and of its
 * hostname; internal redirects reuse the decision of their original request.
 */
#ifndef CFAOP_REQUEST_H
#define CFAOP_REQUEST_H

#include "httpd.h"

/* post_read_request hook, ordered after mod_ssl's own checks. */
int cfaop_request_check(request_rec *r);

#endif /* CFAOP_REQUEST_H */
