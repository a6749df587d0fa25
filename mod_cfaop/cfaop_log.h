/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#ifndef CFAOP_LOG_H
#define CFAOP_LOG_H

/* Our own log tags: APLOGNO's "AH" numbers belong to httpd's modules.
 * The next free number is kept in mod_cfaop/next-number. */
#define CFAOP_LOGNO(n) "CFAOP" #n ": "

#endif /* CFAOP_LOG_H */
