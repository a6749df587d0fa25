/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "tool_creds.h"
#include "tool_out.h"
#include "tool_util.h"

/* Longest token file read: no token is anywhere near it. */
#define TOOL_TOKEN_FILE_MAX 4096

/* Removes leading and trailing whitespace (a token file's newline) in place. */
static void tool_trim(char *s)
{
    size_t n = strlen(s), start = 0;

    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    while (s[start] && isspace((unsigned char)s[start])) {
        start++;
    }
    memmove(s, s + start, n - start + 1);
}

/* Opens the token file and checks what it is; NULL after an error. */
static FILE *tool_token_open(tool_ctx *ctx, const char *path, int is_stdin)
{
    struct stat st;
    FILE *f;

    errno = 0;
    f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        tool_error("--token-file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        tool_error("--token-file %s: %s", path,
                   S_ISDIR(st.st_mode)
                       ? "is a directory, not a file holding the token"
                       : strerror(errno));
        if (!is_stdin) {
            fclose(f);
        }
        return NULL;
    }
    if (!is_stdin && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
        tool_warn(ctx,
                  "token file %s is readable by other users (chmod 600 it)",
                  path);
    }
    return f;
}

/* Reads a token file (or stdin) into a malloc'ed, trimmed string. */
static int tool_read_token_file(tool_ctx *ctx, const char *path, char **token)
{
    int is_stdin = strcmp(path, "-") == 0,
        rc = tool_exit_code(TOOL_FAILED_CREDENTIALS);
    FILE *f = tool_token_open(ctx, path, is_stdin);
    char *buf = NULL;
    size_t len;

    if (!f) {
        return rc;
    }
    buf = malloc(TOOL_TOKEN_FILE_MAX);
    len = buf ? fread(buf, 1, TOOL_TOKEN_FILE_MAX - 1, f) : 0;
    if (!buf) {
        tool_error("out of memory");
    }
    else if (ferror(f)) {
        tool_error("--token-file %s: %s", is_stdin ? "(standard input)" : path,
                   strerror(errno ? errno : EIO));
    }
    else if (len == TOOL_TOKEN_FILE_MAX - 1) {
        tool_error("--token-file %s: too long for an API token", path);
    }
    else {
        buf[len] = '\0';
        tool_trim(buf);
        *token = buf;
        buf = NULL;
        rc = TOOL_EXIT_OK;
    }
    if (buf) {
        OPENSSL_cleanse(buf, TOOL_TOKEN_FILE_MAX);
        free(buf);
    }
    if (!is_stdin) {
        fclose(f);
    }
    return rc;
}

/* The first of two variables that is set, trimmed and malloc'ed. */
static char *tool_env_secret(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    char *copy;

    if ((!v || !*v) && fallback) {
        v = getenv(fallback);
    }
    if (!v || !*v) {
        return NULL;
    }
    copy = strdup(v);
    if (copy) {
        tool_trim(copy);
    }
    return copy;
}

/* 1 when s has no whitespace or control characters (header-safe). */
static int tool_header_safe(const char *s)
{
    for (; *s; s++) {
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

/* Judges the credentials found: exactly one kind, usable in a header. */
static int tool_credentials_check(const tool_credentials *cred)
{
    if (cred->token && cred->key) {
        /* Ambiguous, and refused as Cloudflare's own tools do. */
        tool_error("both an API token and a global API key are set; use one "
                   "(unset CLOUDFLARE_API_KEY or the token)");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (cred->token && !*cred->token) {
        tool_error("the API token is empty");
        return tool_exit_code(TOOL_FAILED_CREDENTIALS);
    }
    if (cred->token && !tool_header_safe(cred->token)) {
        tool_error("the API token contains spaces or control characters");
        return tool_exit_code(TOOL_FAILED_CREDENTIALS);
    }
    if (cred->token) {
        return TOOL_EXIT_OK;
    }
    if (cred->key && !cred->email) {
        tool_error("CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (cred->key
        && (!tool_header_safe(cred->key) || !tool_header_safe(cred->email))) {
        tool_error(
            "the API key or email contains spaces or control characters");
        return tool_exit_code(TOOL_FAILED_CREDENTIALS);
    }
    if (cred->key) {
        return TOOL_EXIT_OK;
    }
    tool_error(
        "no API credentials: set CLOUDFLARE_API_TOKEN or use --token-file FILE "
        "(a token is never taken on the command line)");
    return tool_exit_code(TOOL_FAILED_CREDENTIALS);
}

int tool_credentials_load(tool_ctx *ctx, tool_credentials *cred)
{
    int rc = TOOL_EXIT_OK;

    memset(cred, 0, sizeof(*cred));
    if (ctx->cfg.token_file) {
        rc = tool_read_token_file(ctx, ctx->cfg.token_file, &cred->token);
    }
    else {
        cred->token = tool_env_secret("CLOUDFLARE_API_TOKEN", "CF_API_TOKEN");
    }
    if (rc == TOOL_EXIT_OK) {
        cred->key = tool_env_secret("CLOUDFLARE_API_KEY", "CF_API_KEY");
        cred->email = tool_env_secret("CLOUDFLARE_EMAIL", "CF_API_EMAIL");
        rc = tool_credentials_check(cred);
    }
    if (rc == TOOL_EXIT_OK && cred->token) {
        tool_secret_free(&cred->email);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_out_add_secret(cred->token);
        tool_out_add_secret(cred->key);
    }
    else {
        tool_credentials_free(cred);
    }
    return rc;
}

void tool_credentials_free(tool_credentials *cred)
{
    tool_secret_free(&cred->token);
    tool_secret_free(&cred->key);
    tool_secret_free(&cred->email);
}
