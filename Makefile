# SPDX-License-Identifier: BSD-3-Clause
#
# vfio-user MCU: external MCU peripherals for QEMU over vfio-user.
#
#   make demo    build everything (installing what it needs) and run the demo
#   make check   build everything and run all tests
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

LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIBVUP    := $(BUILD)/lib/libvup.a

STM32L4_SRCS := $(wildcard backends/stm32l4/*.c)
STM32L4_OBJS := $(STM32L4_SRCS:%.c=$(BUILD)/obj/%.o)

BINS      := $(BUILD)/bin/vup-stm32l4 $(BUILD)/bin/vup-info
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps lib backends tools firmware qemu demo check check-unit \
        check-e2e install export-patches clean help
.DEFAULT_GOAL := all

help:
	@echo "make deps            install Debian packages (root; scripts/install-deps.sh)"
	@echo "make all             library, backends, tools, firmware (not QEMU)"
	@echo "make qemu            fetch Debian's QEMU 10.2.2, apply qemu/, build (incremental)"
	@echo "make demo            deps + everything + run the demo (firmware prints via external USART)"
	@echo "make check           deps + everything + unit and end-to-end tests"
	@echo "make check-unit      cmocka unit tests only"
	@echo "make check-e2e       end-to-end tests only (needs make qemu)"
	@echo "make install         install libvup, headers, vup.pc, tools into PREFIX=$(PREFIX)"
	@echo "make export-patches  write the QEMU side as a git format-patch series"
	@echo "variables: BUILD=$(BUILD) QEMU_SRC=<own QEMU 10.2.x tree> PREFIX=$(PREFIX)"

all: lib backends tools firmware

deps:
	@bash scripts/install-deps.sh

lib: $(LIBVUP) $(BUILD)/lib/pkgconfig/vup.pc
backends: $(BUILD)/bin/vup-stm32l4
tools: $(BUILD)/bin/vup-info

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

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIBVUP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS)

firmware:
	@$(MAKE) --no-print-directory -C firmware BUILD=$(abspath $(BUILD))/firmware ARM_CC=$(ARM_CC)

qemu:
	@bash scripts/build-qemu.sh "$(BUILD)/qemu"

demo: deps all qemu
	@bash scripts/demo.sh

check: deps all qemu $(UNIT_BINS)
	@bash tests/run-all.sh

check-unit: $(UNIT_BINS)
	@bash tests/run-all.sh --unit-only

check-e2e: all qemu
	@bash tests/run-all.sh --e2e-only

install: lib tools backends
	install -d $(DESTDIR)$(PREFIX)/include/vup $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/vup.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/vup/control-region.h include/vup/cr.h include/vup/client.h $(DESTDIR)$(PREFIX)/include/vup/
	install -m 644 $(LIBVUP) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/lib/pkgconfig/vup.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

export-patches:
	@bash scripts/export-patches.sh "$(BUILD)/patches"

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests $(BUILD)/firmware

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
