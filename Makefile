# Makefile - the one build of kitrace: the tracer, libkitjit, the demo JIT,
# the programs the tests run, the unit and end-to-end suites, install.
#
#   make                  build/kitrace, build/libkitjit.{a,so}, build/kitdemo
#   make check            install missing packages, build, run every test
#   make demo             install missing packages, build, triage the bundled crash
#   make fuzz             fuzz the registry and GDB JIT image readers (FUZZ_SECONDS, default 60)
#   make bench            the benchmarks (bench/README.md)
#   make SAN=asan check   the same suite built with a sanitizer (asan|ubsan),
#                         in build-asan/ (build-ubsan/)
#   make install PREFIX=DIR
#
# Layering is enforced here, by include paths: shm/ and arch/ see only
# common/; inferior/ never sees tracer/ or arch/ (doc/HACKING.md).

VERSION := 0.1.0
CC ?= gcc
PREFIX ?= /usr/local
SAN ?=
WERROR ?= 1
# Cross build: CROSS=aarch64-linux-gnu- builds for AArch64 into build-aarch64/
# with the multiarch (:arm64) libraries (make check-aarch64, doc/aarch64.md).
CROSS ?=
ifneq ($(CROSS),)
CC := $(CROSS)gcc
AR := $(CROSS)ar
CROSS_TRIPLET := $(patsubst %-,%,$(CROSS))
PKG_ENV := PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig
BUILD ?= build-$(firstword $(subst -, ,$(CROSS_TRIPLET)))$(if $(SAN),-$(SAN))
endif
ifeq ($(SAN),)
BUILD ?= build
else
BUILD ?= build-$(SAN)
endif
# The machine the build is for: assembly programs are per architecture
# (inferior/progs/*_a64.S on aarch64, the other *.S on x86_64).
KT_TARGET_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))

pc = $(shell $(PKG_ENV) pkg-config $(1) 2>/dev/null || echo $(2))
CAPSTONE_CFLAGS := $(call pc,--cflags capstone,-I/usr/include/capstone)
CAPSTONE_LIBS := $(call pc,--libs capstone,-lcapstone)
# libdwarf 20210528 ships no .pc; its headers live in /usr/include/libdwarf,
# and libdw's /usr/include/dwarf.h must not shadow them.
DWARF_CFLAGS := $(call pc,--cflags libdwarf,-I/usr/include/libdwarf)
DWARF_LIBS := $(call pc,--libs libdwarf,-ldwarf -lelf -lz)
EDIT_CFLAGS := $(call pc,--cflags libedit,-I/usr/include/editline)
EDIT_LIBS := $(call pc,--libs libedit,-ledit)
CHECK_CFLAGS := $(call pc,--cflags check,-pthread)
CHECK_LIBS := $(call pc,--libs check,-lcheck_pic -pthread -lrt -lm -lsubunit)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wnull-dereference -Wduplicated-cond -Wlogical-op -Wpointer-arith -Wundef \
	-Wvla -Wwrite-strings -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(SAN),asan)
