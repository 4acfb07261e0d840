/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr: "flywall[pid] LEVEL: message". */
#ifndef FLYWALL_COMMON_LOG_H
#define FLYWALL_COMMON_LOG_H

enum fw_log_level { FW_LOG_ERROR, FW_LOG_WARN, FW_LOG_INFO, FW_LOG_DEBUG };

void fw_log_set_level(enum fw_log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int fw_log_level_parse(const char *name);
void fw_log(enum fw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define fw_err_log(...) fw_log(FW_LOG_ERROR, __VA_ARGS__)
#define fw_warn(...) fw_log(FW_LOG_WARN, __VA_ARGS__)
#define fw_info(...) fw_log(FW_LOG_INFO, __VA_ARGS__)
#define fw_debug(...) fw_log(FW_LOG_DEBUG, __VA_ARGS__)

#endif
