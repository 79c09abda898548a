/* progress.h — a progress bar on stderr for every long step.
 * On a terminal it redraws one line at most 10 times a second; otherwise it prints a plain
 * line at most every 10 seconds, plus a final one. Quiet mode prints nothing. */
#ifndef N2G_PROGRESS_H
#define N2G_PROGRESS_H

typedef struct progress progress;

/* label: "scrape"; unit: "rows", "neurons", "B" (bytes: shown as MB); total 0 = unknown. */
progress *progress_start(const char *label, double total, const char *unit, int quiet);
/* done: units completed so far; extra: optional text appended (e.g. "12.3k tok/s"). */
void progress_update(progress *p, double done, const char *extra);
void progress_set_total(progress *p, double total);
/* Units already done before this process started (a resumed run): shown in the count, left out
 * of the rate and so of the ETA. */
void progress_set_start(progress *p, double done0);
/* Prints the final line (with elapsed time) and frees p. */
void progress_finish(progress *p);
double progress_now(void); /* monotonic seconds */

#endif
