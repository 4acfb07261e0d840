# Flywall — build, test, bench, demo. Quiet by default; `make V=1` shows commands.
.DELETE_ON_ERROR:
.SUFFIXES:

V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PREFIX  ?= /usr/local
PROGRAM_DIR ?= /etc/flywall/ebpf
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

WARN    := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
CFLAGS  += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -MMD -MP
LDLIBS  := -lbpf -lmnl -lelf -lz -lnettle -lmicrohttpd -ljansson -lcurl -lpcap -lcap -lunistring -lnats -lpthread -lm
ASAN    := -fsanitize=address,undefined -fno-omit-frame-pointer
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Wno-unused-function \
	      -I$(BUILD) -Iinclude -Ibpf/lib

SRCS      := $(sort $(wildcard src/*.c src/*/*.c))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
OBJS      := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
ASAN_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/asan/%.o)
BPF_SRCS  := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.o)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(sort $(wildcard tests/unit/test_*.c)))
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(sort $(wildcard tests/bpf/test_*.c)))
E2E_BINS  := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(sort $(wildcard tests/e2e/*.c)))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard bench/*.c)))

# The dashboard's files (ui/), compiled into the binary as C arrays
# (scripts/embed-ui.sh): the daemon serves them with no file at run time.
UI_FILES  := $(sort $(wildcard ui/*.html ui/*.js ui/*.css))
UI_GEN    := $(BUILD)/gen/ui_assets.c
OBJS      += $(BUILD)/obj/gen/ui_assets.o
LIB_OBJS  += $(BUILD)/obj/gen/ui_assets.o
ASAN_OBJS += $(BUILD)/asan/gen/ui_assets.o

# Objects named only in pattern rules would count as intermediate and be
# deleted after each build, forcing a full rebuild of the test binaries.
.SECONDARY: $(ASAN_OBJS) $(LIB_OBJS) $(BPF_OBJS)

.PHONY: all test test-build deps demo bench fuzz install deb clean mutate

VERSION ?= 0.9.0
$(BUILD)/obj/main.o: CFLAGS += -DFW_VERSION='"$(VERSION)"'

all: $(BUILD)/flywall $(BPF_OBJS) $(BUILD)/man/flywall.8 $(BUILD)/completion/flywall

# `make test` works on a fresh machine: it installs what is missing first.
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)BUILD=$(BUILD) tests/run.sh

test-build: all $(UNIT_BINS) $(BPFT_BINS) $(E2E_BINS) $(BUILD)/tests/hcl-oracle

deps:
	$(Q)scripts/install-deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo.sh

# Mutation testing (on demand, not part of `make test`): do the tests catch
# realistic bugs? tests/mutations.txt lists them; the score goes in tests/README.md.
mutate: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)BUILD=$(BUILD) scripts/mutate.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) bench/run.sh

$(BUILD)/flywall: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The man page and the bash completion, generated from the CLI's command
# tables by the binary itself (so they never disagree with it).
$(BUILD)/man/flywall.8: $(BUILD)/flywall
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BUILD)/flywall help --man >$@

$(BUILD)/completion/flywall: $(BUILD)/flywall
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BUILD)/flywall completion bash >$@

$(BUILD)/obj/%.o: src/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: src/%.c
	$(call msg,CC-ASAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN) -c -o $@ $<

$(UI_GEN): $(UI_FILES) scripts/embed-ui.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/embed-ui.sh $(UI_FILES) >$@

$(BUILD)/obj/gen/ui_assets.o: $(UI_GEN)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/gen/ui_assets.o: $(UI_GEN)
	$(call msg,CC-ASAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN) -c -o $@ $<

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -c -o $@ $<

# Objects the binary carries inside itself (bpftool skeletons, included as
# "NAME.skel.h"), so it needs no file at run time: `ebpf features` embeds
# feature_probes.
SKELS := $(BUILD)/skel/feature_probes.skel.h $(BUILD)/skel/xdp_chain.skel.h
CFLAGS += -I$(BUILD)/skel
$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@
$(BUILD)/obj/ebpf/features.o $(BUILD)/asan/ebpf/features.o: $(SKELS)
$(BUILD)/obj/ebpf/chain.o $(BUILD)/asan/ebpf/chain.o: $(SKELS)

# Unit tests need no privileges and run under AddressSanitizer + UBSan.
$(BUILD)/tests/unit/%: tests/unit/%.c $(ASAN_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN) -Itests -o $@ $^ $(LDLIBS) -lcmocka

# BPF tests run the shipped programs in the kernel (BPF_PROG_TEST_RUN).
$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS) $(BPF_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

# Small C helpers the e2e scripts run (e.g. shaper_tool).
$(BUILD)/tests/e2e/%: tests/e2e/%.c $(LIB_OBJS) $(BPF_OBJS)
	$(call msg,TOOL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(LDLIBS)

# HashiCorp's HCL parser, the reference of tests/e2e/test_hcl_conformance.sh:
# built offline (GOPATH mode) from the sources Debian packages in
# golang-github-hashicorp-hcl-v2-dev; scripts/install-deps.sh installs them.
GO_PATH ?= /usr/share/gocode
$(BUILD)/tests/hcl-oracle: tests/hcl-oracle/main.go
	$(call msg,GO,$@)
	$(Q)command -v go >/dev/null || { echo "go not found: run scripts/install-deps.sh" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)GO111MODULE=off GOPATH=$(GO_PATH) GOFLAGS= GOCACHE=$(abspath $(BUILD))/go-cache \
		go build -o $@ ./tests/hcl-oracle

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS) $(BPF_OBJS)
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(LDLIBS)

# libFuzzer targets (not part of `make test`; the unit suite carries a
# deterministic truncation/random-input test of the same entry points).
fuzz: $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | $(SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
		-Iinclude -Isrc -I$(BUILD)/skel -o $@ $^ $(LDLIBS)

# `make install` (DESTDIR, PREFIX): the binary, the programs, the headers
# `ebpf compile` uses, the systemd unit, the man pages, bash completion, an
# example configuration and the Grafana dashboard. flywall(8) and the
# completion are generated into $(BUILD)/man and $(BUILD)/completion from the
# CLI's own command tables.
MAN_DIR  ?= $(PREFIX)/share/man
DOC_DIR  ?= $(PREFIX)/share/doc/flywall
DATA_DIR ?= $(PREFIX)/share/flywall
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
install: all
	install -D -m 0755 $(BUILD)/flywall $(DESTDIR)$(PREFIX)/sbin/flywall
	install -d $(DESTDIR)$(PROGRAM_DIR)
	install -m 0644 $(filter-out $(SKELS:$(BUILD)/skel/%.skel.h=$(BUILD)/bpf/%.o),$(BPF_OBJS)) \
		$(DESTDIR)$(PROGRAM_DIR)/
	# headers for `flywall ebpf compile` (found beside the binary: PREFIX/include)
	install -d $(DESTDIR)$(PREFIX)/include/flywall/bpf
	install -m 0644 include/flywall/*.h $(DESTDIR)$(PREFIX)/include/flywall/
	install -m 0644 bpf/lib/*.h $(DESTDIR)$(PREFIX)/include/flywall/bpf/
	# the systemd unit, its ExecStart pointing at this PREFIX
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's#/usr/local/sbin/flywall#$(PREFIX)/sbin/flywall#' packaging/flywall.service \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/flywall.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/flywall.service
	install -D -m 0644 docs/flywall.hcl.5 $(DESTDIR)$(MAN_DIR)/man5/flywall.hcl.5
	install -D -m 0644 $(BUILD)/man/flywall.8 $(DESTDIR)$(MAN_DIR)/man8/flywall.8
	install -D -m 0644 $(BUILD)/completion/flywall $(DESTDIR)$(BASH_COMPLETION_DIR)/flywall
	install -D -m 0644 examples/flywall.hcl $(DESTDIR)$(DOC_DIR)/examples/flywall.hcl
	install -D -m 0644 packaging/grafana-dashboard.json \
		$(DESTDIR)$(DATA_DIR)/grafana-dashboard.json

# A Debian package (dpkg-deb) of `make install` with PREFIX=/usr:
# $(BUILD)/flywall_$(VERSION)_ARCH.deb. Its dependencies come from
# dpkg-shlibdeps (dpkg-dev).
deb: all
	$(call msg,DEB,$(BUILD)/deb)
	$(Q)rm -rf $(BUILD)/deb
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(abspath $(BUILD))/deb/root PREFIX=/usr \
		>/dev/null
	$(Q)packaging/mkdeb.sh $(BUILD)/deb/root $(VERSION) $(BUILD)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
