/*
 * Attaching vfio-user peripheral backends to an existing Cortex-M board
 *
 * A board that models a real SoC leaves what it does not implement to
 * unimplemented-device placeholders.  With these helpers the user can
 * serve any of those peripherals from an external vfio-user backend:
 *
 *   -M b-l475e-iot01a,vfio-user=/tmp/tim.sock[:/tmp/other.sock]
 *
 * Each backend window is mapped over the placeholder at its address (an
 * overlap with anything else the CPU sees is refused, naming both), its
 * interrupt lines go to the SoC's NVIC (a line an in-process device
 * already drives is refused), its input clocks come from the board and
 * its signal groups connect by name to the other backends' and to the
 * board's devices.  The board's own devices stay as they are.
 *
 * A board gets it in three steps: embed a VFIOUserAttach in its machine
 * state, call vfio_user_attach_class_init() from its class_init and
 * vfio_user_attach() once its SoC is realized.
 * See docs/system/arm/vfio-user-mcu.rst, "Attaching backends to an
 * existing board".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_ARM_VFIO_USER_ATTACH_H
#define HW_ARM_VFIO_USER_ATTACH_H

#include "hw/arm/armv7m.h"
#include "hw/boards.h"
#include "hw/clock.h"
#include "hw/vfio-user/platform.h"

/* What a board embeds in its machine state; zero-initialized. */
typedef struct VFIOUserAttach {
    char *sockets;               /* the "vfio-user" property */
    QDict *opts;                 /* vfio-user-platform options set on -M */
    unsigned int num_backends;
    VFIOUserPlatform **backends;
} VFIOUserAttach;

/*
 * The clock a backend input clock named @name is fed from, or NULL if the
 * board has none of that name (the input then stays at 0 Hz, with a
 * warning).
 */
typedef Clock *(*VFIOUserAttachClockFn)(void *opaque, const char *name);

/*
 * Adds the "vfio-user" machine property and the vfio-user-platform device
 * options (fast-path, msg-timeout, ...) to machine class @oc; @offset is
 * the VFIOUserAttach's offset in the machine's instance.
 */
void vfio_user_attach_class_init(ObjectClass *oc, ptrdiff_t offset);

/*
 * Creates the backends the user listed (nothing if none), maps their
 * windows in the address space of @cpu, wires their interrupt lines to
 * its NVIC, their input clocks from @clock_for and their signal groups
 * to each other and to the board's groups that @signal_for gives (see
 * vfio_user_platform_route_signals(); NULL: none).  Call it after the
 * SoC is realized and the board's own wiring is done, so that its
 * devices and placeholders are mapped and the GPIO lines it fans out to
 * backends keep their in-process sinks.
 */
bool vfio_user_attach(MachineState *ms, VFIOUserAttach *a, ARMv7MState *cpu,
                      VFIOUserAttachClockFn clock_for,
                      VFIOUserBoardSignalFn signal_for, void *opaque,
                      Error **errp);

/* Frees what vfio_user_attach_class_init()'s properties hold. */
void vfio_user_attach_finalize(VFIOUserAttach *a);

#endif /* HW_ARM_VFIO_USER_ATTACH_H */
