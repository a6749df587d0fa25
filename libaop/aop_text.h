/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * aop_text: the one rule for what counts as UTF-8 in text that the module
 * and the tool put into JSON (names, paths, API messages): stray bytes are
 * replaced, never passed on as they are.
 */
#ifndef AOP_TEXT_H
#define AOP_TEXT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence (RFC 3629) at s, 0 when there is none:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
size_t aop_utf8_len(const unsigned char *s);

#endif /* AOP_TEXT_H */
