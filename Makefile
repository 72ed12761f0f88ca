# quotepipe - one non-recursive Makefile.
#
#   make            build the tools into build/
#   make check      install test dependencies (as root), build an
#                   ASan+UBSan copy into build/asan/ and run every test
#   make demo       install dependencies (as root), build, run the demo
#   make bench      run the benchmarks in bench/
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
BUILD	?= build

CC	?= cc
OPT	?= -O2
CFLAGS	?= $(OPT) -g
WARN	 = -Wall -Wextra
PKGS	 = rdkafka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -D_GNU_SOURCE
LDLIBS	 = $(PKG_LIBS) -ljq -lonig -lpthread

TOOLS	 = kmock kprod kcons quote-xform
LIB_SRC	 = $(wildcard lib/*.c)
LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A	 = $(BUILD)/libquotepipe.a
BINS	 = $(TOOLS:%=$(BUILD)/bin/%)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=undefined

.PHONY: all check test deps demo bench install clean unit
all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# Each tool is cmd/<tool>/*.c linked against the library.
define tool_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB_A) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

unit: $(UNIT_BINS)

deps:
	@tests/deps.sh

# The test build: everything under ASan+UBSan, then the runner.
check: deps
	$(MAKE) BUILD=build/asan CFLAGS="$(ASAN_FLAGS)" all unit
	tests/run build/asan

test: check

demo: deps all
	examples/demo.sh $(BUILD)/bin

bench: deps all
	bench/kafka.sh $(BUILD)/bin

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(TOOLS:%=man/%.1) $(DESTDIR)$(MANDIR)/man1

clean:
	rm -rf build
