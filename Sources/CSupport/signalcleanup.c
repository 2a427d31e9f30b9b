/* Removal of spill folders on fatal signals (see csupport.h). */
#include "csupport.h"
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#define NTP_MAX_CLEANUP 16
#define NTP_PATH_MAX 4096
static char cleanup_dirs[NTP_MAX_CLEANUP][NTP_PATH_MAX];
static volatile sig_atomic_t cleanup_used[NTP_MAX_CLEANUP];
static int handlers_installed = 0;
static const int watched_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void remove_flat_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return; }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        unlinkat(fd, e->d_name, 0);
    }
    closedir(d);
    rmdir(dir);
}

static void on_signal(int sig) {
    for (int i = 0; i < NTP_MAX_CLEANUP; i++) {
        if (cleanup_used[i]) remove_flat_dir(cleanup_dirs[i]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int ntp_remove_on_signal(const char *dir) {
    if (strlen(dir) >= NTP_PATH_MAX) return -1;
    for (int i = 0; i < NTP_MAX_CLEANUP; i++) {
        if (!cleanup_used[i]) {
            strcpy(cleanup_dirs[i], dir);
            cleanup_used[i] = 1;
            if (!handlers_installed) {
                handlers_installed = 1;
                for (unsigned k = 0; k < sizeof watched_signals / sizeof watched_signals[0]; k++) {
                    struct sigaction sa;
                    memset(&sa, 0, sizeof sa);
                    sa.sa_handler = on_signal;
                    sigemptyset(&sa.sa_mask);
                    sigaction(watched_signals[k], &sa, NULL);
                }
            }
            return 0;
        }
    }
    return -1;
}

void ntp_forget_on_signal(const char *dir) {
    for (int i = 0; i < NTP_MAX_CLEANUP; i++) {
        if (cleanup_used[i] && strcmp(cleanup_dirs[i], dir) == 0) cleanup_used[i] = 0;
    }
}
