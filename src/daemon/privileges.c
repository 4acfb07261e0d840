// SPDX-License-Identifier: MIT
#include "daemon/privileges.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/log.h"

static const cap_value_t kept_caps[] = {
	CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_RESOURCE,
	CAP_SYSLOG,
};

static bool is_kept(cap_value_t cap, unsigned int extra)
{
	for (size_t i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		if (kept_caps[i] == cap)
			return true;
	return ((extra & FW_KEEP_BIND_SERVICE) && cap == CAP_NET_BIND_SERVICE) ||
	       ((extra & FW_KEEP_CHOWN) && cap == CAP_CHOWN);
}

/* The caps of the list we hold now (permitted), for the new sets and the log. */
static int build_kept(cap_t now, unsigned int extra, cap_value_t *kept, char *names, size_t len)
{
	int n = 0;

	names[0] = '\0';
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t has = CAP_CLEAR;
		char *name;

		if (!is_kept(c, extra) || cap_get_flag(now, c, CAP_PERMITTED, &has) || !has)
			continue;
		kept[n++] = c;
		name = cap_to_name(c);
		snprintf(names + strlen(names), len - strlen(names), "%s%s", n > 1 ? " " : "",
			 name ? name : "?");
		cap_free(name);
	}
	return n;
}

int fw_privileges_drop(unsigned int extra, struct fw_error *err)
{
	cap_value_t kept[CAP_LAST_CAP + 1];
	cap_t now = cap_get_proc(), next = cap_init();
	char names[512];
	int n, ret = 0;

	if (!now || !next) {
		ret = fw_error_set(err, errno, "reading capabilities: %s", strerror(errno));
		goto out;
	}
	n = build_kept(now, extra, kept, names, sizeof(names));
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which the
	 * next step gives up. Without CAP_SETPCAP (not root) there is nothing
	 * to drop there that execve could regain under NO_NEW_PRIVS anyway. */
	if (CAP_IS_SUPPORTED(CAP_SETPCAP)) {
		cap_flag_value_t setpcap = CAP_CLEAR;

		cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
		for (cap_value_t c = 0; setpcap && c <= CAP_LAST_CAP; c++)
			if (!is_kept(c, extra) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c)) {
				ret = fw_error_set(err, errno, "dropping capabilities: %s",
						   strerror(errno));
				goto out;
			}
	}
	if ((n && (cap_set_flag(next, CAP_PERMITTED, n, kept, CAP_SET) ||
		   cap_set_flag(next, CAP_EFFECTIVE, n, kept, CAP_SET))) ||
	    cap_set_proc(next)) {
		ret = fw_error_set(err, errno, "dropping capabilities: %s", strerror(errno));
		goto out;
	}
	cap_reset_ambient(); /* fails harmlessly where ambient caps do not exist */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = fw_error_set(err, errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		goto out;
	}
	fw_info("capabilities kept: %s", n ? names : "none");
out:
	cap_free(now);
	cap_free(next);
	return ret;
}
