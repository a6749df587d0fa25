/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_operate: one run of cfaop, from argv to the exit code: the command
 * line, help, the setup the command's table row asks for (arguments,
 * credentials, the API, the certificate, the zone), the command, and the
 * output at the end.
 */
#ifndef TOOL_OPERATE_H
#define TOOL_OPERATE_H

#include <stddef.h>

#include "tool.h"

extern const tool_cmd tool_commands[];
extern const size_t tool_ncommands;

int tool_operate(int argc, char **argv);

#endif /* TOOL_OPERATE_H */
