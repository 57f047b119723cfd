# capturo + detengo: one Makefile for both programs, their tests and their pages.

PREFIX?=	/usr/local
BINDIR?=	$(PREFIX)/sbin
MANDIR?=	$(PREFIX)/share/man
EXDIR?=		$(PREFIX)/share/doc/capturo/examples
DATADIR?=	$(PREFIX)/share/detengo
DESTDIR?=

CC?=		cc
PKG_CONFIG?=	pkg-config
VERSION=	0.1.0

WARN=		-Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
		-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
		-Wsign-compare -Wformat=2
HARDEN=		-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS?=	-O2 -g
CFLAGS+=	-std=gnu11 $(WARN) -iquote common -iquote capturo \
		-iquote detengo -D_GNU_SOURCE -DVERSION=\"$(VERSION)\"
LDFLAGS+=	-pie -Wl,-z,relro,-z,now

PCAP_CFLAGS!=	$(PKG_CONFIG) --cflags libpcap 2>/dev/null
PCAP_LIBS!=	$(PKG_CONFIG) --libs libpcap 2>/dev/null || echo -lpcap
IPTC_CFLAGS!=	$(PKG_CONFIG) --cflags libip4tc libip6tc 2>/dev/null
IPTC_LIBS!=	$(PKG_CONFIG) --libs libip4tc libip6tc 2>/dev/null || echo -lip4tc -lip6tc
INOTIFY_LIBS!=	$(PKG_CONFIG) --libs libinotifytools 2>/dev/null || echo -linotifytools
NFT_CFLAGS!=	$(PKG_CONFIG) --cflags libnftnl libmnl 2>/dev/null
NFT_LIBS!=	$(PKG_CONFIG) --libs libnftnl libmnl 2>/dev/null || echo -lnftnl -lmnl
IPSET_CFLAGS!=	$(PKG_CONFIG) --cflags libipset 2>/dev/null
IPSET_LIBS!=	$(PKG_CONFIG) --libs libipset 2>/dev/null || echo -lipset
FW_CFLAGS=	$(IPTC_CFLAGS) $(NFT_CFLAGS) $(IPSET_CFLAGS)
FW_LIBS=	$(IPTC_LIBS) $(NFT_LIBS) $(IPSET_LIBS)

# sanitizer build of the same sources, for the unit tests and replays
SANFLAGS=	-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all

COMMON_SRCS=	common/event.c \
		common/evout.c \
		common/addr.c \
		common/ascii.c \
		common/hash.c \
		common/log.c \
		common/ports.c \
		common/metrics.c \
		common/wake.c

CAPTURO_SRCS=	capturo/capturo.c \
		capturo/decode.c \
		capturo/flow.c \
		capturo/reasm.c \
		capturo/smtp.c \
		capturo/mime.c \
		capturo/ring.c \
		capturo/copy.c \
		capturo/dns.c \
		capturo/tls.c \
		capturo/rbl.c

DETENGO_SRCS=	detengo/detengo.c \
		detengo/tail.c \
		detengo/policy.c \
		detengo/state.c \
		detengo/fw/fw.c \
		detengo/fw/iptc.c \
		detengo/fw/nft.c \
		detengo/fw/ipset.c \
		detengo/fw/dry.c \
		detengo/hset.c \
		detengo/oidx.c \
		detengo/notify.c \
		detengo/why.c \
		detengo/sig.c

# unit tests: name and the sources each one links
T_event_SRCS=	tests/unit/t_event.c common/event.c common/addr.c common/ascii.c
T_addr_SRCS=	tests/unit/t_addr.c common/addr.c common/ascii.c
T_smtp_SRCS=	tests/unit/t_smtp.c capturo/smtp.c capturo/mime.c common/ascii.c
T_mime_SRCS=	tests/unit/t_mime.c capturo/mime.c common/ascii.c
T_rbl_SRCS=	tests/unit/t_rbl.c capturo/rbl.c common/addr.c common/ascii.c
T_reasm_SRCS=	tests/unit/t_reasm.c capturo/reasm.c
T_decode_SRCS=	tests/unit/t_decode.c capturo/decode.c
T_policy_SRCS=	tests/unit/t_policy.c detengo/policy.c detengo/hset.c detengo/oidx.c \
		common/addr.c common/ascii.c common/hash.c
T_state_SRCS=	tests/unit/t_state.c detengo/state.c detengo/oidx.c common/addr.c \
		common/ascii.c common/hash.c
T_ports_SRCS=	tests/unit/t_ports.c common/ports.c
T_hash_SRCS=	tests/unit/t_hash.c common/hash.c
T_oidx_SRCS=	tests/unit/t_oidx.c detengo/oidx.c
T_metrics_SRCS=	tests/unit/t_metrics.c common/metrics.c
T_why_SRCS=	tests/unit/t_why.c detengo/why.c detengo/state.c detengo/oidx.c \
		common/event.c \
		common/addr.c common/ascii.c common/hash.c
