/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_buf.h"

static int tool_buf_grow(tool_buf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 64;
    char *text;

    if (b->failed) {
        return -1;
    }
    while (cap - b->len <= more) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    if (cap != b->cap) {
        text = realloc(b->text, cap);
        if (!text) {
            b->failed = 1;
            return -1;
        }
        b->text = text;
        b->cap = cap;
    }
    return 0;
}

int tool_buf_add(tool_buf *b, const char *text, size_t len)
{
    if (tool_buf_grow(b, len) != 0) {
        return -1;
    }
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
    return 0;
}

int tool_buf_vprintf(tool_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = 1;
        return -1;
    }
    if (tool_buf_grow(b, (size_t)n) != 0) {
        return -1;
    }
    vsnprintf(b->text + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int tool_buf_printf(tool_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = tool_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *tool_buf_str(const tool_buf *b)
{
    if (b->failed) {
        return NULL;
    }
    return b->text ? b->text : "";
}

void tool_buf_free(tool_buf *b)
{
    free(b->text);
    b->text = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
