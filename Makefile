# quotepipe - one non-recursive Makefile.
#
#   make            build the tools into build/
#   make check      install test dependencies (as root), build an
#                   ASan+UBSan copy into build/asan/ (gcc) and
#                   build/asan-clang/ (clang), run every test
#   make fuzz       run each libFuzzer harness for FUZZ_SECONDS
#   make tsan       kcons --commit-acks and s3put under ThreadSanitizer
#   make demo       install dependencies (as root), build, run the demo
#   make bench      run the benchmarks in bench/
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/quotepipe
DESTDIR	?=
BUILD	?= build

CC	?= cc
OPT	?= -O2
CFLAGS	?= $(OPT) -g
WARN	 = -Wall -Wextra
PKGS	 = rdkafka libcurl zlib libdeflate libisal libcrypto

# pkg-config is asked when a recipe first needs its answer, never when
# this file is read: `make demo` and `make check` install the packages
# (the deps step) before anything is compiled, on a machine that had
# none of them.  Each answer is asked once and kept ($(call memo,...)).
# A package pkg-config does not know stops the build with what to do.
memo = $(eval $(1) := $(2))$($(1))
pkg_missing = $(shell for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || echo $$p; done)
pkg_checked = $(call memo,pkg_checked,$(if $(pkg_missing),$(error \
	pkg-config does not know: $(pkg_missing). Run `make deps` as root \
	(or see tests/deps.sh for the packages)),ok))
pkg = $(if $(pkg_checked),$(shell pkg-config $(1)))
PKG_CFLAGS = $(call memo,PKG_CFLAGS,$(call pkg,--cflags $(PKGS)))
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -D_GNU_SOURCE
KAFKA_LIBS = $(call memo,KAFKA_LIBS,$(call pkg,--libs rdkafka) -lpthread)
CURL_LIBS  = $(call memo,CURL_LIBS,$(call pkg,--libs libcurl))
JQ_LIBS	 = -ljq -lonig
S3_LIBS	 = $(call memo,S3_LIBS,$(CURL_LIBS) $(call pkg,--libs zlib libdeflate libisal libcrypto) -lpthread)
LDLIBS	 = $(KAFKA_LIBS) $(S3_LIBS) $(JQ_LIBS)

# Each tool links only the libraries it uses.
TOOLS	 = athena-ddl cnn-fetch kmeta kmock kprod kcons lambda-bootstrap \
	   quote-window quote-xform s3cat s3put
