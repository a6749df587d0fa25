/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_json: a small streaming JSON writer for the policy document, which
 * goes to stdout (configtest) or to a response (the status handler) and can
 * be megabytes long for many vhosts: it is written as it is built, through
 * a buffer, never held whole in memory.
 */
#ifndef CFAOP_JSON_H
#define CFAOP_JSON_H

#include "apr_pools.h"

/* Where the text goes; returns APR_SUCCESS or the error that stops it. */
typedef apr_status_t cfaop_json_sink(void *baton, const char *data, apr_size_t len);

typedef struct cfaop_json cfaop_json;

cfaop_json *cfaop_json_make(apr_pool_t *p, cfaop_json_sink *sink, void *baton);

/* Values take a member name inside an object, NULL inside an array or at
 * the top. A NULL string is written as null; strings that are not UTF-8
 * have their stray bytes replaced by U+FFFD. */
void cfaop_json_object(cfaop_json *j, const char *key);
void cfaop_json_array(cfaop_json *j, const char *key);
void cfaop_json_end(cfaop_json *j);
void cfaop_json_string(cfaop_json *j, const char *key, const char *value);
void cfaop_json_int(cfaop_json *j, const char *key, apr_int64_t value);
void cfaop_json_bool(cfaop_json *j, const char *key, int value);
void cfaop_json_null(cfaop_json *j, const char *key);

/* Writes what is buffered, and a newline after a finished document;
 * returns the first error of the sink. */
apr_status_t cfaop_json_finish(cfaop_json *j);

#endif /* CFAOP_JSON_H */
