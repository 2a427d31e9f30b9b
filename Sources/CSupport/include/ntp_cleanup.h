#ifndef NTPSEP_CLEANUP_H
#define NTPSEP_CLEANUP_H
/* Temporary outputs removed when a catchable signal ends the process.

   A fixed table of paths (no allocation, so the handler stays async-signal-safe): the handler for
   SIGINT, SIGTERM, SIGHUP and SIGQUIT unlinks every registered file, then removes every registered
   directory (rmdir, so only once emptied), restores the default action and re-raises the signal,
   so the exit status still says which signal ended the run. */

/* Installs the handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT (idempotent; a signal that was ignored at
   start, e.g. SIGINT under `nohup`/`&`, stays ignored). */
void ntp_cleanup_install(void);

/* Registers `path` (is_dir 0: a file; 1: a folder removed with rmdir once emptied; 2: a folder
   without subfolders, emptied then removed — the ingest spill folders); returns the slot
   for ntp_cleanup_remove, or -1 when the path is too long or the table is full (then it is not
   removed on a signal, which is the old behaviour). Thread-safe. */
int ntp_cleanup_add(const char *path, int is_dir);

/* Forgets a slot (after the file was renamed into place or deleted). -1 is ignored. */
void ntp_cleanup_remove(int slot);

/* Training mode: the first SIGINT only sets a flag (the loop then writes its checkpoint); a second
   SIGINT, SIGTERM or SIGHUP cleans up and ends the process as above. */
void ntp_cleanup_defer_first_sigint(void);

/* 1 once a deferred SIGINT has arrived. */
int ntp_cleanup_interrupt_requested(void);

/* Clears the deferred-SIGINT flag (tests). */
void ntp_cleanup_reset_interrupt(void);

/* Start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or -1 when
   there is no such process or /proc is unavailable. Tells a live process from a recycled PID. */
long long ntp_process_start_ticks(int pid);

#endif
