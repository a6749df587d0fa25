/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_buf: a growable string. Appending never truncates: it grows, or
 * marks the buffer failed (out of memory), and every later append is a
 * no-op, so a caller checks once at the end.
 */
#ifndef TOOL_BUF_H
#define TOOL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct tool_buf {
    char *text; /* NUL-terminated once anything was added */
    size_t len;
    size_t cap;
    int failed;
} tool_buf;

#define TOOL_BUF_INIT \
    {                 \
        NULL, 0, 0, 0 \
    }

#if defined(__GNUC__)
#define TOOL_BUF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TOOL_BUF_PRINTF(a, b)
#endif

int tool_buf_add(tool_buf *b, const char *text, size_t len);
int tool_buf_printf(tool_buf *b, const char *fmt, ...) TOOL_BUF_PRINTF(2, 3);
int tool_buf_vprintf(tool_buf *b, const char *fmt, va_list ap);
/* The text ("" when empty), or NULL when the buffer failed. */
const char *tool_buf_str(const tool_buf *b);
void tool_buf_free(tool_buf *b);

#endif /* TOOL_BUF_H */