SANFLAGS := -fsanitize=address -fno-sanitize-recover=all
else ifeq ($(SAN),ubsan)
SANFLAGS := -fsanitize=undefined -fno-sanitize-recover=all
else ifneq ($(SAN),)
$(error SAN must be asan or ubsan)
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) -fno-omit-frame-pointer \
	-D_GNU_SOURCE -DKT_VERSION='"$(VERSION)"' $(SANFLAGS) $(CFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

COMMON_SRC := $(wildcard common/*.c)
ARCH_SRC := $(wildcard arch/*.c arch/*/*.c)
SHM_SRC := $(wildcard shm/*.c)
TRACER_SRC := $(filter-out tracer/main.c,$(wildcard tracer/*.c))
KITJIT_SRC := $(wildcard inferior/kitjit/*.c)
DEMO_SRC := $(wildcard inferior/demo/*.c)
UNIT_SRC := $(wildcard tests/unit/check_*.c)
PROG_C := $(filter-out inferior/progs/lib%.c,$(wildcard inferior/progs/*.c))
ifeq ($(KT_TARGET_ARCH),aarch64)
PROG_S := $(wildcard inferior/progs/*_a64.S)
else
PROG_S := $(filter-out %_a64.S,$(wildcard inferior/progs/*.S))
endif
PROG_LIB := $(wildcard inferior/progs/lib*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
pic = $(patsubst %.c,$(BUILD)/pic/%.o,$(1))

CORE_OBJ := $(call obj,$(COMMON_SRC) $(ARCH_SRC) $(SHM_SRC) $(TRACER_SRC))
KITJIT_OBJ := $(call pic,$(KITJIT_SRC) $(SHM_SRC) $(COMMON_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
PROGS := $(patsubst inferior/progs/%.c,$(BUILD)/progs/%,$(PROG_C)) \
	$(patsubst inferior/progs/%.S,$(BUILD)/progs/%,$(PROG_S)) \
	$(patsubst inferior/progs/%.c,$(BUILD)/progs/%.so,$(PROG_LIB))

KITRACE := $(BUILD)/kitrace
TOOLS := $(KITRACE) $(BUILD)/libkitjit.a $(BUILD)/libkitjit.so \
	$(if $(DEMO_SRC),$(BUILD)/kitdemo)

all: $(TOOLS)

# Per-part include paths: the layering rules of DESIGN.md.
$(BUILD)/obj/common/%.o: PART := -Icommon
$(BUILD)/obj/arch/%.o: PART := -Iarch -Icommon $(CAPSTONE_CFLAGS)
$(BUILD)/obj/shm/%.o: PART := -Ishm -Icommon
$(BUILD)/obj/tracer/%.o: PART := -Itracer -Iarch -Ishm -Icommon $(CAPSTONE_CFLAGS) \
	$(DWARF_CFLAGS) $(EDIT_CFLAGS)
$(BUILD)/obj/tests/%.o: PART := -Itests/unit -Itracer -Iarch -Ishm -Icommon \
	-Iinferior/kitjit $(CAPSTONE_CFLAGS) $(DWARF_CFLAGS) $(CHECK_CFLAGS)
$(BUILD)/obj/inferior/demo/%.o: PART := -Iinferior/demo -Iinferior/kitjit
$(BUILD)/pic/%.o: PART := -Iinferior/kitjit -Ishm -Icommon -fPIC -fvisibility=hidden

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PART) -c -o $@ $<
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PART) -c -o $@ $<

# The tracer is optimised across files (LTO=1, the default without SAN):
# a breakpoint hit runs through a dozen small functions in as many files,
# and inlining them across files takes 12% of its instructions off
# (doc/aarch64.md).  The objects are fat, so the unit tests link the same
# libkt.a without link-time optimisation.
LTO ?= $(if $(SAN),0,1)
ifeq ($(LTO),1)
$(CORE_OBJ) $(BUILD)/obj/tracer/main.o: ALL_CFLAGS += -flto=auto -ffat-lto-objects
KITRACE_LTO := -flto=auto $(CFLAGS)
endif

$(BUILD)/libkt.a: $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# kitrace is linked statically (LINK=static, the default without SAN): it
# then starts without loading and relocating seven shared libraries
# (capstone alone has 77,000 relocations), which halves what `kitrace launch`
# adds to a short program (bench/README.md, "Start-up").  LINK=dynamic links
# it against the shared libraries; sanitizer builds always do.
LINK ?= $(if $(SAN),dynamic,static)
ifeq ($(LINK),static)
KITRACE_LINK := -static $(DWARF_LIBS) $(call pc,--static --libs libedit libelf capstone,-ledit -ltinfo -lbsd -lelf -lz -lcapstone)
else ifeq ($(LINK),dynamic)
KITRACE_LINK := $(CAPSTONE_LIBS) $(DWARF_LIBS) $(EDIT_LIBS)
else
$(error LINK must be static or dynamic)
endif
$(KITRACE): $(BUILD)/obj/tracer/main.o $(BUILD)/libkt.a
	$(CC) $(LDFLAGS) $(KITRACE_LTO) -o $@ $^ $(KITRACE_LINK) -lpthread

$(BUILD)/libkitjit.a: $(KITJIT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libkitjit.so: $(KITJIT_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libkitjit.so.0 -o $@ $^ -lpthread

$(BUILD)/kitdemo: $(call obj,$(DEMO_SRC)) $(BUILD)/libkitjit.a
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

# check_demo also links the demo compiler (everything in inferior/demo but main.c).
DEMO_LIB_OBJ := $(call obj,$(filter-out inferior/demo/main.c,$(DEMO_SRC)))
$(BUILD)/tests/check_demo: $(BUILD)/obj/tests/unit/check_demo.o $(DEMO_LIB_OBJ) \
		$(BUILD)/libkt.a $(BUILD)/libkitjit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CAPSTONE_LIBS) $(DWARF_LIBS) $(CHECK_LIBS) -lpthread

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libkt.a $(BUILD)/libkitjit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CAPSTONE_LIBS) $(DWARF_LIBS) $(CHECK_LIBS) -lpthread

# Programs the end-to-end tests run: plain, unoptimised, with frame pointers,
# built the same whatever SAN says (they are the inferior, not kitrace), so
# they link a libkitjit built without sanitizers too.
PROG_CFLAGS := -g -O0 -fno-omit-frame-pointer -pthread -Iinferior/kitjit
PLAIN_KITJIT := $(BUILD)/progs/libkitjit-plain.a
PLAIN_OBJ := $(patsubst %.c,$(BUILD)/plain/%.o,$(KITJIT_SRC) $(SHM_SRC) $(COMMON_SRC))
$(BUILD)/plain/%.o: %.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -Iinferior/kitjit -Ishm \
		-Icommon -c -o $@ $<
$(PLAIN_KITJIT): $(PLAIN_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/progs/%: inferior/progs/%.c $(PLAIN_KITJIT)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) $(PROG_OPT) -o $@ $(filter %.c,$^) -L$(BUILD)/progs -Wl,-rpath,'$$ORIGIN' \
		$(PROG_LIBS) $(PLAIN_KITJIT) -ldl
# A program of two files (its others in inferior/progs/NAME/) that links a
# library built without debug information; one program built at -O2.
$(BUILD)/progs/lines: inferior/progs/lines/other.c inferior/progs/lines/other.h \
	$(BUILD)/progs/libnolines.so $(BUILD)/progs/libplug.so
$(BUILD)/progs/lines: PROG_LIBS := -lnolines -l:libplug.so -Wl,-z,now
$(BUILD)/progs/libnolines.so: PROG_OPT := -g0
$(BUILD)/progs/inline_o2: PROG_OPT := -O2
# The JIT test programs share their machine code emitters.
$(BUILD)/progs/kj_stress $(BUILD)/progs/kj_heal $(BUILD)/progs/kj_scribble: inferior/progs/jitemit.h
$(BUILD)/progs/%: inferior/progs/%.S
	@mkdir -p $(@D)
	$(CC) -g -o $@ $<
$(BUILD)/progs/%.so: inferior/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) $(PROG_OPT) -fPIC -shared -o $@ $<

progs: $(PROGS)
unit: $(UNIT_BIN)

# The whole suite: unit tests (Check), then end to end against real processes.
check: deps
	$(MAKE) --no-print-directory test
test: all $(UNIT_BIN) $(PROGS)
	BUILD=$(BUILD) SAN=$(SAN) tests/run.sh $(UNIT_BIN)

demo: deps
	$(MAKE) --no-print-directory all progs
	scripts/demo.sh $(BUILD)

# The registry reader under libFuzzer for a bounded time (FUZZ_SECONDS, default 60).
fuzz:
	BUILD=$(BUILD) tests/fuzz/run.sh $(or $(FUZZ_SECONDS),60)

# Benchmarks: kitrace against gdb and a one-stop reference tracer (bench/README.md).
bench: all $(PROGS)
	BUILD=$(BUILD) bench/run.sh

deps:
	@scripts/deps.sh

# The suite in an emulated AArch64 guest (doc/aarch64.md): cross-build into
# build-aarch64/, boot qemu-system-aarch64, run the unit and e2e tests there.
check-aarch64:
	scripts/aarch64/check.sh
bench-aarch64:
	scripts/aarch64/check.sh --bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(KITRACE) $(DESTDIR)$(PREFIX)/bin/kitrace
	install -m 644 $(BUILD)/libkitjit.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libkitjit.so $(DESTDIR)$(PREFIX)/lib/libkitjit.so.0
	ln -sf libkitjit.so.0 $(DESTDIR)$(PREFIX)/lib/libkitjit.so
	install -m 644 inferior/kitjit/kitjit.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' inferior/kitjit/kitjit.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/kitjit.pc
	install -m 644 man/kitrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	for f in man/*.3; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man3/; done; true
	for f in man/*.7; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man7/; done; true

clean:
	rm -rf build build-asan build-ubsan build-aarch64

.PHONY: all check test demo deps install clean progs unit bench fuzz check-aarch64 bench-aarch64
.SECONDARY:

-include $(shell find $(BUILD) \( -path $(BUILD)/dl -o -path $(BUILD)/rootfs \) -prune -o -type f -name '*.d' -print 2>/dev/null)
