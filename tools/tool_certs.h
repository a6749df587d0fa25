/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_certs: what zone-level and hostname certificates have in common
 * (listing, idempotent upload, waiting for a status, display), written once
 * and used by the zone, hostname and status commands.
 */
#ifndef TOOL_CERTS_H
#define TOOL_CERTS_H

#include <jansson.h>

#include "tool.h"
#include "tool_local.h"

/* Id of the certificate a --dry-run upload would create. */
#define TOOL_DRY_RUN_ID "<new-certificate-id>"

/* "origin_tls_client_auth" or "origin_tls_client_auth/hostnames/certificates":
 * where a kind's certificates live under /zones/ID/. */
const char *tool_certs_base(tool_cert_kind kind);

/* Checks a certificate id argument (letters, digits, '-') and lower-cases
 * it in place; a usage error for anything else. */
int tool_certs_check_id(char *id);

/* Human name of a kind: "zone certificate" / "hostname certificate". */
const char *tool_certs_noun(tool_cert_kind kind);

/*
 * The certificates of a kind, each normalised to
 *   {id, status, subject_cn, expires_on, days_left, sha256, issuer,
 *    serial_number, signature, uploaded_on, certificate, hostnames?}
 * with subject_cn, expires_on, days_left and sha256 read locally from the
 * PEM (tool_remote_facts; without one, the API's expires_on). (The API's list
 * of hostname certificates may be shaped as associations; those carry
 * cert_id/cert_status and are merged per certificate, their hostnames kept.)
 */
int tool_certs_list(tool_ctx *ctx, tool_cert_kind kind, json_t **list);
int tool_certs_get(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                   unsigned flags, json_t **cert);
/* Normalises one certificate object as above (new reference). */
json_t *tool_certs_view(const json_t *raw);
/* The certificate with this id in a list, or NULL. */
json_t *tool_certs_find(const json_t *list, const char *id);

/* 1 for a status in which a certificate is deployed or on its way. */
int tool_certs_status_live(const char *status);

/*
 * Uploads the certificate unless the same one (SHA-256 of the leaf DER, not
 * the PEM text) is already there and live, in which case that one is reused.
 * An upload whose outcome is unknown (5xx, dropped connection, timeout) is
 * followed by a new listing before anything is sent again. `list` is the
 * current listing, or NULL to fetch it. *cert gets the (normalised) uploaded
 * or reused certificate; with --dry-run, a placeholder with TOOL_DRY_RUN_ID.
 */
int tool_certs_upload(tool_ctx *ctx, tool_cert_kind kind,
                      const tool_local_cert *lc, const json_t *list,
                      json_t **cert, int *reused);

/* Outcome of one look at something being waited for. */
typedef enum tool_probe {
    TOOL_PROBE_DONE = 0,
    TOOL_PROBE_PENDING,
    TOOL_PROBE_FAILED, /* will not get there (e.g. deployment_timed_out) */
    TOOL_PROBE_ERROR   /* could not look: *rc holds the exit code */
} tool_probe;

/* Looks once; sets *state to the status seen (for messages). */
typedef tool_probe (*tool_probe_fn)(tool_ctx *ctx, void *arg, char *state,
                                    size_t len, int *rc);

/*
 * Polls `probe` every CFAOP_POLL_INTERVAL seconds until it is done (0),
 * failed (TOOL_EXIT_FAIL) or `deadline` (tool_now() seconds) has passed
 * (TOOL_EXIT_TIMEOUT). `what` names the awaited thing in messages.
 */
int tool_wait_for(tool_ctx *ctx, const char *what, double deadline,
                  tool_probe_fn probe, void *arg);

/* Waits until certificate `id` is active. */
int tool_certs_wait_active(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                           double deadline);

/* Warns about live certificates of a list that expire within
 * TOOL_EXPIRY_WARN_DAYS (or have expired) and, for zone certificates, about
 * more than one active at a time. Returns the number of active ones. */
int tool_certs_warn(tool_ctx *ctx, tool_cert_kind kind, const json_t *list);

/* Waits until certificate `id` is no longer on its way to deployment
 * (active, timed out, deleted...): before it can be deleted. */
int tool_certs_wait_settled(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                            double deadline);

/* Sets subject_cn, expires_on and days_left of `obj` from a certificate
 * view (nulls when `view` is NULL): what goes next to a certificate id in
 * a result. */
void tool_certs_name(json_t *obj, const json_t *view);
/* {id, subject_cn, expires_on, days_left}: how a result names a
 * certificate. New reference. */
json_t *tool_certs_brief(const json_t *view, const char *id);

/* DELETE of one certificate; says what happened (TOOL_API_NOREPORT: the
 * caller reports errors). */
int tool_certs_delete(tool_ctx *ctx, tool_cert_kind kind, const char *id,
                      unsigned flags);
/* The end of `zone delete` and `hostname delete-cert`: delete, print the
 * id, set the --json result. */
int tool_certs_delete_reported(tool_ctx *ctx, tool_cert_kind kind,
                               const char *id);

/* Prints a certificate list as a table (human output). */
void tool_certs_print_table(tool_ctx *ctx, const json_t *list,
                            const char *indent);
/* Prints one certificate's fields (human output). */
void tool_certs_print_one(tool_ctx *ctx, const json_t *cert);

#endif /* TOOL_CERTS_H */
