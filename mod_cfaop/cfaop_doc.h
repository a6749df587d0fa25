/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_doc: the origin's policy as data, the document "cfaop-policy/1"
 * (docs/policy-format.md): every enabled vhost with its zone and hostname
 * policies, each policy once with its anchors and pins, the certificates
 * behind them, and the vhosts without the engine. `apache2 -t -D
 * DUMP_CFAOP` and the status handler both write it with cfaop_doc_write.
 */
#ifndef CFAOP_DOC_H
#define CFAOP_DOC_H

#include "httpd.h"

#include "cfaop_json.h"

#define CFAOP_DOC_FORMAT "cfaop-policy/1"

/* Adds members of the running server to a vhost's entry (the handler's
 * counters); NULL for the configuration on disk. */
typedef void cfaop_doc_vhost_fn(cfaop_json *j, server_rec *s, void *baton);

/* Writes the document for the servers from `main_server` on; `source` says
 * what it describes ("configuration" or "running"). */
apr_status_t cfaop_doc_write(cfaop_json *j, apr_pool_t *p, server_rec *main_server,
                             const char *source, cfaop_doc_vhost_fn *vhost_fn,
                             void *baton);

/* test_config: with -D DUMP_CFAOP, the document on stdout. */
void cfaop_doc_dump(apr_pool_t *pconf, server_rec *s);

#endif /* CFAOP_DOC_H */
