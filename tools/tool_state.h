/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_state: what cfaop keeps on the local disk between runs, in one
 * directory of the user's ($CFAOP_STATE_DIR, else $XDG_STATE_HOME/cfaop,
 * else ~/.local/state/cfaop): a lock per zone, so that two rotations of a
 * zone never run at once, and the journal of a rotation, so that a rerun
 * after an interruption knows which old certificates are left to delete.
 * Nothing secret is ever written there.
 */
#ifndef TOOL_STATE_H
#define TOOL_STATE_H

#include <jansson.h>

#include "tool.h"

/*
 * Takes the zone's rotation lock (an flock, released by the kernel when
 * the process ends, however it ends). TOOL_EXIT_FAIL, after an error that
 * names the other process, when another cfaop holds it. When the state
 * directory cannot be used, warns and goes on without a lock (*fd -1).
 */
int tool_state_lock_zone(tool_ctx *ctx, int *fd);
void tool_state_unlock(int fd);

/* The journal NAME (a file name without directory): NULL when there is
 * none or it cannot be read (with a warning for the latter). */
json_t *tool_state_journal_load(tool_ctx *ctx, const char *name);
/* Replaces the journal atomically; warns and returns -1 on failure. */
int tool_state_journal_save(tool_ctx *ctx, const char *name, const json_t *doc);
void tool_state_journal_remove(tool_ctx *ctx, const char *name);

#endif /* TOOL_STATE_H */
