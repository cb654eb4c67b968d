/* procid.h - who a process is, durably enough to ask later whether it is
 * still alive: its pid plus what tells a reused pid apart (the kernel's
 * boot id, the pid namespace and the process's start time in clock ticks
 * since boot). A queue stores this with each lease so a lease held by a
 * process that has died can be reclaimed at once. */
#ifndef RNR_CORE_PROCID_H
#define RNR_CORE_PROCID_H

#include <stdint.h>

typedef struct proc_identity {
    int64_t pid;
    int64_t start_ticks; /* /proc/<pid>/stat field 22 */
    uint64_t pidns;      /* inode of /proc/self/ns/pid; 0 unknown */
    char boot_id[40];    /* /proc/sys/kernel/random/boot_id; "" unknown */
} proc_identity;

/* This process's identity; 0, or -1 when /proc cannot tell (then the
 * identity is only a pid and proc_identity_gone never judges it). */
int proc_identity_self(proc_identity *out);

/* 1 when the process `id` names has certainly exited (same machine and
 * boot, same pid namespace, and its pid is free or now belongs to a
 * process that started at another time); 0 when it is alive or this
 * process cannot tell (another machine, container or boot). */
int proc_identity_gone(const proc_identity *id);

/* The start time of pid in clock ticks since boot, or -1. */
int64_t proc_start_ticks(int64_t pid);

#endif
