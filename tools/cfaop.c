/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop: the admin tool of mod_cfaop. main() alone lives here, so that
 * every other tools/tool_*.c file can be linked into a test or a fuzz
 * target without it.
 */
#include "tool_operate.h"

int main(int argc, char **argv)
{
    return tool_operate(argc, argv);
}
