/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool_out.h"
#include "tool_state.h"

/* Creates every missing component of `dir` (mode 0700). */
static int tool_state_mkdirs(char *dir)
{
    char *p;

    for (p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                *p = '/';
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return -1;
    }
    return 0;
}

/* The state directory, created when missing (malloc'ed), or NULL with
 * *why set. */
static char *tool_state_dir(const char **why)
{
    const char *env = getenv("CFAOP_STATE_DIR"), *base, *tail;
    struct stat st;
    char *dir;
    size_t len;

    if (env && *env) {
        base = env;
        tail = "";
    }
    else if ((base = getenv("XDG_STATE_HOME")) && *base == '/') {
        tail = "/cfaop";
    }
    else if ((base = getenv("HOME")) && *base == '/') {
        tail = "/.local/state/cfaop";
    }
    else {
        *why = "no CFAOP_STATE_DIR, XDG_STATE_HOME or HOME";
        return NULL;
    }
    len = strlen(base) + strlen(tail) + 1;
    dir = malloc(len);
    if (!dir) {
        *why = "out of memory";
        return NULL;
    }
    snprintf(dir, len, "%s%s", base, tail);
    if (tool_state_mkdirs(dir) != 0 || lstat(dir, &st) != 0) {
        *why = strerror(errno);
        free(dir);
        return NULL;
    }
    /* Another user's directory could hold a planted journal. */
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
        *why = "not a directory of this user, or writable by others";
        free(dir);
        return NULL;
    }
    return dir;
}

static char *tool_state_path(tool_ctx *ctx, const char *name, int quiet)
{
    const char *why = NULL;
    char *dir = tool_state_dir(&why), *path;
    size_t len;

    if (!dir) {
        if (!quiet) {
            tool_warn(
                ctx, "cannot use the state directory (%s); set CFAOP_STATE_DIR",
                why);
        }
        return NULL;
    }
    len = strlen(dir) + strlen(name) + 2;
    path = malloc(len);
    if (path) {
        snprintf(path, len, "%s/%s", dir, name);
    }
    free(dir);
    return path;
}

int tool_state_lock_zone(tool_ctx *ctx, int *fd)
{
    char name[64], pid[32] = "";
    char *path;
    ssize_t n;
    int rc = TOOL_EXIT_OK;

    *fd = -1;
    snprintf(name, sizeof(name), "zone-%s.lock", ctx->zone_id);
    path = tool_state_path(ctx, name, 0);
    if (!path) {
        tool_warn(ctx, "rotating without a lock: a concurrent rotation of this "
                       "zone would not be noticed");
        return TOOL_EXIT_OK;
    }
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (*fd < 0) {
        tool_warn(ctx, "cannot open the lock %s (%s): rotating without a lock",
                  path, strerror(errno));
        goto cleanup;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        n = read(*fd, pid, sizeof(pid) - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        tool_error(
            "another cfaop is rotating certificates of zone %s%s%s (lock %s); "
            "wait for it to finish, then run this command again",
            ctx->zone_id, pid[0] ? " as process " : "", pid, path);
        close(*fd);
        *fd = -1;
        rc = TOOL_EXIT_FAIL;
        goto cleanup;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(*fd, 0) != 0 || write(*fd, pid, strlen(pid)) < 0) {
        /* The pid is only for the other process's message. */
    }

cleanup:
    free(path);
    return rc;
}

void tool_state_unlock(int fd)
{
    if (fd >= 0) {
        close(fd); /* releases the flock */
    }
}

json_t *tool_state_journal_load(tool_ctx *ctx, const char *name)
{
    char *path = tool_state_path(ctx, name, 1);
    json_error_t jerr;
    json_t *doc;

    if (!path) {
        return NULL;
    }
    doc = json_load_file(path, 0, &jerr);
    if (!doc && access(path, F_OK) == 0) {
        tool_warn(ctx, "ignoring the unreadable rotation journal %s: %s", path,
                  jerr.text);
    }
    if (doc && !json_is_object(doc)) {
        tool_warn(ctx, "ignoring the rotation journal %s: not a JSON object",
                  path);
        json_decref(doc);
        doc = NULL;
    }
    free(path);
    return doc;
}

int tool_state_journal_save(tool_ctx *ctx, const char *name, const json_t *doc)
{
    char *path = tool_state_path(ctx, name, 0), *tmp = NULL;
    size_t len;
    int fd = -1, rc = -1;

    if (!path) {
        return -1;
    }
    len = strlen(path) + 32;
    tmp = malloc(len);
    if (!tmp) {
        goto cleanup;
    }
    snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || json_dumpfd(doc, fd, JSON_INDENT(2) | JSON_SORT_KEYS) != 0
        || fsync(fd) != 0) {
        goto cleanup;
    }
    rc = close(fd);
    fd = -1;
    if (rc == 0) {
        rc = rename(tmp, path);
    }

cleanup:
    if (rc != 0) {
        int saved = errno;

        if (fd >= 0) {
            close(fd);
        }
        tool_warn(ctx,
                  "cannot write the rotation journal %s (%s): an interrupted "
                  "rotation will not be resumed by a rerun",
                  path, strerror(saved));
        if (tmp) {
            unlink(tmp);
        }
    }
    free(tmp);
    free(path);
    return rc;
}

void tool_state_journal_remove(tool_ctx *ctx, const char *name)
{
    char *path = tool_state_path(ctx, name, 1);

    if (path) {
        unlink(path);
        free(path);
    }
}
