/* SPDX-License-Identifier: MIT */
/*
 * Absolute deadlines for the API's connections. libmicrohttpd's own timeout
 * is an idle timeout: a client that sends one header byte every few seconds
 * keeps a connection (and its thread) forever. Here each connection has a
 * point in time by which its current phase (headers, body, answer) must be
 * done; a watchdog thread shuts the socket down when it passes, and the
 * connection's own thread then closes it as it would any broken connection.
 */
#ifndef FLYWALL_API_DEADLINES_H
#define FLYWALL_API_DEADLINES_H

struct fw_deadlines;
struct fw_deadline;

/* Starts the watchdog; NULL when out of memory or threads. */
struct fw_deadlines *fw_deadlines_start(void);
/* Stops the watchdog and frees it; entries still present are freed too.
 * NULL is fine. */
void fw_deadlines_stop(struct fw_deadlines *w);

/* Watches socket fd: it is shut down when ms milliseconds have passed
 * (0: no deadline yet), unless the deadline is moved or removed first.
 * what names the phase in the log. NULL when out of memory. */
struct fw_deadline *fw_deadline_add(struct fw_deadlines *w, int fd, unsigned int ms,
				    const char *what);
/* A new deadline, ms from now (0: none), for the phase named what. */
void fw_deadline_set(struct fw_deadlines *w, struct fw_deadline *d, unsigned int ms,
		     const char *what);
/* Forgets the socket; call before it is closed (the fd may be reused). */
void fw_deadline_remove(struct fw_deadlines *w, struct fw_deadline *d);

#endif
