/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_buf.h"
#include "tool_out.h"
#include "tool_verdict.h"
#include "tool_zone.h"

int tool_verdict_prepare(tool_ctx *ctx, const tool_strlist *sources,
                         tool_verdict *v)
{
    size_t i, k;
    int rc;

    memset(v, 0, sizeof(*v));
    v->skipped = json_array();
    rc = tool_origins_load(ctx, sources, &v->origins);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_name(ctx, &v->zone);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_origins_served(&v->origins, v->zone, v->skipped, &v->served,
                                 &v->nserved);
    }
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    v->hosts = calloc(v->nserved + 1, sizeof(*v->hosts));
    if (!v->hosts || !v->skipped) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    for (i = 0; i < v->nserved; i++) {
        const char *h = v->served[i].host;

        for (k = 0; k < v->nhosts && strcmp(v->hosts[k], h) != 0; k++) {
        }
        if (k == v->nhosts) {
            v->hosts[v->nhosts++] = h;
        }
    }
    return TOOL_EXIT_OK;
}

void tool_verdict_free(tool_verdict *v)
{
    tool_origins_free(&v->origins);
    free(v->served);
    free(v->hosts);
    json_decref(v->skipped);
    memset(v, 0, sizeof(*v));
}

/* What the edge presents, for the row: level, id, and the CN, expiry and
 * SHA-256 of the leaf (read here, never taken from the API). */
static json_t *tool_verdict_edge(const tool_presented *p, time_t now)
{
    json_t *edge =
        json_pack("{s:s, s:s?, s:s}", "level", tool_level_name(p->level),
                  "cert_id", p->cert_id, "why", p->why);
    tool_cert_facts facts;

    if (edge && tool_pem_facts(p->pem, now, &facts) == 0) {
        tool_cert_facts_json(&facts, edge);
    }
    return edge;
}

static const char *tool_accept_name(tool_accept a)
{
    return a == TOOL_ACCEPT_YES  ? "yes"
           : a == TOOL_ACCEPT_NO ? "no"
                                 : "unknown";
}

static json_t *tool_verdict_row(tool_ctx *ctx, const tool_verdict *v,
                                const tool_served *s, const tool_edge *before,
                                const tool_edge *after, time_t now)
{
    const char *origin = v->origins.v[s->origin].label;
    tool_presented now_p, was_p;
    tool_accept acc = TOOL_ACCEPT_YES;
    char why[512] = "";
    json_t *row;
    int changed = 0;

    tool_edge_presents(after, s->host, &now_p);
    if (before) {
        tool_edge_presents(before, s->host, &was_p);
        changed = !tool_presented_same(&was_p, &now_p);
    }
    if (s->policy) {
        acc = tool_policy_judge(s->policy, now_p.level, now_p.pem, now, why,
                                sizeof(why));
    }
    row = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:b}", "hostname",
        s->host, "origin", origin, "vhost", tool_json_show(s->vhost, "name"),
        "mode", s->policy ? (s->report ? "report" : "enforce") : "open",
        "scope", s->hostname_scope ? "hostname" : "zone", "edge",
        tool_verdict_edge(&now_p, now), "accepts",
        s->policy ? tool_accept_name(acc) : "open", "reason", why, "refused",
        s->policy && !s->report && acc == TOOL_ACCEPT_NO, "changed", changed);
    if (!s->policy) {
        tool_warn(ctx,
                  "%s: origin %s serves it without the engine (CFAOPEngine "
                  "off): anyone who reaches the origin is served",
                  s->host, origin);
    }
    else if (s->report && acc != TOOL_ACCEPT_YES) {
        tool_warn(ctx,
                  "%s: origin %s is in report mode: it would refuse what the "
                  "edge presents (%s) and serves it anyway",
                  s->host, origin, why);
    }
    else if (acc == TOOL_ACCEPT_UNKNOWN) {
        tool_warn(ctx, "%s: origin %s: cannot tell: %s", s->host, origin, why);
    }
    return row;
}

/* Several origins serve a hostname and do not agree: one accepts what the
 * edge presents, another refuses it. */
