// SPDX-License-Identifier: MIT
/*
 * GET /metrics: the Prometheus text exposition format (version 0.0.4) of the
 * figures the backend gives as JSON. Each family is written whole (HELP,
 * TYPE, then every sample), as the format requires.
 */
#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one family reads from each program's or map's stats object. */
struct family {
	const char *name;
	const char *type;       /* counter, gauge */
	const char *help;
	const char *field;      /* key in the stats JSON */
	double scale;           /* e.g. ns → s */
};

static const struct family program_families[] = {
	{ "flywall_program_runs_total", "counter",
	  "Times the program ran (needs kernel run statistics on).", "run_cnt", 1 },
	{ "flywall_program_run_seconds_total", "counter",
	  "Time spent running the program.", "run_time_ns", 1e-9 },
	{ "flywall_program_average_run_seconds", "gauge",
	  "Average time per run.", "avg_ns", 1e-9 },
};

static const struct family map_families[] = {
	{ "flywall_map_entries", "gauge",
	  "Entries in the map (kept by the daemon, or counted at most 10 s ago: see the age).",
	  "entries", 1 },
	{ "flywall_map_entries_age_seconds", "gauge",
	  "How old flywall_map_entries is (0 for counts the daemon keeps).",
	  "entries_age_seconds", 1 },
	{ "flywall_map_max_entries", "gauge", "Capacity of the map.", "max_entries", 1 },
	{ "flywall_map_utilization_ratio", "gauge", "entries / max_entries.",
	  "utilization", 1 },
	{ "flywall_map_memory_bytes", "gauge", "Kernel memory the map uses.", "memory", 1 },
};

/* A Prometheus label value: backslash, quote and newline escaped (runs
 * without them written whole: this is the hot loop of a scrape). */
static void put_label(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%s=\"", key);
	while (*value) {
		size_t run = strcspn(value, "\\\"\n");

		fwrite(value, 1, run, out);
		value += run;
		if (*value == '\n')
			fputs("\\n", out);
		else if (*value)
			fprintf(out, "\\%c", *value);
		if (*value)
			value++;
	}
	fputc('"', out);
}

static void put_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Integers print exactly; scaled or real figures with 15 significant
 * digits, which a double always holds. */
static void put_value(FILE *out, json_t *v, double scale)
{
	if (json_is_integer(v) && scale == 1)
		fprintf(out, " %lld\n", (long long)json_integer_value(v));
	else
		fprintf(out, " %.15g\n", json_number_value(v) * scale);
}

/* One object name → stats, for each program or map the backend lists. */
struct subject {
	const char *name;
	json_t *stats;
};

static void put_families(FILE *out, const struct family *fams, size_t n_fams,
			 const char *label, const struct subject *subs, size_t n_subs)
{
	for (size_t f = 0; f < n_fams; f++) {
		bool header = false;

		for (size_t s = 0; s < n_subs; s++) {
			json_t *v = json_object_get(subs[s].stats, fams[f].field);

			if (!json_is_number(v))
				continue;
			if (!header)
				put_header(out, fams[f].name, fams[f].type, fams[f].help);
			header = true;
			fprintf(out, "%s{", fams[f].name);
			put_label(out, label, subs[s].name);
			fputc('}', out);
			put_value(out, v, fams[f].scale);
		}
	}
}

/*
 * The program's own counters: "counters": {"MAP": [N, ...]} (one per slot),
 * named by "counter_names": {"MAP": [{"counter", "verdict", "reason"} or
 * null, ...]} when the program declares names in its BTF
 * (src/ebpf/counter_names.h). Two families, so that a sum over one never
 * mixes packets with other things:
 *   flywall_program_packets_total{program,map,verdict,reason}  VERDICT__REASON slots
 *   flywall_program_counts_total{program,map,counter}          NAME slots
 * A map without names gives flywall_program_counts_total{program,map,slot="N"}
 * for every slot; a map with names leaves out the slots it does not name.
 */
enum counter_family { PACKETS, COUNTS };

static const struct family counter_families[] = {
	[PACKETS] = { "flywall_program_packets_total", "counter",
		      "Packets the program counted, by verdict and reason (per-CPU values summed).",
		      NULL, 1 },
	[COUNTS] = { "flywall_program_counts_total", "counter",
		     "Other counters the program keeps in its maps (per-CPU values summed).",
		     NULL, 1 },
};

/* Whether slot i of a map belongs to family f; fills the labels after map. */
static bool slot_in_family(json_t *names, size_t i, enum counter_family f,
			   const char **k1, const char **v1, const char **k2, const char **v2)
{
	json_t *name = json_array_get(names, i);
	const char *verdict = json_string_value(json_object_get(name, "verdict"));

	*k2 = *v2 = NULL;
	if (!names)
		return f == COUNTS;     /* unnamed: slot="N", written by the caller */
	if (!json_is_object(name))
		return false;
	if (f == PACKETS && verdict) {
		*k1 = "verdict", *v1 = verdict;
		*k2 = "reason", *v2 = json_string_value(json_object_get(name, "reason"));
		return *v2 != NULL;
	}
	if (f == COUNTS && !verdict) {
		*k1 = "counter", *v1 = json_string_value(json_object_get(name, "counter"));
		return *v1 != NULL;
	}
	return false;
}

