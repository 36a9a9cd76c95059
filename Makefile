# SPDX-License-Identifier: BSD-3-Clause
#
# vfio-user MCU: external MCU peripherals for QEMU over vfio-user.
#
#   make demo    build everything (installing what it needs) and run the demo
#   make check   build everything and run all tests (unit, end-to-end,
#                a bounded fuzz run, the sanitizer build of the suite, the
#                end-to-end suite against an ASan/UBSan QEMU, the
#                valgrind soak, the concurrent-stacks load run)
#   make help    list the other targets
#
# Everything is built under $(BUILD) (default: build/).

BUILD     ?= build
PREFIX    ?= /usr/local
CC        ?= cc
ARM_CC    ?= arm-none-eabi-gcc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
CPPFLAGS  += -Iinclude -MMD -MP
JSONC_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
JSONC_LIBS   := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
CMOCKA_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Where QEMU is built (scripts/build-qemu.sh); QEMU_SRC=/your/qemu-10.2 to use
# your own tree instead of Debian's source package.
QEMU_BUILD   ?= $(BUILD)/qemu/build
QEMU         ?= $(QEMU_BUILD)/qemu-system-arm
export QEMU
# The same patched tree configured again with QEMU's --enable-asan
# --enable-ubsan (scripts/build-qemu.sh --asan), for make check-qemu-asan.
QEMU_ASAN_BUILD ?= $(BUILD)/qemu/build-asan
QEMU_ASAN       ?= $(QEMU_ASAN_BUILD)/qemu-system-arm

LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIBVUP    := $(BUILD)/lib/libvup.a

