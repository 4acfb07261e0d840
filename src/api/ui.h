/* SPDX-License-Identifier: MIT */
/*
 * The dashboard (docs/dashboard.md): its page and assets, compiled into the
 * binary from ui/ (scripts/embed-ui.sh writes them as C arrays at build
 * time: no file and no network at run time), and GET /api/ebpf/rates, the
 * packet rates it charts, computed from the programs' kernel counters.
 */
#ifndef FLYWALL_API_UI_H
#define FLYWALL_API_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "api/backend.h"
#include "api/response.h"

/* What every answer of the API carries (server.c): the page loads only its
 * own script and style, talks only to its own origin, and may not be framed. */
#define FW_API_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
		   "img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
		   "form-action 'none'; frame-ancestors 'none'"

struct fw_ui_asset {
	const char *name;               /* file name in ui/ */
	const unsigned char *data;
	size_t len;
};

/* The generated table (BUILD/gen/ui_assets.c), ended by a NULL name. */
extern const struct fw_ui_asset fw_ui_assets[];

/* Whether the request is for the page or one of its assets, which hold no
 * data: served without the token under api { read_auth } too (the page then
 * asks for the token and sends it with its own requests). */
bool fw_api_ui_public(const char *method, const char *path);

/* GET / (index.html) and GET /ui/NAME. */
void fw_api_ui_asset(const char *name, struct fw_api_response *resp);

/* GET /api/ebpf/rates[?events_since=SEQ]: per program, each named counter's
 * total and its rate per second. One computation a second serves every
 * client (the answer is kept for FW_RATES_MIN_INTERVAL_S), so N open
 * dashboards cost one. With events_since (a query value or NULL), also the
 * newest events numbered from SEQ on (at most FW_RATES_EVENTS_MAX; how many
 * older ones were passed over in events_skipped) and next_seq:
 * a dashboard needs one short request a second, no stream held open (a
 * browser opens at most 6 connections to one host, which 6 open streams
 * would take). */
#define FW_RATES_MIN_INTERVAL_S 0.9
#define FW_RATES_MAX_INTERVAL_S 5.0    /* older samples give no rate */
#define FW_RATES_EVENTS_MAX 500
#define FW_RATES_EVENTS_ROUNDS 20      /* a page at most 10,000 events behind catches up */
/* What the dashboards share; one per API server (fw_api_context.ui). */
struct fw_api_ui;
struct fw_api_ui *fw_api_ui_new(void);        /* NULL: out of memory */
void fw_api_ui_free(struct fw_api_ui *ui);    /* NULL is fine */
/* ui NULL (a context without one): 501. */
void fw_api_rates(struct fw_api_ui *ui, const struct fw_api_backend *be,
		  const char *events_since, struct fw_api_response *resp);

#endif
