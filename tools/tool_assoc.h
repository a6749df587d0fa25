/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_assoc: hostname associations (which hostname certificate Cloudflare
 * presents to a hostname, and whether it is enabled), for the hostname and
 * status commands.
 */
#ifndef TOOL_ASSOC_H
#define TOOL_ASSOC_H

#include <jansson.h>

#include "tool.h"

/* Normalises HOST arguments in place (lowercase, no trailing dot, an
 * optional leading "*."); a usage error for anything else. */
int tool_hosts_normalize(int argc, char **argv);

/* GET .../hostnames/HOST: TOOL_EXIT_NOTFOUND (not reported) when HOST has
 * no association, with *assoc NULL. */
int tool_assoc_get(tool_ctx *ctx, const char *host, json_t **assoc);

/*
 * One PUT of the hostnames endpoint. Every item carries hostname, cert_id
 * and enabled: the API wants cert_id even to disable or void. `enabled` is
 * json_true(), json_false() or json_null() (void), or an array with one of
 * these per host. `cert_ids` gives one id per host, or `cert_id` one for
 * all. *result gets the API's list of associations.
 */
int tool_assoc_put(tool_ctx *ctx, int argc, char **argv, const char *cert_id,
                   json_t *cert_ids, json_t *enabled, json_t **result);
/* Prints a PUT's answer per hostname, with the certificate's CN and
 * expiry, and sets it as the --json result. `cert` (a certificate view, or
 * NULL) names the certificate where the answer does not (--dry-run). */
void tool_assoc_report_put(tool_ctx *ctx, int argc, char **argv,
                           const char *cert_id, const json_t *cert,
                           json_t *enabled, json_t *result);

/* Waits until HOST's association is active on certificate CERT_ID. */
int tool_assoc_wait_active(tool_ctx *ctx, const char *host, const char *cert_id,
                           double deadline);

/* An association for display/JSON, with sha256 and days_left of its
 * certificate computed locally (new reference); raw NULL: none. */
json_t *tool_assoc_view(const char *host, const json_t *raw);
/* Prints one association line (human output). */
void tool_assoc_print(tool_ctx *ctx, const json_t *view);

#endif /* TOOL_ASSOC_H */
