/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * aop_hostname: the one normalisation of a hostname used for hostname-level
 * policies, in configuration and per request: lowercase, no port, no
 * trailing dot, as Cloudflare matches hostnames.
 */
#ifndef AOP_HOSTNAME_H
#define AOP_HOSTNAME_H

#include <stddef.h>

/* Longest DNS name plus NUL. */
#define AOP_HOSTNAME_MAX 256

/*
 * Writes the normalised form of `in` to `out` (AOP_HOSTNAME_MAX bytes).
 * With allow_port, a ":port" suffix (as in a Host header) is dropped;
 * without, it is an error. Returns 0, or -1 when `in` is not a DNS name
 * or IPv4 address (empty, too long, or a character outside [A-Za-z0-9.-_]).
 */
int aop_hostname_normalize(const char *in, int allow_port, char out[AOP_HOSTNAME_MAX]);

#endif /* AOP_HOSTNAME_H */
