/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * libFuzzer target: cfaop's handling of API answers, whatever the bytes.
 * Links every tool_*.c file of tools/ (not cfaop.c, which holds main) and
 * the libaop sources. The input is one HTTP answer:
 *
 *   2 bytes   HTTP status, big-endian (taken modulo 1000)
 *   1 byte    bit 0: the request was a POST (else a GET);
 *             bits 1-2: the result's shape the caller demands
 *             (0 any, 1 a list, 2 an object)
 *   headers   lines ending in "\n", up to an empty line
 *   body      the rest
 *
 * It runs what tool_api does with an answer: Retry-After, the envelope,
 * the API's error codes, the result's shape, total_pages; then the views
 * the commands build from certificate and association objects (fields,
 * fingerprints and days left from the PEM the API sent).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../tools/tool_answer.h"
#include "../../tools/tool_assoc.h"
#include "../../tools/tool_certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_views(const json_t *result)
{
    json_t *item, *view;
    size_t i;

    if (json_is_object(result)) {
        json_decref(tool_certs_view(result));
        json_decref(tool_assoc_view("fuzz.example.com", result));
        return;
    }
    json_array_foreach(result, i, item) {
        view = tool_certs_view(item);
        json_decref(view);
        if (i >= 16) {
            break; /* enough to cover a list; keeps each run fast */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned wants[] = {TOOL_WANT_ANY, TOOL_WANT_ARRAY, TOOL_WANT_OBJECT,
                                     TOOL_WANT_ANY};
    const char *method, *path = "/zones/0123456789abcdef0123456789abcdef/origin_tls_client_auth";
    const char *p, *end, *nl;
    tool_answer answer;
    json_t *result = NULL;
    long status;
    unsigned want;

    if (size < 3) {
        return 0;
    }
    status = ((long)data[0] << 8 | data[1]) % 1000;
    method = (data[2] & 1) ? "POST" : "GET";
    want = wants[(data[2] >> 1) & 3];
    p = (const char *)data + 3;
    end = (const char *)data + size;

    tool_answer_init(&answer);
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (nl == p) {
            p++;
            break;
        }
        tool_answer_header(&answer, p, (size_t)(nl - p + 1), 1767225600L);
        p = nl + 1;
    }
    if (tool_answer_parse(&answer, method, path, status, p, (size_t)(end - p))
            == TOOL_FAILED_NOTHING
        && tool_answer_result(&answer, method, path, want, &result)
               == TOOL_FAILED_NOTHING) {
        (void)tool_answer_total_pages(&answer);
        fuzz_views(result);
    }
    tool_answer_free(&answer);
    return 0;
}
