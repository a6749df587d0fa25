/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <string.h>

#include "tool_api.h"
#include "tool_certs.h"
#include "tool_out.h"
#include "tool_util.h"

/* How many hostname certificates a zone may have (the API's limit). */
#define TOOL_MAX_HOSTNAME_CERTS 10

const char *tool_certs_base(tool_cert_kind kind)
{
    return kind == TOOL_CERT_ZONE
               ? "origin_tls_client_auth"
               : "origin_tls_client_auth/hostnames/certificates";
}

int tool_certs_check_id(char *id)
{
    if (!id || !tool_is_cert_id(id)) {
        tool_error("'%s' is not a certificate id", id ? id : "");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    tool_id_lower(id);
    return TOOL_EXIT_OK;
}

const char *tool_certs_noun(tool_cert_kind kind)
{
    return kind == TOOL_CERT_ZONE ? "zone certificate" : "hostname certificate";
}

int tool_certs_status_live(const char *status)
{
    return status
           && (strcmp(status, "active") == 0
               || strcmp(status, "pending_deployment") == 0
               || strcmp(status, "initializing") == 0);
}

static void tool_copy_field(json_t *out, const json_t *raw, const char *key,
                            const char *alt)
{
    json_t *v = json_object_get(raw, key);

    if (!v && alt) {
        v = json_object_get(raw, alt);
    }
    json_object_set(out, key, v ? v : json_null());
}

json_t *tool_certs_view(const json_t *raw)
{
    json_t *out = json_object();
    const char *id = tool_json_str(raw, "cert_id");
    const char *status = tool_json_str(raw, "cert_status");
    const char *host = tool_json_str(raw, "hostname");
    tool_cert_facts facts;

    if (!out) {
        return NULL;
    }
    /* An association-shaped item names its certificate cert_id and keeps
     * the certificate's status in cert_status ("status" is the
     * association's); a certificate-shaped one uses id and status. */
    if (!id) {
        id = tool_json_str(raw, "id");
    }
    if (!status) {
        status = tool_json_str(raw, "status");
    }
    json_object_set_new(out, "id", id ? json_string(id) : json_null());
    json_object_set_new(out, "status",
                        status ? json_string(status) : json_null());
    tool_copy_field(out, raw, "issuer", NULL);
    tool_copy_field(out, raw, "serial_number", NULL);
    tool_copy_field(out, raw, "signature", NULL);
    tool_copy_field(out, raw, "uploaded_on", "cert_uploaded_on");
    tool_copy_field(out, raw, "certificate", NULL);
    tool_remote_facts(raw, &facts);
    tool_cert_facts_json(&facts, out);
    if (host && !json_is_null(json_object_get(raw, "enabled"))) {
        json_object_set_new(out, "hostnames",
                            json_pack("[{s:s, s:O?, s:O?}]", "hostname", host,
                                      "enabled",
                                      json_object_get(raw, "enabled"), "status",
                                      json_object_get(raw, "status")));
    }
    return out;
}

json_t *tool_certs_find(const json_t *list, const char *id)
{
    json_t *item;
    size_t i;

    json_array_foreach (list, i, item) {
        const char *iid = tool_json_str(item, "id");

        if (tool_id_eq(iid, id)) {
            return item;
        }
    }
    return NULL;
}

int tool_certs_list(tool_ctx *ctx, tool_cert_kind kind, json_t **list)
{
    json_t *raw = NULL, *out = json_array(), *item, *view, *prev, *hosts;
    size_t i;
    int rc;

    *list = NULL;
    if (!out) {
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    rc = tool_api_get_list(ctx, 0, &raw, "/zones/%s/%s", ctx->zone_id,
                           tool_certs_base(kind));
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    json_array_foreach (raw, i, item) {
        if (!json_is_object(item)) {
            tool_error("malformed response from the API to GET /zones/%s/%s: "
                       "item %zu of the list is not an object",
                       ctx->zone_id, tool_certs_base(kind), i);
            rc = tool_exit_code(TOOL_FAILED_MALFORMED);
            goto cleanup;
        }
        view = tool_certs_view(item);
        if (!view) {
            continue;
        }
        prev = tool_certs_find(out, tool_json_str(view, "id"));
        hosts = json_object_get(view, "hostnames");
        if (prev) {
            /* One certificate used by several hostnames: one entry. */
            if (hosts) {
                if (!json_object_get(prev, "hostnames")) {
                    json_object_set_new(prev, "hostnames", json_array());
                }
                json_array_extend(json_object_get(prev, "hostnames"), hosts);
            }
            json_decref(view);
        }
        else {
            json_array_append_new(out, view);
        }
    }
    *list = out;
    out = NULL;

cleanup:
    json_decref(raw);
    json_decref(out);
    return rc;
}

int tool_certs_get(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                   unsigned flags, json_t **cert)
{
    json_t *raw = NULL;
    int rc;

    *cert = NULL;
    rc = tool_api_callf(ctx, TOOL_GET, NULL, flags | TOOL_WANT_OBJECT, &raw,
                        "/zones/%s/%s/%s", ctx->zone_id, tool_certs_base(kind),
                        id);
    if (rc == TOOL_EXIT_OK) {
        *cert = tool_certs_view(raw);
    }
    json_decref(raw);
    return rc;
}

/* The live certificate with this fingerprint, preferring an active one and
 * then the most recently uploaded. */
static json_t *tool_certs_find_sha(const json_t *list, const char *sha,
                                   int live)
{
    json_t *item, *best = NULL;
    size_t i;

    json_array_foreach (list, i, item) {
        const char *s = tool_json_str(item, "sha256");
        const char *st = tool_json_str(item, "status");

        if (!s || strcmp(s, sha) != 0 || tool_certs_status_live(st) != live) {
            continue;
        }
        if (!best) {
            best = item;
        }
        else {
            int a = st && strcmp(st, "active") == 0;
            int b = strcmp(tool_json_show(best, "status"), "active") == 0;
            const char *ua = tool_json_show(item, "uploaded_on");
            const char *ub = tool_json_show(best, "uploaded_on");

            if (a > b || (a == b && strcmp(ua, ub) > 0)) {
                best = item;
            }
        }
    }
    return best;
}

static int tool_certs_count_live(const json_t *list)
{
    json_t *item;
    size_t i;
    int n = 0;

    json_array_foreach (list, i, item) {
        const char *st = tool_json_str(item, "status");

        /* Anything not gone counts against the API's limit. */
        if (!st
            || (strcmp(st, "deleted") != 0
                && strcmp(st, "pending_deletion") != 0)) {
            n++;
        }
    }
    return n;
}

/* Reuses the live certificate with the same fingerprint, if there is one:
 * 1 (with *cert set) when it did. */
static int tool_certs_reuse(tool_ctx *ctx, tool_cert_kind kind,
                            const tool_local_cert *lc, const json_t *list,
                            json_t **cert)
{
    json_t *match = tool_certs_find_sha(list, lc->facts.sha256, 1);
    char about[TOOL_ABOUT_LEN];

    if (!match) {
        return 0;
    }
    *cert = json_incref(match);
    tool_info(ctx, "%s %s (%s) is already uploaded (%s); reusing it",
              tool_certs_noun(kind), tool_json_show(match, "id"),
              tool_cert_about(match, about, sizeof(about)),
              tool_json_show(match, "status"));
    return 1;
}

/* Before the first upload: a stale earlier upload is worth a warning, a
 * zone full of hostname certificates is worth a refusal. */
static int tool_certs_upload_allowed(tool_ctx *ctx, tool_cert_kind kind,
                                     const tool_local_cert *lc,
                                     const json_t *list)
{
    json_t *stale = tool_certs_find_sha(list, lc->facts.sha256, 0);
    int live = tool_certs_count_live(list);
    char about[TOOL_ABOUT_LEN];

    if (stale) {
        tool_warn(ctx,
                  "an earlier upload of this certificate, %s %s (%s), is %s; "
                  "uploading it again (delete the stale one when done)",
                  tool_certs_noun(kind), tool_json_show(stale, "id"),
                  tool_cert_about(stale, about, sizeof(about)),
                  tool_json_show(stale, "status"));
    }
    if (kind == TOOL_CERT_HOSTNAME && live >= TOOL_MAX_HOSTNAME_CERTS) {
        tool_error("the zone already has %d hostname certificates, the API's "
                   "limit is %d; delete one first (cfaop hostname delete-cert "
                   "ID)",
                   live, TOOL_MAX_HOSTNAME_CERTS);
        return tool_exit_code(TOOL_FAILED_STATE);
    }
    return TOOL_EXIT_OK;
}

/* The certificate an accepted upload created (a placeholder with
 * --dry-run). */
static int tool_certs_uploaded(tool_ctx *ctx, tool_cert_kind kind,
                               const tool_local_cert *lc, const json_t *res,
                               json_t **cert)
{
    char about[TOOL_ABOUT_LEN];

    if (ctx->cfg.dry_run) {
        *cert =
            json_pack("{s:s, s:s}", "id", TOOL_DRY_RUN_ID, "status", "dry-run");
        if (*cert) {
            tool_cert_facts_json(&lc->facts, *cert);
        }
        return TOOL_EXIT_OK;
    }
    if (!tool_json_str(res, "id")) {
        tool_error("the API accepted the upload but returned no certificate "
                   "id");
        return tool_exit_code(TOOL_FAILED_MALFORMED);
    }
    *cert = tool_certs_view(res);
    if (*cert && json_is_null(json_object_get(*cert, "sha256"))) {
        /* The answer lacks the PEM: what was sent is what was uploaded. */
        tool_cert_facts_json(&lc->facts, *cert);
    }
    tool_info(ctx, "uploaded %s %s (%s) (%s)", tool_certs_noun(kind),
              tool_json_show(*cert, "id"),
              tool_cert_about(*cert, about, sizeof(about)),
              tool_json_show(*cert, "status"));
    return TOOL_EXIT_OK;
}

/*
 * After an upload of unknown outcome: the list as it is now, in *fresh,
 * so that a certificate is never uploaded twice. TOOL_EXIT_OK to go on
 * (the upload landed, or another attempt is allowed after its backoff).
 */
static int tool_certs_recheck(tool_ctx *ctx, tool_cert_kind kind,
                              const tool_local_cert *lc, int attempt,
                              json_t **fresh)
{
    char why[1024];
    int rc;

    snprintf(why, sizeof(why), "%s", tool_api_last_error(ctx)->message);
    tool_info(ctx, "upload outcome unknown (%s); checking whether it landed",
              why);
    json_decref(*fresh);
    *fresh = NULL;
    rc = tool_certs_list(ctx, kind, fresh);
    if (rc != TOOL_EXIT_OK) {
        tool_error("cannot tell whether the upload landed; run the command "
                   "again, it reuses the certificate if it did");
        return rc;
    }
    if (!tool_certs_find_sha(*fresh, lc->facts.sha256, 1)
        && tool_api_retry_wait(ctx, attempt) != 0) {
        tool_error("upload failed: %s", why);
        return tool_exit_code(TOOL_FAILED_API);
    }
    return TOOL_EXIT_OK;
}

int tool_certs_upload(tool_ctx *ctx, tool_cert_kind kind,
                      const tool_local_cert *lc, const json_t *list,
                      json_t **cert, int *reused)
{
    json_t *fetched = NULL, *body = NULL, *res = NULL;
    tool_buf path = TOOL_BUF_INIT;
    int rc = TOOL_EXIT_OK, attempt;

    *cert = NULL;
    *reused = 0;
    if (!list) {
        rc = tool_certs_list(ctx, kind, &fetched);
        list = fetched;
    }
    if (rc == TOOL_EXIT_OK
        && (*reused = tool_certs_reuse(ctx, kind, lc, list, cert))) {
        goto cleanup;
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_upload_allowed(ctx, kind, lc, list);
    }
    body = rc == TOOL_EXIT_OK ? tool_local_body(lc) : NULL;
    tool_buf_printf(&path, "/zones/%s/%s", ctx->zone_id, tool_certs_base(kind));
    if (rc == TOOL_EXIT_OK && (!body || !tool_buf_str(&path))) {
        tool_error("cannot build the upload request");
        rc = tool_exit_code(TOOL_FAILED_MEMORY);
    }
    for (attempt = 0; rc == TOOL_EXIT_OK; attempt++) {
        rc = tool_api_call(ctx, TOOL_POST, tool_buf_str(&path), body,
                           TOOL_API_NOREPORT, &res);
        if (rc == TOOL_EXIT_OK) {
            rc = tool_certs_uploaded(ctx, kind, lc, res, cert);
            break;
        }
        if (!tool_api_last_error(ctx)->unknown_outcome) {
            rc = tool_api_report(ctx);
            break;
        }
        /* The upload may have landed: look before sending it again. */
        rc = tool_certs_recheck(ctx, kind, lc, attempt, &fetched);
        if (rc == TOOL_EXIT_OK
            && (*reused = tool_certs_reuse(ctx, kind, lc, fetched, cert))) {
            break;
        }
    }

cleanup:
    tool_local_body_free(body);
    tool_buf_free(&path);
    json_decref(res);
    json_decref(fetched);
    return rc;
}

int tool_wait_for(tool_ctx *ctx, const char *what, double deadline,
                  tool_probe_fn probe, void *arg)
{
    char state[64] = "unknown";
    int announced = 0, rc = TOOL_EXIT_OK;
    tool_probe r;
    double now, nap;

    if (ctx->cfg.dry_run) {
        tool_print(ctx, "dry-run: would wait until %s\n", what);
        return TOOL_EXIT_OK;
    }
    for (;;) {
        r = probe(ctx, arg, state, sizeof(state), &rc);
        if (r == TOOL_PROBE_ERROR) {
            return rc;
        }
        if (r == TOOL_PROBE_DONE) {
            tool_info(ctx, "%s: done (%s)", what, state);
            return TOOL_EXIT_OK;
        }
        if (r == TOOL_PROBE_FAILED) {
            tool_error("%s: failed, status %s", what, state);
            return tool_exit_code(TOOL_FAILED_STATE);
        }
        now = tool_now();
        if (now >= deadline) {
            tool_error(
                "timed out waiting until %s (status still %s); see --wait",
                what, state);
            return tool_exit_code(TOOL_FAILED_TIMEOUT);
        }
        if (!announced) {
            tool_info(ctx, "waiting until %s (status %s)", what, state);
            announced = 1;
        }
        nap = ctx->cfg.poll_interval;
        if (nap > deadline - now) {
            nap = deadline - now;
        }
        tool_sleep(nap);
    }
}

typedef struct tool_cert_probe_arg {
    tool_cert_kind kind;
    const char *id;
    int settle; /* done at any status but pending, instead of at active */
} tool_cert_probe_arg;

static tool_probe tool_cert_probe(tool_ctx *ctx, void *argp, char *state,
                                  size_t len, int *rc)
{
    tool_cert_probe_arg *arg = argp;
    json_t *cert = NULL;
    const char *st;
    tool_probe r;

    *rc = tool_certs_get(ctx, arg->kind, arg->id, 0, &cert);
    if (*rc != TOOL_EXIT_OK) {
        return TOOL_PROBE_ERROR;
    }
    st = tool_json_show(cert, "status");
    snprintf(state, len, "%s", st);
    if (arg->settle) {
        r = strcmp(st, "pending_deployment") == 0
                    || strcmp(st, "initializing") == 0
                ? TOOL_PROBE_PENDING
                : TOOL_PROBE_DONE;
    }
    else if (strcmp(st, "active") == 0) {
        r = TOOL_PROBE_DONE;
    }
    else if (tool_certs_status_live(st)) {
        r = TOOL_PROBE_PENDING;
    }
    else {
        r = TOOL_PROBE_FAILED; /* *_timed_out, pending_deletion, deleted */
    }
    json_decref(cert);
    return r;
}

int tool_certs_wait_active(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                           double deadline)
{
    tool_cert_probe_arg arg = {kind, id, 0};
    char what[160];

    snprintf(what, sizeof(what), "%s %s is active", tool_certs_noun(kind), id);
    return tool_wait_for(ctx, what, deadline, tool_cert_probe, &arg);
}

int tool_certs_wait_settled(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                            double deadline)
{
    tool_cert_probe_arg arg = {kind, id, 1};
    char what[160];

    snprintf(what, sizeof(what), "%s %s has finished deploying",
             tool_certs_noun(kind), id);
    return tool_wait_for(ctx, what, deadline, tool_cert_probe, &arg);
}

int tool_certs_warn(tool_ctx *ctx, tool_cert_kind kind, const json_t *list)
{
    json_t *item, *days;
    const char *st;
    size_t i;
    int active = 0;

    json_array_foreach (list, i, item) {
        st = tool_json_str(item, "status");
        days = json_object_get(item, "days_left");
        if (st && strcmp(st, "active") == 0) {
            active++;
        }
        if (!tool_certs_status_live(st) || !json_is_integer(days)) {
            continue;
        }
        if (json_integer_value(days) < 0) {
            tool_warn(ctx,
                      "%s %s (CN=%s) expired on %s: origins that check it "
                      "refuse Cloudflare",
                      tool_certs_noun(kind), tool_json_show(item, "id"),
                      tool_json_show(item, "subject_cn"),
                      tool_json_show(item, "expires_on"));
        }
        else if (json_integer_value(days) < TOOL_EXPIRY_WARN_DAYS) {
            tool_warn(ctx,
                      "%s %s (CN=%s) expires in %" JSON_INTEGER_FORMAT
                      " days (%s): rotate it",
                      tool_certs_noun(kind), tool_json_show(item, "id"),
                      tool_json_show(item, "subject_cn"),
                      json_integer_value(days),
                      tool_json_show(item, "expires_on"));
        }
    }
    if (kind == TOOL_CERT_ZONE && active > 1) {
        tool_warn(ctx,
                  "%d zone certificates are active: Cloudflare presents only "
                  "the most recently deployed one; delete the others (cfaop "
                  "zone delete ID)",
                  active);
    }
    return active;
}

void tool_certs_name(json_t *obj, const json_t *view)
{
    static const char *const keys[] = {"subject_cn", "expires_on", "days_left"};
    const json_t *v;
    size_t i;

    for (i = 0; obj && i < sizeof(keys) / sizeof(*keys); i++) {
        v = json_object_get(view, keys[i]);
        json_object_set(obj, keys[i], v ? (json_t *)v : json_null());
    }
}

json_t *tool_certs_brief(const json_t *view, const char *id)
{
    json_t *brief = json_pack("{s:s}", "id", id);

    tool_certs_name(brief, view);
    return brief;
}

/* DELETE of one certificate; *gone gets what the API answered, normalised
 * (NULL with --dry-run). */
static int tool_certs_delete_view(tool_ctx *ctx, tool_cert_kind kind,
                                  const char *id, unsigned flags, json_t **gone)
{
    char about[TOOL_ABOUT_LEN];
    json_t *res = NULL;
    int rc;

    *gone = NULL;
    rc = tool_api_callf(ctx, TOOL_DELETE, NULL, flags, &res, "/zones/%s/%s/%s",
                        ctx->zone_id, tool_certs_base(kind), id);
    if (rc == TOOL_EXIT_OK && res) {
        *gone = tool_certs_view(res);
    }
    if (rc == TOOL_EXIT_OK && !ctx->cfg.dry_run && *gone) {
        tool_info(ctx, "deleted %s %s (%s) (%s)", tool_certs_noun(kind), id,
                  tool_cert_about(*gone, about, sizeof(about)),
                  tool_json_show(*gone, "status"));
    }
    else if (rc == TOOL_EXIT_OK && !ctx->cfg.dry_run) {
        tool_info(ctx, "deleted %s %s (gone)", tool_certs_noun(kind), id);
    }
    json_decref(res);
    return rc;
}

int tool_certs_delete(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                      unsigned flags)
{
    json_t *gone = NULL;
    int rc = tool_certs_delete_view(ctx, kind, id, flags, &gone);

    json_decref(gone);
    return rc;
}

int tool_certs_delete_reported(tool_ctx *ctx, tool_cert_kind kind,
                               const char *id)
{
    json_t *gone = NULL;
    int rc = tool_certs_delete_view(ctx, kind, id, 0, &gone);

    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", id);
        tool_out_result(
            ctx, json_pack("{s:[o]}", "deleted", tool_certs_brief(gone, id)));
    }
    json_decref(gone);
    return rc;
}

static void tool_certs_days_text(const json_t *cert, char *buf, size_t len)
{
    json_t *d = json_object_get(cert, "days_left");

    if (json_is_integer(d)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(d));
    }
    else {
        snprintf(buf, len, "-");
    }
}

