/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_creds: where the API credentials come from, by precedence:
 * --token-file, CLOUDFLARE_API_TOKEN, CF_API_TOKEN; or the legacy
 * CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL (also CF_API_KEY + CF_API_EMAIL).
 * Never from the command line.
 */
#ifndef TOOL_CREDS_H
#define TOOL_CREDS_H

#include "tool.h"
#include "tool_api.h"

/* Fills *cred (the caller wipes it), or prints why not and returns the
 * exit code. The secrets are registered for redaction in every output. */
int tool_credentials_load(tool_ctx *ctx, tool_credentials *cred);
void tool_credentials_free(tool_credentials *cred);

#endif /* TOOL_CREDS_H */
