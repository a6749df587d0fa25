/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * Helpers shared between command families (settings reads that several
 * commands and status need).
 */
#ifndef TOOL_CMDS_H
#define TOOL_CMDS_H

#include <stddef.h>

#include <jansson.h>

#include "tool.h"
#include "tool_local.h"

/* GET /zones/ID/settings/NAME -> its "value" (e.g. ssl, tls_client_auth). */
int tool_setting_get(tool_ctx *ctx, const char *name, char *value, size_t len);
/* GET /zones/ID/origin_tls_client_auth/settings -> enabled. */
int tool_zone_aop_get(tool_ctx *ctx, int *enabled);
/* 1 for an SSL/TLS mode in which AOP applies (full, strict, origin_pull). */
int tool_ssl_mode_ok(const char *mode);
/* Reads the SSL/TLS mode and warns when AOP cannot work in it. */
int tool_ssl_mode_check(tool_ctx *ctx, char *mode, size_t len);
/* Warns that AOP does not apply in `mode`, when it does not. */
void tool_ssl_mode_warn(tool_ctx *ctx, const char *mode);

/* Commands that zone and hostname certificates share (tool_cmd_zone.c). */
int tool_upload(tool_ctx *ctx, tool_cert_kind kind);
int tool_list(tool_ctx *ctx, tool_cert_kind kind);
int tool_show(tool_ctx *ctx, tool_cert_kind kind, const char *id);
int tool_delete_cert(tool_ctx *ctx, tool_cert_kind kind, const char *id, unsigned flags);
/* What `zone delete` and `hostname delete-cert` do once allowed: delete,
 * then print the id (and the --json result). */
int tool_delete_cert_command(tool_ctx *ctx, tool_cert_kind kind, const char *id);

/* Hostname associations (tool_cmd_hostname.c). */
/* Normalises HOST arguments in place (lowercase, no trailing dot, an
 * optional leading "*."); a usage error for anything else. */
int tool_hosts_normalize(int argc, char **argv);
/* GET .../hostnames/HOST: TOOL_EXIT_NOTFOUND (not reported) when HOST has
 * no association, with *assoc NULL. */
int tool_assoc_get(tool_ctx *ctx, const char *host, json_t **assoc);
/* An association for display/JSON, with sha256 and days_left of its
 * certificate computed locally (new reference). */
json_t *tool_assoc_view(const char *host, const json_t *raw);
/* Prints one association line (human output). */
void tool_assoc_print(tool_ctx *ctx, const json_t *view);

#endif /* TOOL_CMDS_H */
