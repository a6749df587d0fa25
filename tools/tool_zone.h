/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* tool_zone: from -z NAME|ID to the zone id every path needs. */
#ifndef TOOL_ZONE_H
#define TOOL_ZONE_H

#include "tool.h"

/* TOOL_EXIT_USAGE (after an error) unless s is a zone id or name. */
int tool_zone_check_arg(const char *s);
/* Resolves ctx->cfg.zone_arg to ctx->zone_id (GET /zones?name= for a name). */
int tool_zone_resolve(tool_ctx *ctx);
/* The zone's account id (from the lookup by name, else GET /zones/ID). */
int tool_zone_account(tool_ctx *ctx, const char **account);
/* The zone's name (known from a lookup by name, else GET /zones/ID). */
int tool_zone_name(tool_ctx *ctx, const char **name);

#endif /* TOOL_ZONE_H */