static void put_counter_family(FILE *out, enum counter_family f, const struct subject *subs,
			       size_t n)
{
	bool header = false;

	for (size_t s = 0; s < n; s++) {
		json_t *counters = json_object_get(subs[s].stats, "counters"), *values;
		json_t *all_names = json_object_get(subs[s].stats, "counter_names");
		const char *map;

		json_object_foreach(counters, map, values) {
			json_t *names = json_object_get(all_names, map), *v;
			const char *k1, *v1, *k2, *v2;
			char slot[24];
			size_t i;

			json_array_foreach(values, i, v) {
				if (!json_is_number(v) ||
				    !slot_in_family(names, i, f, &k1, &v1, &k2, &v2))
					continue;
				if (!names) {
					snprintf(slot, sizeof(slot), "%zu", i);
					k1 = "slot", v1 = slot;
				}
				if (!header)
					put_header(out, counter_families[f].name, "counter",
						   counter_families[f].help);
				header = true;
				fprintf(out, "%s{", counter_families[f].name);
				put_label(out, "program", subs[s].name);
				fputc(',', out);
				put_label(out, "map", map);
				fputc(',', out);
				put_label(out, k1, v1);
				if (k2) {
					fputc(',', out);
					put_label(out, k2, v2);
				}
				fputc('}', out);
				put_value(out, v, 1);
			}
		}
	}
}

static void put_program_counters(FILE *out, const struct subject *subs, size_t n)
{
	put_counter_family(out, PACKETS, subs, n);
	put_counter_family(out, COUNTS, subs, n);
}

/* Stats of each listed item, by the name the stats call takes. */
static struct subject *gather(json_t *list, const char *const *name_keys,
			      int (*stats)(void *, const char *, json_t **, struct fw_error *),
			      void *ctx, size_t *n)
{
	struct subject *subs = calloc(json_array_size(list) + 1, sizeof(*subs));
	json_t *item;
	size_t i;

	*n = 0;
	if (!subs)
		return NULL;
	json_array_foreach(list, i, item) {
		struct fw_error err = { 0 };
		const char *name = NULL;

		for (const char *const *k = name_keys; *k && !name; k++)
			name = json_string_value(json_object_get(item, *k));
		if (!name)
			continue;
		subs[*n].name = name;
		if (stats(ctx, name, &subs[*n].stats, &err) < 0)
			subs[*n].stats = json_incref(item);  /* the summary still has figures */
		fw_error_clear(&err);
		(*n)++;
	}
	return subs;
}

static void release(struct subject *subs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(subs[i].stats);
	free(subs);
}

/* The cluster's figures (docs/cluster.md), when the daemon runs one. */
static void put_cluster(FILE *out, const struct fw_api_backend *be)
{
	json_t *c = be->cluster ? be->cluster(be->ctx) : NULL;

	if (c && json_is_true(json_object_get(c, "enabled"))) {
		put_header(out, "flywall_cluster_connected", "gauge",
			   "1 while a NATS server of the cluster is connected.");
		fprintf(out, "flywall_cluster_connected %d\n",
			json_is_true(json_object_get(c, "connected")));
		put_header(out, "flywall_cluster_lag", "gauge",
			   "Changes in the cluster's stream not applied here yet (as last seen).");
		fprintf(out, "flywall_cluster_lag %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(c, "lag")));
		put_header(out, "flywall_cluster_applied_sequence", "gauge",
			   "Last sequence of the cluster's stream applied here.");
		fprintf(out, "flywall_cluster_applied_sequence %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(c, "applied_seq")));
		put_header(out, "flywall_cluster_apply_errors_total", "counter",
			   "Changes from the stream that could not be applied here.");
		fprintf(out, "flywall_cluster_apply_errors_total %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(c, "apply_errors")));
	}
	json_decref(c);
}

char *fw_api_metrics_text(const struct fw_api_backend *be)
{
	static const char *const prog_keys[] = { "name", NULL };
	static const char *const map_keys[] = { "qualified", "name", NULL };
	json_t *programs = be->programs(be->ctx), *maps = be->maps(be->ctx);
	struct subject *progs, *map_subs;
	size_t n_progs = 0, n_maps = 0, len;
	char *text = NULL;
	FILE *out;

	out = open_memstream(&text, &len);
	if (!out)
		goto done;
	progs = gather(programs, prog_keys, be->program_stats, be->ctx, &n_progs);
	map_subs = gather(maps, map_keys, be->map_stats, be->ctx, &n_maps);
	put_header(out, "flywall_up", "gauge", "1 while the daemon answers.");
	fputs("flywall_up 1\n", out);
	put_header(out, "flywall_programs", "gauge", "Programs loaded.");
	fprintf(out, "flywall_programs %zu\n", json_array_size(programs));
	put_header(out, "flywall_maps", "gauge", "Maps held by loaded programs.");
	fprintf(out, "flywall_maps %zu\n", json_array_size(maps));
	put_families(out, program_families, sizeof(program_families) / sizeof(*program_families),
		     "program", progs, n_progs);
	put_program_counters(out, progs, n_progs);
	put_families(out, map_families, sizeof(map_families) / sizeof(*map_families),
		     "map", map_subs, n_maps);
	put_cluster(out, be);
	release(progs, n_progs);
	release(map_subs, n_maps);
	if (fclose(out)) {
		free(text);
		text = NULL;
	}
done:
	json_decref(programs);
	json_decref(maps);
	return text;
}
