/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_status: what the running server accepts and refuses. Counters per
 * enabled vhost and scope (accepted, rejected by reason, reported in report
 * mode) live in shared memory made before the children fork, so that every
 * process adds to the same ones; a graceful restart starts them afresh with
 * the new configuration. `SetHandler cfaop-status` serves them inside the
 * policy document (cfaop_doc.c), or in the Prometheus text format with
 * ?format=prometheus, together with the expiry of every anchor and pinned
 * certificate.
 */
#ifndef CFAOP_STATUS_H
#define CFAOP_STATUS_H

#include "httpd.h"

#include "cfaop_config.h"

/* Counts one decision; `reason` NULL for an accepted request. */
void cfaop_status_count(const cfaop_srv_conf *sc, int hostname_scope, int report,
                        const char *reason);

/* post_config: numbers the enabled vhosts and makes the counters. */
int cfaop_status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s);

/* The cfaop-status handler. */
int cfaop_status_handler(request_rec *r);

#endif /* CFAOP_STATUS_H */
