/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Small helpers without a better home: ids, secrets, time. */
#ifndef TOOL_UTIL_H
#define TOOL_UTIL_H

#include "tool.h"

/* 1 when s is exactly 32 hex digits (a zone id). */
int tool_is_zone_id(const char *s);
/* 1 when s is a plausible certificate id (letters, digits, '-'). */
int tool_is_cert_id(const char *s);
/* Lower-cases an id in place: the API's UUIDs are lower case. */
void tool_id_lower(char *s);
/* Compares two ids without regard to case (NULL never matches). */
int tool_id_eq(const char *a, const char *b);

/* Wipes and frees a malloc'ed secret (token, key, email); sets *s NULL. */
void tool_secret_free(char **s);

/* Monotonic clock in seconds, and a sleep that survives signals. */
double tool_now(void);
void tool_sleep(double seconds);

#endif /* TOOL_UTIL_H */
