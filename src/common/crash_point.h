/* SPDX-License-Identifier: MIT */
/*
 * Crash injection for the crash-consistency test (tests/e2e/test_crash.sh):
 * with FLYWALL_CRASH_AT=NAME[:N] in its environment, the process kills
 * itself with SIGKILL the Nth time (default: the first) it passes the point
 * called NAME, so a crash lands exactly between two steps of an apply. Without
 * the variable a point costs one comparison.
 */
#ifndef FLYWALL_COMMON_CRASH_POINT_H
#define FLYWALL_COMMON_CRASH_POINT_H

void fw_crash_point(const char *name);

#endif
