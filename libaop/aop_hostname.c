/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <string.h>

#include "aop_hostname.h"

int aop_hostname_normalize(const char *in, int allow_port, char out[AOP_HOSTNAME_MAX])
{
    size_t n = 0;
    const char *p;

    for (p = in; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == ':' && allow_port) {
            /* The port must be all digits; anything else is not a Host. */
            const char *q;

            for (q = p + 1; *q; q++) {
                if (!isdigit((unsigned char)*q)) {
                    return -1;
                }
            }
            break;
        }
        if (!(isalnum(ch) || ch == '-' || ch == '.' || ch == '_')) {
            return -1;
        }
        if (n + 1 >= AOP_HOSTNAME_MAX) {
            return -1;
        }
        out[n++] = (char)tolower(ch);
    }
    out[n] = '\0';
    /* An empty label anywhere ("a..b", ".a", "a..") before the one trailing
     * dot of an absolute name is dropped. */
    if (n == 0 || out[0] == '.' || strstr(out, "..")) {
        return -1;
    }
    if (out[n - 1] == '.') {
        out[--n] = '\0';
    }
    return n == 0 ? -1 : 0;
}
