// SPDX-License-Identifier: MIT
#include "api/deadlines.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"

struct fw_deadline {
	struct fw_deadline *prev, *next;
	int fd;
	uint64_t at_ms;         /* CLOCK_MONOTONIC; 0 = none */
	const char *what;
};

struct fw_deadlines {
	pthread_mutex_t lock;   /* guards the list, and every shutdown() */
	pthread_cond_t changed;
	pthread_t thread;
	struct fw_deadline *head;
	uint64_t wake_at;       /* when the watchdog wakes next; 0 = when told */
	bool stopping;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Shuts down what is overdue; returns the next deadline (0: none). The
 * socket is only shut down, never closed: its own thread sees the end of
 * the stream and closes it, and removes it from here first, under the lock,
 * so the fd cannot have been reused for another connection. */
static uint64_t expire(struct fw_deadlines *w, uint64_t now)
{
	uint64_t next = 0;

	for (struct fw_deadline *d = w->head; d; d = d->next) {
		if (!d->at_ms)
			continue;
		if (d->at_ms <= now) {
			fw_debug("api: closing a connection that did not finish its %s in time",
				 d->what);
			shutdown(d->fd, SHUT_RDWR);
			d->at_ms = 0;
		} else if (!next || d->at_ms < next) {
			next = d->at_ms;
		}
	}
	return next;
}

static void *watch(void *arg)
{
	struct fw_deadlines *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		uint64_t next = expire(w, now_ms());

		w->wake_at = next;
		if (!next) {
			pthread_cond_wait(&w->changed, &w->lock);
		} else {
			struct timespec until = { .tv_sec = next / 1000,
						  .tv_nsec = (next % 1000) * 1000000L };

			pthread_cond_timedwait(&w->changed, &w->lock, &until);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct fw_deadlines *fw_deadlines_start(void)
{
	struct fw_deadlines *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, watch, w)) {
		pthread_cond_destroy(&w->changed);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void fw_deadlines_stop(struct fw_deadlines *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->changed);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	while (w->head) {
		struct fw_deadline *d = w->head;

		w->head = d->next;
		free(d);
	}
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void set_locked(struct fw_deadlines *w, struct fw_deadline *d, unsigned int ms,
		       const char *what)
{
	d->at_ms = ms ? now_ms() + ms : 0;
	d->what = what;
	/* Woken only when it sleeps past the new deadline: most deadlines come
	 * after one it already waits for, and requests would otherwise wake it
	 * (and make it walk the list) several times each. */
	if (ms && (!w->wake_at || d->at_ms < w->wake_at)) {
		w->wake_at = d->at_ms;
		pthread_cond_signal(&w->changed);
	}
}

struct fw_deadline *fw_deadline_add(struct fw_deadlines *w, int fd, unsigned int ms,
				    const char *what)
{
	struct fw_deadline *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fd = fd;
	pthread_mutex_lock(&w->lock);
	d->next = w->head;
	if (w->head)
		w->head->prev = d;
	w->head = d;
	set_locked(w, d, ms, what);
	pthread_mutex_unlock(&w->lock);
	return d;
}

void fw_deadline_set(struct fw_deadlines *w, struct fw_deadline *d, unsigned int ms,
		     const char *what)
{
	if (!d)
		return;
	pthread_mutex_lock(&w->lock);
	set_locked(w, d, ms, what);
	pthread_mutex_unlock(&w->lock);
}

void fw_deadline_remove(struct fw_deadlines *w, struct fw_deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&w->lock);
	if (d->prev)
		d->prev->next = d->next;
	else
		w->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	pthread_mutex_unlock(&w->lock);
	free(d);
}
