/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_settings: the zone settings AOP depends on: the SSL/TLS mode,
 * global AOP (tls_client_auth) and zone-level enablement.
 */
#ifndef TOOL_SETTINGS_H
#define TOOL_SETTINGS_H

#include <stddef.h>

#include "tool.h"

/* GET /zones/ID/settings/NAME -> its "value" (ssl, tls_client_auth). */
int tool_setting_get(tool_ctx *ctx, const char *name, char *value, size_t len);
/* PATCH /zones/ID/settings/NAME to `value`; *now gets what the API says
 * the value is afterwards (`value` with --dry-run), malloc'ed. */
int tool_setting_set(tool_ctx *ctx, const char *name, const char *value,
                     char **now);
/* GET /zones/ID/origin_tls_client_auth/settings -> enabled. */
int tool_zone_aop_get(tool_ctx *ctx, int *enabled);
/* PUT of the same. */
int tool_zone_aop_set(tool_ctx *ctx, int enabled);

/* 1 for a known SSL/TLS mode, and for one in which AOP applies (full,
 * strict, origin_pull). */
int tool_ssl_mode_known(const char *mode);
int tool_ssl_mode_ok(const char *mode);
/* Warns that AOP does not apply in `mode`, when it does not. */
void tool_ssl_mode_warn(tool_ctx *ctx, const char *mode);
/* Reads the SSL/TLS mode and warns when AOP cannot work in it. */
int tool_ssl_mode_check(tool_ctx *ctx);

#endif /* TOOL_SETTINGS_H */