T_sig_SRCS=	tests/unit/t_sig.c detengo/sig.c detengo/hset.c detengo/oidx.c \
		common/addr.c common/ascii.c common/hash.c
T_notify_SRCS=	tests/unit/t_notify.c detengo/notify.c common/event.c \
		common/ascii.c common/addr.c common/log.c
T_hset_SRCS=	tests/unit/t_hset.c detengo/hset.c detengo/oidx.c common/addr.c \
		common/ascii.c common/hash.c
T_ring_SRCS=	tests/unit/t_ring.c capturo/ring.c
T_copy_SRCS=	tests/unit/t_copy.c capturo/copy.c
T_tls_SRCS=	tests/unit/t_tls.c capturo/tls.c
T_dns_SRCS=	tests/unit/t_dns.c capturo/dns.c
# The one list of unit tests: every tests/unit/t_NAME.c, so that a test file
# added or renamed is built and run (its build fails until T_NAME_SRCS
# names its sources).  tests/run.sh asks `make units` for it.  t_fw
# drives the backends as root inside a namespace (tests/e2e_fw.sh), and
# run.sh runs its selftest (the dry backend) alone; t_tail takes a
# directory, and run.sh gives it one.
UNIT_ALL=	$(patsubst tests/unit/t_%.c,%,$(wildcard tests/unit/t_*.c))
UNITS=		$(filter-out fw tail,$(UNIT_ALL))
# the backends' driver runs only as root inside a namespace (tests/e2e_fw.sh)
T_fw_SRCS=	tests/unit/t_fw.c $(filter detengo/fw/%.c detengo/hset.c detengo/oidx.c,$(DETENGO_SRCS)) \
		common/event.c \
		common/addr.c \
		common/ascii.c \
		common/hash.c \
		common/log.c
T_fw_LIBS=	$(FW_LIBS)
T_tail_SRCS=	tests/unit/t_tail.c detengo/tail.c detengo/state.c detengo/oidx.c \
		common/addr.c common/ascii.c common/hash.c common/log.c
T_tail_LIBS=	$(INOTIFY_LIBS)

O=		obj
S=		obj-san

all: capturo/capturo detengo/detengo

objs=		$(patsubst %.c,$(1)/%.o,$(2))

