#ifndef QUOTAD_CHIREDIS_SHIM_H
#define QUOTAD_CHIREDIS_SHIM_H

// SwiftPM drops hiredis.pc's -D_FILE_OFFSET_BITS=64; define it before any system header.
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <hiredis/hiredis.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/// The reader's error text (hiredis keeps it in a fixed-size buffer).
static inline const char *chiredis_reader_errstr(const redisReader *r) { return r->errstr; }

#include <stdlib.h>

/// The bound a reply reader keeps on array headers (hiredis 0.14 has none: it callocs an array's element
/// table as soon as it reads `*N`, so one header of 2e9 asks for 15 GB before any element arrives).
typedef struct chiredis_reply_bounds {
    redisReplyObjectFunctions functions;                /* hiredis' own, with createArray checked */
    void *(*create_array)(const redisReadTask *, int);  /* hiredis' createArray */
    long long limit;                                    /* elements one reply may declare, nested arrays included */
    long long declared;                                 /* declared so far by the reply being read */
    int exceeded;                                       /* 1 once a header was refused */
} chiredis_reply_bounds;

static inline void *chiredis_bounded_create_array(const redisReadTask *task, int elements) {
    chiredis_reply_bounds *bounds = (chiredis_reply_bounds *)task->privdata;
    if (task->parent == NULL) bounds->declared = 0;  /* a new reply starts with its root array */
    if (elements < 0 || (long long)elements > bounds->limit - bounds->declared) {
        bounds->exceeded = 1;
        return NULL;  /* hiredis stops with a reader error; the Swift side names the cause */
    }
    bounds->declared += elements;
    return bounds->create_array(task, elements);
}

/// A reply reader whose replies may declare at most `limit` array elements in all (a reply's nested arrays
/// count towards its root's total). NULL when memory is short. Free it with `chiredis_bounded_reader_free`.
static inline redisReader *chiredis_bounded_reader_create(long long limit) {
    redisReader *reader = redisReaderCreate();
    if (reader == NULL) return NULL;
    chiredis_reply_bounds *bounds = (chiredis_reply_bounds *)calloc(1, sizeof(chiredis_reply_bounds));
    if (bounds == NULL) { redisReaderFree(reader); return NULL; }
    bounds->functions = *reader->fn;
    bounds->create_array = reader->fn->createArray;
    bounds->functions.createArray = chiredis_bounded_create_array;
    bounds->limit = limit;
    reader->fn = &bounds->functions;
    reader->privdata = bounds;
    return reader;
}

/// Whether the reader stopped because a reply declared more array elements than its limit.
static inline int chiredis_bounded_reader_exceeded(const redisReader *reader) {
    return ((const chiredis_reply_bounds *)reader->privdata)->exceeded;
}

/// Frees a reader made by `chiredis_bounded_reader_create` and its bounds.
static inline void chiredis_bounded_reader_free(redisReader *reader) {
    void *bounds = reader->privdata;
    redisReaderFree(reader);
    free(bounds);
}

/// Sets SIGPIPE to SIG_IGN when its disposition is still the default (SIG_DFL); a handler or SIG_IGN the
/// program installed itself is left alone. Returns 1 when it changed the disposition, 0 otherwise.
static inline int chiredis_ignore_sigpipe_if_default(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) != 0) return 0;
    if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) return 0;
    struct sigaction ignore;
    sigemptyset(&ignore.sa_mask);
    ignore.sa_flags = 0;
    ignore.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &ignore, NULL) == 0 ? 1 : 0;
}

/// Whether SIGPIPE is ignored or handled right now (not SIG_DFL, which would end the process).
static inline int chiredis_sigpipe_is_default(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) != 0) return 1;
    return !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
}

/// fork + exec of `path` for a child that must not outlive its parent (`posix_spawn` cannot do this).
///
/// In the child, between fork and exec, only async-signal-safe calls run: on Linux
/// `prctl(PR_SET_PDEATHSIG, death_signal)` then a `getppid()` check (if the parent died in between, the
/// child exits at once); stdout and stderr go to `output_fd`; every other descriptor above 2 is closed;
/// signal dispositions are reset to the defaults and the signal mask emptied. Linux sends the death
/// signal when the *thread* that called this exits, so call it from a thread that lives as long as the child.
/// Returns the child's pid, or -errno when fork failed.
static inline pid_t chiredis_spawn_bound_child(const char *path, char *const argv[], char *const envp[],
                                               int output_fd, int death_signal) {
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    pid_t parent = getpid();
    sigset_t all, previous;
    sigfillset(&all);
    // No signal handler of the parent may run in the child before exec.
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction defaults;
        sigemptyset(&defaults.sa_mask);
        defaults.sa_flags = 0;
        defaults.sa_handler = SIG_DFL;
        for (int signo = 1; signo < NSIG; signo++) sigaction(signo, &defaults, NULL);
#ifdef __linux__
        if (death_signal != 0) {
            if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) _exit(126);
            if (getppid() != parent) _exit(126);
        }
#endif
        if (dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) _exit(126);
#if defined(__linux__) && defined(SYS_close_range)
        if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        {
            for (long fd = 3; fd < max_fd; fd++) close((int)fd);
        }
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        execve(path, argv, envp);
        _exit(127);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return pid < 0 ? -saved : pid;
}

#endif
