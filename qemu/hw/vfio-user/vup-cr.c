/*
 * vfio-user platform device: the control-region decoder
 *
 * libvup's decoder and validator (vup-cr-decode.c.inc, BSD-3-Clause),
 * built here unchanged: QEMU and the backends apply one set of rules, the
 * ones the backends' fuzzer covers.  Only its include paths are QEMU's.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "vup-cr-decode.c.inc"
