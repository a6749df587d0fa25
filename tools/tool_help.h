/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* tool_help: --help, generated from the command table, and usage errors. */
#ifndef TOOL_HELP_H
#define TOOL_HELP_H

#include <stdio.h>

#include "tool.h"

/* Full help, or the lines of one command family (family non-NULL). */
void tool_help(FILE *out, const tool_cmd *cmds, size_t ncmds,
               const char *family);

/* "cfaop: error: MESSAGE" and "Try 'cfaop [FAMILY ]--help'."; returns
 * TOOL_EXIT_USAGE. */
int tool_usage_error(const char *family, const char *message);

#endif /* TOOL_HELP_H */
