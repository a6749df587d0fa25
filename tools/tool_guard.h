/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_guard: before a command changes what Cloudflare presents to
 * origins, the state after the change is judged with the origins' policies
 * (--origin-policy SOURCE..., or CFAOP_ORIGIN_POLICY): when an origin would
 * refuse a protected hostname whose presentation the change alters, the
 * command stops before any write, with the per-hostname table; --force goes
 * ahead with a warning; --dry-run shows the verdict.
 */
#ifndef TOOL_GUARD_H
#define TOOL_GUARD_H

#include "tool.h"

/* Runs the command's guard when it has one and policies are given. */
int tool_guard_run(tool_ctx *ctx);

#endif /* TOOL_GUARD_H */
