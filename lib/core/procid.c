/* procid.c - process identities from /proc (Linux). */
#include "core/procid.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Field 22 (start time) of /proc/<pid>/stat and the state letter (field 3). */
static int64_t stat_fields(int64_t pid, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm (field 2) may hold spaces and parentheses: skip to the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    long long v = -1;
    /* after ')' come fields 3..: state is field 3, starttime field 22 */
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 3)
            *state = tok[0];
        if (field == 22) {
            if (sscanf(tok, "%lld", &v) != 1)
                v = -1;
            break;
        }
    }
    return v;
}

int64_t proc_start_ticks(int64_t pid)
{
    char state = '?';
    return stat_fields(pid, &state);
}

static void read_boot_id(char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return;
    if (!fgets(buf, (int)n, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
}

static uint64_t pid_namespace(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int proc_identity_self(proc_identity *out)
{
    memset(out, 0, sizeof *out);
    out->pid = (int64_t)getpid();
    out->start_ticks = proc_start_ticks(out->pid);
    out->pidns = pid_namespace();
    read_boot_id(out->boot_id, sizeof out->boot_id);
    return out->start_ticks >= 0 && out->pidns && out->boot_id[0] ? 0 : -1;
}

int proc_identity_gone(const proc_identity *id)
{
    if (id->pid <= 0 || id->start_ticks < 0 || !id->boot_id[0] || !id->pidns)
        return 0;
    proc_identity me;
    if (proc_identity_self(&me) != 0 || strcmp(me.boot_id, id->boot_id) != 0 ||
        me.pidns != id->pidns)
        return 0; /* another boot, machine or container: not ours to judge */
    if (kill((pid_t)id->pid, 0) != 0 && errno == ESRCH)
        return 1;
    char state = '?';
    int64_t start = stat_fields(id->pid, &state);
    /* a zombie (killed, not yet reaped) holds nothing; a reused pid has
     * another start time */
    return start >= 0 && (start != id->start_ticks || state == 'Z' || state == 'X');
}