LIBS_athena-ddl	 =
LIBS_cnn-fetch	 = $(CURL_LIBS)
LIBS_kmeta	 = $(KAFKA_LIBS)
LIBS_kmock	 = $(KAFKA_LIBS)
LIBS_kprod	 = $(KAFKA_LIBS)
LIBS_kcons	 = $(KAFKA_LIBS)
LIBS_lambda-bootstrap = $(CURL_LIBS)
LIBS_quote-window = $(JQ_LIBS) -lm
LIBS_quote-xform = $(JQ_LIBS)
LIBS_s3put	 = $(S3_LIBS)
LIBS_s3cat	 = $(S3_LIBS)
LIB_SRC	 = $(wildcard lib/*.c)
LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A	 = $(BUILD)/libquotepipe.a
BINS	 = $(TOOLS:%=$(BUILD)/bin/%)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=undefined

# clang's UBSan catches what gcc's does not (NULL + 0, for one): make
# check builds the tools with it too and runs the unit tests and the
# CLI tests named here, those that parse untrusted input, with it.
CLANG	?= clang
CLANG_TESTS = cnn-fetch quote-xform quote-window kprod athena-ddl

# libFuzzer harnesses (tests/fuzz/README.md).  The library is built
# again into FUZZ_BUILD with coverage for libFuzzer, ASan and UBSan.
# `make fuzz` runs each harness FUZZ_SECONDS (FUZZ_JOBS at a time) on
# a corpus kept in FUZZ_BUILD/corpus/NAME, grown from the seeds in
# tests/fuzz/corpus/NAME, which are never written to; make check runs
# each for a few seconds (tests/cli/fuzz.sh).
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 1
FUZZERS	 = json jsonl jvjson tmpl awscred cnncheck s3xml
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer \
	     -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined
FUZZ_BINS = $(FUZZERS:%=$(BUILD)/fuzzers/%) $(BUILD)/fuzzers/json-verdict
# A harness of code outside lib/ links that code in.
FUZZ_OBJ_tmpl	  = $(BUILD)/cmd/s3put/tmpl.o
FUZZ_OBJ_cnncheck = $(BUILD)/cmd/cnn-fetch/check.o

.PHONY: all check test deps test-deps demo bench install clean unit \
	fuzz fuzzers tsan
all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h cmd/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# Each tool is cmd/<tool>/*.c linked against the library.
define tool_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB_A) $$(LIBS_$(1)) \
	    $$(TOOL_EXTRA)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# quote-xform's default program ships as a file and is built in.
$(BUILD)/gen/clean_jq.h: cmd/quote-xform/clean.jq
	@mkdir -p $(@D)
	sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $< >$@
$(BUILD)/cmd/quote-xform/main.o: $(BUILD)/gen/clean_jq.h
$(BUILD)/cmd/quote-xform/main.o: ALL_CFLAGS += -I$(BUILD)/gen

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

unit: $(UNIT_BINS)

# Built with CC=clang and FUZZ_FLAGS (see `fuzz`).
define fuzz_rule
$(BUILD)/fuzzers/$(1): tests/fuzz/$(1).c tests/fuzz/fuzz.h $(FUZZ_OBJ_$(1)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) -fsanitize=fuzzer -o $$@ $$< $(FUZZ_OBJ_$(1)) \
	    $(LIB_A) $$(LDLIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

# The scanner's verdict per file, for tests/fuzz/json_diff.py.
$(BUILD)/fuzzers/json-verdict: tests/fuzz/json_verdict.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A)

fuzzers: $(FUZZ_BINS)

deps:
	@tests/deps.sh

test-deps:
	@tests/deps.sh --test

# The test build: everything under ASan+UBSan, then the runner.  The
# plain build is for the valgrind tests (valgrind cannot run ASan code);
# the TSan one for tests/cli/tsan.sh.
check: test-deps
	$(MAKE) BUILD=build/asan CFLAGS="$(ASAN_FLAGS)" all unit
	$(MAKE) BUILD=build/asan-clang CC=$(CLANG) CFLAGS="$(ASAN_FLAGS)" \
	    all unit
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(CLANG) CFLAGS="$(FUZZ_FLAGS)" fuzzers
	$(MAKE) BUILD=build/tsan CFLAGS="$(TSAN_FLAGS)" \
	    TOOL_EXTRA=$(CURDIR)/tests/tsan/thrd.c $(TSAN_BINS)
	$(MAKE) BUILD=build all
	QP_PLAIN_BIN=$(CURDIR)/build/bin QP_FUZZ=$(abspath $(FUZZ_BUILD)) \
	    QP_TSAN_BIN=$(CURDIR)/build/tsan/bin \
	    QP_CLANG_BUILD=build/asan-clang QP_CLANG_TESTS="$(CLANG_TESTS)" \
	    tests/run build/asan

test: check

# ThreadSanitizer (gcc) over the two tools with threads of their own,
# kcons --commit-acks and s3put's uploader, in a pipeline
# (tests/cli/tsan.sh; make check runs it too).  TOOL_EXTRA links C11
# threads through pthreads so that TSan sees librdkafka's threads start
# (tests/tsan/thrd.c).
TSAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_BINS = build/tsan/bin/kcons build/tsan/bin/s3put
tsan: test-deps
	$(MAKE) BUILD=build/tsan CFLAGS="$(TSAN_FLAGS)" \
	    TOOL_EXTRA=$(CURDIR)/tests/tsan/thrd.c $(TSAN_BINS)
	$(MAKE) BUILD=build all
	QP_TSAN_BIN=$(CURDIR)/build/tsan/bin TESTS=tsan tests/run build

fuzz: test-deps
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(CLANG) CFLAGS="$(FUZZ_FLAGS)" fuzzers
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_BUILD) \
	    $(FUZZ_SECONDS) $(FUZZERS)

# deps first, then a new make reads the flags of what deps installed.
demo: deps
	$(MAKE) all
	examples/demo.sh $(BUILD)/bin

bench: test-deps
	$(MAKE) all
	bench/kafka.sh $(BUILD)/bin
	bench/xform.sh $(BUILD)/bin
	bench/s3put.sh $(BUILD)/bin
	bench/latency.sh $(BUILD)/bin
	bench/window.sh $(BUILD)/bin

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(TOOLS:%=man/%.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/quotepipe-aws.7 $(DESTDIR)$(MANDIR)/man7
	install -m 644 cmd/quote-xform/clean.jq $(DESTDIR)$(DATADIR)
	install -d $(DESTDIR)$(DATADIR)/cron $(DESTDIR)$(DATADIR)/systemd
	install -m 755 examples/producer.sh examples/consumer.sh \
	    examples/analytics.sh $(DESTDIR)$(DATADIR)
	install -m 755 examples/cron/quotepipe-cron $(DESTDIR)$(DATADIR)/cron
	install -m 644 examples/systemd/quotepipe-consumer.service \
	    examples/systemd/quotepipe-analytics.service $(DESTDIR)$(DATADIR)/systemd
	install -d $(DESTDIR)$(DATADIR)/lambda
	install -m 755 examples/lambda/handler.sh $(DESTDIR)$(DATADIR)/lambda

clean:
	rm -rf build
