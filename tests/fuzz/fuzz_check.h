/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* The fuzzers' invariant check: a broken invariant aborts, so libFuzzer
 * saves the input as a crash. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", \
                    __FILE__, __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

#endif /* FUZZ_CHECK_H */
