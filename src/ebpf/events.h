/* SPDX-License-Identifier: MIT */
/*
 * Decodes the event records Flywall's programs send (ring buffer or perf
 * buffer; each starts with struct fw_event_hdr, include/flywall/events.h)
 * into JSON objects, one table entry per enum fw_event_type. Every object has
 * "type" (a name: "dns", "dhcp", "net_rx", "tcp_connect", ...), "ts_ns"
 * (bpf_ktime_get_ns) and "cpu", then the fields of its type (docs/programs.md).
 */
#ifndef FLYWALL_EBPF_EVENTS_H
#define FLYWALL_EBPF_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Decodes one record. A record of a type this build does not know, or too
 * short for its type, becomes {"type":"raw","type_id":N,"size":N,"data":hex}
 * (data: the first 256 bytes), so user programs' events still show. NULL only
 * when out of memory. The caller owns the result.
 */
json_t *fw_event_decode(const void *data, size_t size);

/* The stack id the record carries, when its type has one and it is valid
 * (>= 0); false otherwise. */
bool fw_event_stack_id(const void *data, size_t size, int32_t *stack_id);

/* "dns", "tcp_connect", ... or NULL for an unknown type. */
const char *fw_event_type_name(unsigned int type);

#endif
