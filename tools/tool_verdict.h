/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_verdict: the edge and the origins checked against each other, one
 * row per hostname and origin: what the edge presents, whether the origin
 * accepts it. Shared by check-origin and the guards of the commands that
 * change what the edge presents.
 */
#ifndef TOOL_VERDICT_H
#define TOOL_VERDICT_H

#include <jansson.h>

#include "tool.h"
#include "tool_buf.h"
#include "tool_edge.h"
#include "tool_origin.h"

typedef struct tool_verdict {
    tool_origins origins;
    tool_served *served;
    size_t nserved;
    json_t *skipped;    /* wildcard names, not judged */
    const char **hosts; /* every served hostname once, for tool_edge_load */
    size_t nhosts;
    const char *zone; /* the zone's name */
} tool_verdict;

/* Reads the origins' documents and lists the zone's hostnames they serve. */
int tool_verdict_prepare(tool_ctx *ctx, const tool_strlist *sources,
                         tool_verdict *v);
void tool_verdict_free(tool_verdict *v);

/*
 * The rows for the state `after` (with `before`: the state before a change,
 * each row then says whether the change alters what the edge presents).
 * *refused counts the protected hostnames an origin would refuse, *blocking
 * those of them whose presentation the change alters. Warnings (report
 * mode, open hostnames, unknowns, disagreeing origins) are issued here.
 */
json_t *tool_verdict_rows(tool_ctx *ctx, const tool_verdict *v,
                          const tool_edge *before, const tool_edge *after,
                          int *refused, int *blocking);
/* The rows as text: on stdout, or on stderr (to_stderr). */
void tool_verdict_print(tool_ctx *ctx, const json_t *rows, int to_stderr);
/* "HOST (origin ORIGIN: REASON); ..." of the refused rows (those whose
 * presentation changes, with blocking_only), appended to OUT. */
const char *tool_verdict_refused(const json_t *rows, int blocking_only,
                                 tool_buf *out);

#endif /* TOOL_VERDICT_H */