STM32L4_SRCS := $(wildcard backends/stm32l4/*.c)
STM32L4_OBJS := $(STM32L4_SRCS:%.c=$(BUILD)/obj/%.o)

BINS      := $(BUILD)/bin/vup-stm32l4 $(BUILD)/bin/vup-info $(BUILD)/bin/vup-ctl
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# The shared fixture every unit test links (not a test itself).
UNIT_HARNESS := $(BUILD)/obj/tests/unit/harness.o

# The control-region decoder's verdicts, from libvup's build of it and
# from QEMU's (the object its meson made of hw/vfio-user/vup-cr.c):
# tests/e2e/test_validator.py compares them.
QEMU_CR_OBJ  := $(dir $(QEMU))libsystem.a.p/hw_vfio-user_vup-cr.c.o
VERDICT_BINS := $(BUILD)/tests/cr-verdicts $(BUILD)/tests/cr-verdicts-qemu

# Sanitizer build of everything the suite runs (QEMU stays the normal one).
ASAN_BUILD  := $(BUILD)/asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ASAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# libFuzzer targets (clang), each with its seed corpus in tests/fuzz/corpus.
FUZZ_CC       ?= clang
FUZZ_CFLAGS   := -O1 -g -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_TARGETS  := fuzz_server fuzz_cr_decode fuzz_ctl
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
FUZZ_SECONDS  ?= 600
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_DEPS     := $(LIB_SRCS) $(wildcard lib/*.h include/*.h include/vup/*.h)
STM32L4_MODELS := backends/stm32l4/usart.c backends/stm32l4/rcc.c \
                  backends/stm32l4/dma.c backends/stm32l4/syscfg.c \
                  backends/stm32l4/exti.c

# Valgrind soak and the concurrent-stacks load run.
SOAK_ACCESSES ?= 1000000
LOAD_STACKS   ?= 16
LOAD_ROUNDS   ?= 10

.PHONY: all deps lib backends tools firmware qemu qemu-asan demo check \
        check-unit check-e2e check-asan check-qemu-asan unit-tests fuzz fuzz-smoke soak load install \
        export-patches clean help
.DEFAULT_GOAL := all

help:
	@echo "make deps            install Debian packages (root; scripts/install-deps.sh)"
	@echo "make all             library, backends, tools (vup-info, vup-ctl), firmware (not QEMU)"
	@echo "make qemu            fetch Debian's QEMU 10.2.2, apply qemu/, build (incremental)"
	@echo "make qemu-asan       the same QEMU tree built again with ASan/UBSan (in $(QEMU_ASAN_BUILD))"
	@echo "make demo            deps + everything + run the demo (firmware prints via external USART)"
	@echo "make check           deps + everything + unit, end-to-end, fuzz-smoke, check-asan, check-qemu-asan, soak, load"
	@echo "make check-unit      cmocka unit tests only"
	@echo "make check-e2e       end-to-end tests only (needs make qemu)"
	@echo "make check-asan      unit + end-to-end tests with ASan/UBSan builds (in $(ASAN_BUILD))"
	@echo "make check-qemu-asan end-to-end tests against the ASan/UBSan QEMU (make qemu-asan)"
	@echo "make fuzz-smoke      each fuzz target for FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) s"
	@echo "make fuzz            each fuzz target for FUZZ_SECONDS=$(FUZZ_SECONDS) s"
	@echo "make soak            valgrind soak: SOAK_ACCESSES=$(SOAK_ACCESSES), resets, reconnects"
	@echo "make load            LOAD_STACKS=$(LOAD_STACKS) concurrent QEMU+backend stacks, LOAD_ROUNDS=$(LOAD_ROUNDS)"
	@echo "make bench           benchmarks vs in-process QEMU and upstream vfio-user -> docs/performance.md (long)"
	@echo "make install         install libvup, headers, vup.pc, tools into PREFIX=$(PREFIX)"
	@echo "make export-patches  write the QEMU side as a git format-patch series"
	@echo "variables: BUILD=$(BUILD) QEMU_SRC=<own QEMU 10.2.x tree> PREFIX=$(PREFIX) QEMU=<binary>"

all: lib backends tools firmware

deps:
	@bash scripts/install-deps.sh

lib: $(LIBVUP) $(BUILD)/lib/pkgconfig/vup.pc
backends: $(BUILD)/bin/vup-stm32l4
tools: $(BUILD)/bin/vup-info $(BUILD)/bin/vup-ctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(JSONC_CFLAGS) -c $< -o $@

$(LIBVUP): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/pkgconfig/vup.pc: lib/vup.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*VUP_VERSION_STRING "\(.*\)"/\1/p' include/vup.h)|g' $< > $@

$(BUILD)/bin/vup-stm32l4: $(STM32L4_OBJS) $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS)

$(BUILD)/bin/vup-info: $(BUILD)/obj/tools/vup-info.o $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS)

$(BUILD)/bin/vup-ctl: $(BUILD)/obj/tools/vup-ctl.o \
                      $(BUILD)/obj/tools/vup-ctl-io.o \
                      $(BUILD)/obj/tools/vup-ctl-print.o $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(UNIT_HARNESS) $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS)

$(BUILD)/tests/cr-verdicts: $(BUILD)/obj/tests/validator/cr-verdicts.o \
                            $(BUILD)/obj/lib/cr-decode.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

$(BUILD)/tests/cr-verdicts-qemu: $(BUILD)/obj/tests/validator/cr-verdicts.o \
                                 $(QEMU_CR_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

$(QEMU_CR_OBJ):
	@echo "$@ is missing: make qemu builds it"; exit 1

firmware:
	@$(MAKE) --no-print-directory -C firmware BUILD=$(abspath $(BUILD))/firmware ARM_CC=$(ARM_CC)

qemu:
	@bash scripts/build-qemu.sh "$(BUILD)/qemu"

qemu-asan:
	@bash scripts/build-qemu.sh --asan "$(BUILD)/qemu"

demo: deps all qemu
	@bash scripts/demo.sh

check: deps all qemu $(UNIT_BINS)
	@$(MAKE) --no-print-directory $(VERDICT_BINS)
	@bash tests/run-all.sh
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-qemu-asan
	@$(MAKE) --no-print-directory soak
	@$(MAKE) --no-print-directory load

check-unit: $(UNIT_BINS)
	@bash tests/run-all.sh --unit-only

check-e2e: all qemu
	@$(MAKE) --no-print-directory $(VERDICT_BINS)
	@bash tests/run-all.sh --e2e-only

unit-tests: $(UNIT_BINS)

# QEMU is passed down as an absolute path so it does not follow BUILD; the
# firmware is the normal build's (ARM code gets no host sanitizer flags).
check-asan: firmware
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=gcc \
	    CFLAGS="$(ASAN_CFLAGS)" QEMU=$(abspath $(QEMU)) \
	    lib backends tools unit-tests $(VERDICT_BINS:$(BUILD)/%=$(ASAN_BUILD)/%)
	@[ -L $(ASAN_BUILD)/firmware ] || rm -rf $(ASAN_BUILD)/firmware
	@ln -sfn $(abspath $(BUILD))/firmware $(ASAN_BUILD)/firmware
	@echo "=== sanitizer build ($(ASAN_BUILD)): unit and end-to-end tests"
	@BUILD=$(ASAN_BUILD) QEMU=$(abspath $(QEMU)) $(ASAN_ENV) \
	    bash tests/run-all.sh

# The end-to-end suite (both paths, test_hostile.py included) against the
# ASan/UBSan QEMU, with the normal backends; tests/e2e/conftest.py sees the
# sanitized binary and gives it QEMU_SANITIZER_ENV.
check-qemu-asan: all qemu-asan
	@echo "=== ASan/UBSan QEMU ($(QEMU_ASAN)): end-to-end tests"
	@QEMU=$(abspath $(QEMU_ASAN)) bash tests/run-all.sh --e2e-only

$(BUILD)/fuzz/fuzz_server: tests/fuzz/fuzz_server.c $(FUZZ_DEPS) $(STM32L4_MODELS) backends/stm32l4/stm32l4.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) $(FUZZ_CFLAGS) -Iinclude -Ibackends/stm32l4 $(JSONC_CFLAGS) \
	    $< $(LIB_SRCS) $(STM32L4_MODELS) -o $@ $(JSONC_LIBS)

$(BUILD)/fuzz/fuzz_ctl: tests/fuzz/fuzz_ctl.c $(FUZZ_DEPS) $(STM32L4_MODELS) backends/stm32l4/gpio.c backends/stm32l4/stm32l4.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) $(FUZZ_CFLAGS) -Iinclude -Ibackends/stm32l4 $(JSONC_CFLAGS) \
	    $< $(LIB_SRCS) $(STM32L4_MODELS) backends/stm32l4/gpio.c -o $@ $(JSONC_LIBS)

$(BUILD)/fuzz/fuzz_cr_decode: tests/fuzz/fuzz_cr_decode.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) $(FUZZ_CFLAGS) -Iinclude $(JSONC_CFLAGS) \
	    $< $(LIB_SRCS) -o $@ $(JSONC_LIBS)

fuzz-smoke: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(BUILD)/fuzz $(FUZZ_TARGETS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(BUILD)/fuzz $(FUZZ_TARGETS)

$(BUILD)/tests/soak: $(BUILD)/obj/tests/stress/soak.o $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS)

soak: $(BUILD)/tests/soak backends
	@bash tests/stress/soak.sh $(BUILD) $(SOAK_ACCESSES)

load: all
	@bash tests/load/run-stacks.sh $(LOAD_STACKS) $(LOAD_ROUNDS)

# Benchmarks (bench/run.py; not part of check: long and noisy).  libvfio-user
# is built unmodified from QEMU's subprojects/ only to compare against.
BENCH_DIR      := $(BUILD)/bench
LIBVFIO_SRC    ?= $(BUILD)/qemu/src/subprojects/libvfio-user
BENCH_ARGS     ?=
BENCH_VIRT_ELF := $(BENCH_DIR)/bench_virt_pio.elf

.PHONY: bench bench-deps
bench-deps: all $(BENCH_DIR)/msg_throughput $(BENCH_VIRT_ELF) \
            $(BENCH_DIR)/libvfio-user/samples/gpio-pci-idio-16

bench: bench-deps
	@[ -x $(QEMU) ] || { echo "bench: $(QEMU) missing (make qemu)"; exit 1; }
	/usr/bin/python3 bench/run.py --doc docs/performance.md \
	    --plot docs/performance.png --command "make bench" $(BENCH_ARGS)

$(BENCH_DIR)/msg_throughput: bench/msg_throughput.c $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -Iinclude -o $@ $< $(LIBVUP) $(JSONC_LIBS)

$(BENCH_VIRT_ELF): bench/virt/start.S bench/virt/bench_virt_pio.c bench/virt/virt.ld
	@mkdir -p $(dir $@)
	$(ARM_CC) -mcpu=cortex-a15 -marm -mfloat-abi=soft -std=gnu11 -O2 -g \
	    -ffreestanding -Wall -Wextra -Werror -nostdlib -nostartfiles \
	    -Tbench/virt/virt.ld -Wl,--no-warn-rwx-segments -o $@ \
	    bench/virt/start.S bench/virt/bench_virt_pio.c -lgcc

# A private copy: rebuilding QEMU's tree must not pull it from under us.
$(BENCH_DIR)/libvfio-user/samples/gpio-pci-idio-16:
	@[ -f $(LIBVFIO_SRC)/meson.build ] || { echo "bench: $(LIBVFIO_SRC) missing (make qemu)"; exit 1; }
	rm -rf $(BENCH_DIR)/libvfio-user-src $(BENCH_DIR)/libvfio-user
	cp -a $(LIBVFIO_SRC) $(BENCH_DIR)/libvfio-user-src
	meson setup $(BENCH_DIR)/libvfio-user $(BENCH_DIR)/libvfio-user-src \
	    --buildtype=release
	ninja -C $(BENCH_DIR)/libvfio-user

install: lib tools backends
	install -d $(DESTDIR)$(PREFIX)/include/vup $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/vup.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/vup/control-region.h include/vup/cr.h include/vup/client.h include/vup/registerfields.h include/vup/latin1.h $(DESTDIR)$(PREFIX)/include/vup/
	install -m 644 $(LIBVUP) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/lib/pkgconfig/vup.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

export-patches:
	@bash scripts/export-patches.sh "$(BUILD)/patches"

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests $(BUILD)/firmware \
	    $(ASAN_BUILD) $(BUILD)/fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
