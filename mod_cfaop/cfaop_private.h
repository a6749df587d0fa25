/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_private: what every file of the module shares: the module record,
 * its log tags and the name a server goes by in messages.
 */
#ifndef CFAOP_PRIVATE_H
#define CFAOP_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

extern module AP_MODULE_DECLARE_DATA cfaop_module;

APLOG_USE_MODULE(cfaop);

/* Our own log tags, five digits as httpd's APLOGNO: "AH" numbers belong
 * to httpd's modules. The next free number is in mod_cfaop/next-number;
 * scripts/check-logtags keeps both true. */
#define CFAOP_LOGNO(n) "CFAOP" #n ": "

/* A server's name in messages, also for the unnamed main server. */
#define CFAOP_SNAME(s) ((s)->server_hostname ? (s)->server_hostname : "(unnamed)")

#endif /* CFAOP_PRIVATE_H */
