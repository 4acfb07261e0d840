// SPDX-License-Identifier: MIT
/* The API's backend table filled with the daemon's implementation
 * (src/daemon/backend.c, declared in src/api/backend.h). */
#include "api/backend.h"
#include "api/routes.h"

const struct fw_api_backend fw_api_daemon_backend = {
	.program_dir = fw_backend_program_dir,
	.default_map_size = fw_backend_default_map_size,
	.programs = fw_backend_programs,
	.program = fw_backend_program,
	.program_stats = fw_backend_program_stats,
	.load = fw_backend_load,
	.update_args = fw_backend_update_args,
	.unload = fw_backend_unload,
	.maps = fw_backend_maps,
	.map_data = fw_backend_map_data,
	.map_stream = fw_backend_map_stream,
	.map_update = fw_backend_map_update,
	.map_begin = fw_backend_map_begin,
	.map_put = fw_backend_map_put,
	.map_commit = fw_backend_map_commit,
	.map_abort = fw_backend_map_abort,
	.map_delete = fw_backend_map_delete,
	.map_stats = fw_backend_map_stats,
	.stats = fw_backend_stats,
	.blocklist_add = fw_backend_blocklist_add,
	.blocklist_delete = fw_backend_blocklist_delete,
	.blocklist_page = fw_backend_blocklist_page,
	.blocklist_stream = fw_backend_blocklist_stream,
	.blocklist_begin = fw_backend_blocklist_begin,
	.blocklist_put = fw_backend_blocklist_put,
	.blocklist_commit = fw_backend_blocklist_commit,
	.blocklist_abort = fw_backend_blocklist_abort,
	.events_since = fw_backend_events_since,
};
