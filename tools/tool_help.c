/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <string.h>

#include "tool_help.h"
#include "tool_out.h"

static const char tool_global_help[] =
    "Global options (before or after the command):\n  -z, --zone NAME|ID     "
    "zone name or 32-hex zone id (env CFAOP_ZONE)\n      --token-file FILE  "
    "read the API token from FILE ('-' = stdin); else env\n                    "
    "     CLOUDFLARE_API_TOKEN, CF_API_TOKEN, or the legacy\n                  "
    "       CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL\n      --api-base URL     "
    "API base (env CLOUDFLARE_BASE_URL;\n                         "
    "default " TOOL_DEFAULT_API_BASE
    ")\n      --cacert FILE      also trust these CAs for the API's TLS "
    "certificate\n      --json             machine-readable output on stdout\n "
    "     --dry-run          print the changing calls instead of making them\n "
    "     --timeout SECONDS  per-request timeout (default 30)\n  -q, --quiet   "
    "         no progress messages\n  -v, --verbose          log each API call "
    "to stderr (never a secret)\n  -h, --help             this help (cfaop "
    "COMMAND --help for one command)\n      --version          print the "
    "version\n";

static void tool_usage_line(FILE *out, const tool_cmd *c)
{
    fprintf(out, "  %s%s%s%s%s%s\n      %s\n", c->name, c->sub ? " " : "",
            c->sub ? c->sub : "", *c->usage ? " " : "", c->usage,
            c->change ? " [--origin-policy SOURCE...]" : "", c->summary);
}

void tool_help(FILE *out, const tool_cmd *cmds, size_t ncmds,
               const char *family)
{
    size_t i;

    fprintf(out, "Usage: cfaop [GLOBAL OPTIONS] COMMAND [ARGS]\n\nManage "
                 "Cloudflare Authenticated Origin Pulls through the API.\n\n");
    fprintf(out, "Commands:\n");
    for (i = 0; i < ncmds; i++) {
        if (!family || strcmp(family, cmds[i].name) == 0) {
            tool_usage_line(out, &cmds[i]);
        }
    }
    fprintf(out,
            "\n--origin-policy SOURCE (repeatable; or CFAOP_ORIGIN_POLICY): "
            "before a change of\nwhat Cloudflare presents, judge the state "
            "after it with the origins' policies\n(as check-origin) and "
            "refuse it when an origin would refuse a hostname;\n--force "
            "goes ahead anyway, --dry-run shows the verdict.\n");
    fprintf(out, "\n%s", tool_global_help);
    if (!family) {
        fprintf(out,
                "\nExit status: 0 success, 1 API or check failed, 2 usage "
                "error,\n3 authentication or permission error, 4 not found,\n5 "
                "timed out waiting for a status. See cfaop(1).\n");
    }
}

int tool_usage_error(const char *family, const char *message)
{
    tool_error("%s", message);
    fprintf(stderr, "Try 'cfaop %s%s--help'.\n", family ? family : "",
            family ? " " : "");
    return tool_exit_code(TOOL_FAILED_USAGE);
}