capturo/capturo: $(call objs,$(O),$(CAPTURO_SRCS) $(COMMON_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PCAP_LIBS)

detengo/detengo: $(call objs,$(O),$(DETENGO_SRCS) $(COMMON_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(FW_LIBS) $(INOTIFY_LIBS)

$(O)/%.o: %.c common/bounds.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN) $(PCAP_CFLAGS) $(FW_CFLAGS) -MMD -MP -c -o $@ $<

$(S)/%.o: %.c common/bounds.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(PCAP_CFLAGS) $(FW_CFLAGS) -MMD -MP -c -o $@ $<

# sanitized programs for the replay tests
$(S)/bin/capturo: $(call objs,$(S),$(CAPTURO_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(PCAP_LIBS)

$(S)/bin/detengo: $(call objs,$(S),$(DETENGO_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(FW_LIBS) $(INOTIFY_LIBS)

define unit
$(O)/tests/t_$(1): $(call objs,$(O),$(T_$(1)_SRCS))
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(T_$(1)_LIBS)
$(S)/tests/t_$(1): $(call objs,$(S),$(T_$(1)_SRCS))
	$$(CC) $$(CFLAGS) $$(SANFLAGS) -o $$@ $$^ $$(T_$(1)_LIBS)
endef
$(foreach u,$(UNIT_ALL),$(if $(T_$(u)_SRCS),,$(error tests/unit/t_$(u).c: \
    name the sources it links in T_$(u)_SRCS in the Makefile)))
$(foreach u,$(UNIT_ALL),$(eval $(call unit,$(u))))

UNIT_BINS=	$(foreach u,$(UNIT_ALL),$(O)/tests/t_$(u) $(S)/tests/t_$(u))

units:
	@echo $(UNITS)

tests: all $(UNIT_BINS) $(S)/bin/capturo $(S)/bin/detengo

bench/floor: bench/floor.c
	$(CC) $(CFLAGS) $(HARDEN) $(LDFLAGS) -o $@ $< $(PCAP_LIBS)

deps:
	@sh tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory tests
	@sh tests/run.sh

# every test, and the kernel-facing ones on each of Debian 12's kernels
check-kernels: deps
	@$(MAKE) --no-print-directory tests
	@VM_KERNELS="6.1 6.12" sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/lab.sh demo

bench: deps
	@$(MAKE) --no-print-directory all bench/floor
	@sh bench/run.sh

# the Debian packages, built by dpkg-buildpackage in a copy of the tree
# under $(DEBDIR) (it writes them to the parent directory): they land in
# $(DEBDIR)/, capturo_$(VERSION)_ARCH.deb and detengo_$(VERSION)_ARCH.deb
DEBDIR=		build/deb
deb:
	@sh tests/deps.sh deb
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/src
	tar -cf - --exclude=./build --exclude=./.git --exclude=./$(O) \
	    --exclude=./$(S) --exclude=./obj-fuzz . | tar -C $(DEBDIR)/src -xf -
	cd $(DEBDIR)/src && dpkg-buildpackage -us -uc -b
	rm -rf $(DEBDIR)/src
	@ls $(DEBDIR)/*.deb

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(EXDIR)
	install -m 755 capturo/capturo detengo/detengo $(DESTDIR)$(BINDIR)
	install -m 644 docs/capturo.8 docs/detengo.8 $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/capturo-events.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(filter-out examples/rsyslog examples/notify-%, \
	    $(wildcard examples/*)) $(DESTDIR)$(EXDIR)
	# detengo -e's programs, and the drop-ins its unit needs for them
	install -d $(DESTDIR)$(DATADIR)
	install -m 755 examples/notify-mail examples/notify-webhook \
	    $(DESTDIR)$(DATADIR)
	install -m 644 examples/notify-mail.conf examples/notify-webhook.conf \
	    $(DESTDIR)$(DATADIR)
	install -d $(DESTDIR)$(EXDIR)/rsyslog
	install -m 644 examples/rsyslog/*.conf $(DESTDIR)$(EXDIR)/rsyslog

clean:
	rm -rf $(O) $(S) obj-fuzz build capturo/capturo detengo/detengo \
	    bench/floor

.PHONY: all check check-kernels demo bench deps deb tests units install clean

-include $(shell find $(O) $(S) -name '*.d' 2>/dev/null)

# --- fuzzing: tests/fuzz/, results in docs/security.md ("Fuzzing") ---
# libFuzzer targets built by clang into obj-fuzz/; the same targets with
# tests/fuzz/onefile.c as plain programs that replay files, built by $(CC)
# with the sanitizers into obj-san/tests/fuzz/.  `make fuzz` runs each
# target FUZZ_SECONDS, `make fuzz-check` 5 s each on the committed corpus,
# `make fuzz-merge` adds what `make fuzz` found to the committed corpus.
FUZZ_CC?=	clang
FUZZ_SECONDS?=	60
# every tests/fuzz/fz_NAME.c, with its sources in FZ_NAME_SRCS
FUZZ_TARGETS=	$(patsubst tests/fuzz/fz_%.c,%,$(wildcard tests/fuzz/fz_*.c))
FUZZ_FLAGS=	-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all
FZ=		obj-fuzz
FZ_smtp_SRCS=	capturo/smtp.c capturo/mime.c common/ascii.c
FZ_reasm_SRCS=	capturo/reasm.c
FZ_event_SRCS=	common/event.c common/addr.c common/ascii.c
FZ_state_SRCS=	detengo/state.c detengo/oidx.c common/addr.c common/ascii.c \
		common/hash.c
FZ_mime_SRCS=	capturo/mime.c common/ascii.c
FZ_rbl_SRCS=	capturo/rbl.c common/addr.c common/ascii.c
FZ_decode_SRCS=	capturo/decode.c
FZ_tls_SRCS=	capturo/tls.c
FZ_dns_SRCS=	capturo/dns.c

$(FZ)/%.o: %.c common/bounds.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) -iquote common -iquote capturo \
	    -iquote detengo -D_GNU_SOURCE $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

define fuzzer
$(FZ)/fz_$(1): $(call objs,$(FZ),tests/fuzz/fz_$(1).c $(FZ_$(1)_SRCS))
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -fsanitize=fuzzer -o $$@ $$^
$(S)/tests/fuzz/fz_$(1): $(call objs,$(S),tests/fuzz/fz_$(1).c \
    tests/fuzz/onefile.c $(FZ_$(1)_SRCS))
	$$(CC) $$(CFLAGS) $$(SANFLAGS) -o $$@ $$^
endef
$(foreach t,$(FUZZ_TARGETS),$(if $(FZ_$(t)_SRCS),,$(error tests/fuzz/fz_$(t).c: \
    name the sources it links in FZ_$(t)_SRCS in the Makefile)))
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzzer,$(t))))

fuzz-targets:
	@echo $(FUZZ_TARGETS)

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(FZ)/fz_$(t))

fuzz-replay: $(foreach t,$(FUZZ_TARGETS),$(S)/tests/fuzz/fz_$(t))
	@for t in $(FUZZ_TARGETS); do \
	    ./$(S)/tests/fuzz/fz_$$t tests/fuzz/corpus/$$t || exit 1; \
	    echo "ok - replay: $$t"; done

fuzz:
	@sh tests/fuzz/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-check:
	@sh tests/fuzz/fuzz.sh check 5 $(FUZZ_TARGETS)

fuzz-merge:
	@sh tests/fuzz/fuzz.sh merge 0 $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FZ) $(S)/tests/fuzz

.PHONY: fuzz fuzz-build fuzz-check fuzz-merge fuzz-replay fuzz-clean \
	fuzz-targets

-include $(shell find $(FZ) -name '*.d' 2>/dev/null)
