/*
 * Attaching vfio-user backends: stubs for builds without vfio-user
 *
 * The boards that offer the "vfio-user" property call these whatever the
 * configuration; without vfio-user the property does not exist and there
 * is nothing to attach.
 *
 * Copyright (c) 2026 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/arm/vfio-user-attach.h"

void vfio_user_attach_class_init(ObjectClass *oc, ptrdiff_t offset)
{
}

bool vfio_user_attach(MachineState *ms, VFIOUserAttach *a, ARMv7MState *cpu,
                      VFIOUserAttachClockFn clock_for,
                      VFIOUserBoardSignalFn signal_for, void *opaque,
                      Error **errp)
{
    return true;
}

void vfio_user_attach_finalize(VFIOUserAttach *a)
{
}