void tool_certs_print_table(tool_ctx *ctx, const json_t *list,
                            const char *indent)
{
    json_t *item, *h;
    size_t i, j;
    char days[24];

    if (json_array_size(list) == 0) {
        tool_print(ctx, "%s(none)\n", indent);
        return;
    }
    tool_print_verbose(ctx, "%s%-36s  %-24s  %-20s  %5s  %-18s  %s\n", indent,
                       "ID", "CN", "EXPIRES", "DAYS", "STATUS", "SHA-256");
    json_array_foreach (list, i, item) {
        tool_certs_days_text(item, days, sizeof(days));
        tool_print(
            ctx, "%s%-36s  %-24s  %-20s  %5s  %-18s  %s\n", indent,
            tool_json_show(item, "id"), tool_json_show(item, "subject_cn"),
            tool_json_show(item, "expires_on"), days,
            tool_json_show(item, "status"), tool_json_show(item, "sha256"));
        json_array_foreach (json_object_get(item, "hostnames"), j, h) {
            tool_print(ctx, "%s    used by %s (enabled: %s)\n", indent,
                       tool_json_show(h, "hostname"),
                       json_is_true(json_object_get(h, "enabled")) ? "true"
                                                                   : "false");
        }
    }
}

void tool_certs_print_one(tool_ctx *ctx, const json_t *cert)
{
    char days[24];

    tool_certs_days_text(cert, days, sizeof(days));
    tool_print(ctx, "id             %s\n", tool_json_show(cert, "id"));
    tool_print(ctx, "subject_cn     %s\n", tool_json_show(cert, "subject_cn"));
    tool_print(ctx, "expires_on     %s (%s days left)\n",
               tool_json_show(cert, "expires_on"), days);
    tool_print(ctx, "status         %s\n", tool_json_show(cert, "status"));
    tool_print(ctx, "sha256         %s\n", tool_json_show(cert, "sha256"));
    tool_print(ctx, "issuer         %s\n", tool_json_show(cert, "issuer"));
    tool_print(ctx, "serial_number  %s\n",
               tool_json_show(cert, "serial_number"));
    tool_print(ctx, "signature      %s\n", tool_json_show(cert, "signature"));
    tool_print(ctx, "uploaded_on    %s\n", tool_json_show(cert, "uploaded_on"));
}
