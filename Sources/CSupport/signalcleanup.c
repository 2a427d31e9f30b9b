/* Removal of spill folders on fatal signals (see csupport.h). */
#include "csupport.h"
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "ntp_cleanup.h"

/* Spill folders are registered in the one table of ntp_cleanup.h (kind 2: a flat folder, emptied
   then removed), so one handler serves them and the temporary outputs: two handlers for the same
   signals would each replace the other. */

#define NTP_MAX_CLEANUP 16
#define NTP_PATH_MAX 4096
static char cleanup_dirs[NTP_MAX_CLEANUP][NTP_PATH_MAX];
static int cleanup_slot[NTP_MAX_CLEANUP];
static volatile sig_atomic_t cleanup_used[NTP_MAX_CLEANUP];

int ntp_remove_on_signal(const char *dir) {
    if (strlen(dir) >= NTP_PATH_MAX) return -1;
    for (int i = 0; i < NTP_MAX_CLEANUP; i++) {
        if (!cleanup_used[i]) {
            int slot = ntp_cleanup_add(dir, 2);
            if (slot < 0) return -1;
            strcpy(cleanup_dirs[i], dir);
            cleanup_slot[i] = slot;
            cleanup_used[i] = 1;
            ntp_cleanup_install();
            return 0;
        }
    }
    return -1;
}

void ntp_forget_on_signal(const char *dir) {
    for (int i = 0; i < NTP_MAX_CLEANUP; i++) {
        if (cleanup_used[i] && strcmp(cleanup_dirs[i], dir) == 0) {
            ntp_cleanup_remove(cleanup_slot[i]);
            cleanup_used[i] = 0;
        }
    }
}