static void tool_verdict_disagree(tool_ctx *ctx, const json_t *rows)
{
    const json_t *a, *b;
    size_t i, k;

    json_array_foreach (rows, i, a) {
        if (!json_is_true(json_object_get(a, "refused"))) {
            continue;
        }
        json_array_foreach (rows, k, b) {
            if (strcmp(tool_json_show(a, "hostname"),
                       tool_json_show(b, "hostname"))
                    == 0
                && strcmp(tool_json_show(b, "accepts"), "yes") == 0) {
                tool_warn(ctx,
                          "origins disagree on %s: %s accepts what the edge "
                          "presents, %s refuses it",
                          tool_json_show(a, "hostname"),
                          tool_json_show(b, "origin"),
                          tool_json_show(a, "origin"));
                break;
            }
        }
    }
}

json_t *tool_verdict_rows(tool_ctx *ctx, const tool_verdict *v,
                          const tool_edge *before, const tool_edge *after,
                          int *refused, int *blocking)
{
    json_t *rows = json_array(), *row, *skip;
    time_t now = time(NULL);
    size_t i;

    *refused = *blocking = 0;
    json_array_foreach (v->skipped, i, skip) {
        tool_info(ctx, "note: %s (origin %s) not checked: %s",
                  tool_json_show(skip, "hostname"),
                  tool_json_show(skip, "origin"), tool_json_show(skip, "why"));
    }
    for (i = 0; rows && i < v->nserved; i++) {
        row = tool_verdict_row(ctx, v, &v->served[i], before, after, now);
        if (!row) {
            continue;
        }
        if (json_is_true(json_object_get(row, "refused"))) {
            ++*refused;
            *blocking +=
                !before || json_is_true(json_object_get(row, "changed"));
        }
        json_array_append_new(rows, row);
    }
    tool_verdict_disagree(ctx, rows);
    return rows;
}

/* One line of the table: on stdout (a result), or on stderr (a guard's
 * explanation next to a command whose result is on stdout). */
static void tool_verdict_line(tool_ctx *ctx, int to_stderr, const char *fmt,
                              ...) TOOL_PRINTF(3, 4);

static void tool_verdict_line(tool_ctx *ctx, int to_stderr, const char *fmt,
                              ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (to_stderr) {
        tool_info(ctx, "%s", line);
    }
    else {
        tool_print(ctx, "%s\n", line);
    }
}

void tool_verdict_print(tool_ctx *ctx, const json_t *rows, int to_stderr)
{
    const json_t *row, *edge;
    const char *reason;
    char cert[TOOL_ABOUT_LEN + 80], about[TOOL_ABOUT_LEN];
    size_t i;

    json_array_foreach (rows, i, row) {
        edge = json_object_get(row, "edge");
        reason = tool_json_str(row, "reason");
        cert[0] = '\0';
        if (tool_json_str(edge, "cert_id")) {
            snprintf(cert, sizeof(cert), " %s (%s)",
                     tool_json_show(edge, "cert_id"),
                     tool_cert_about(edge, about, sizeof(about)));
        }
        tool_verdict_line(
            ctx, to_stderr,
            "%s  (origin %s, vhost %s, %s, %s "
            "policy)",
            tool_json_show(row, "hostname"), tool_json_show(row, "origin"),
            tool_json_show(row, "vhost"), tool_json_show(row, "mode"),
            tool_json_show(row, "scope"));
        tool_verdict_line(ctx, to_stderr, "  edge presents   %s%s  [%s]",
                          tool_json_show(edge, "level"), cert,
                          tool_json_show(edge, "why"));
        tool_verdict_line(ctx, to_stderr, "  origin accepts  %s%s%s%s",
                          tool_json_show(row, "accepts"),
                          reason && *reason ? ": " : "", reason ? reason : "",
                          json_is_true(json_object_get(row, "refused"))
                              ? "  <- REFUSED"
                              : "");
    }
}

const char *tool_verdict_refused(const json_t *rows, int blocking_only,
                                 tool_buf *out)
{
    const json_t *row;
    size_t i;

    json_array_foreach (rows, i, row) {
        if (json_is_true(json_object_get(row, "refused"))
            && (!blocking_only
                || json_is_true(json_object_get(row, "changed")))) {
            tool_buf_printf(out, "%s%s (origin %s: %s)", out->len ? "; " : "",
                            tool_json_show(row, "hostname"),
                            tool_json_show(row, "origin"),
                            tool_json_show(row, "reason"));
        }
    }
    return tool_buf_str(out) ? tool_buf_str(out) : "(out of memory)";
}
