/* SPDX-License-Identifier: MIT */
/* GET /metrics: the backend's figures in Prometheus' text format. */
#ifndef FLYWALL_API_METRICS_H
#define FLYWALL_API_METRICS_H

#include "api/backend.h"

/* Prometheus text of the backend's figures (metrics.c); malloc'd. */
char *fw_api_metrics_text(const struct fw_api_backend *be);

#endif
