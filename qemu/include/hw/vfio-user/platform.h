/*
 * vfio-user platform device: an MCU peripheral served over vfio-user
 *
 * The backend publishes a control region (see vup-control-region.h) that
 * tells where its MMIO windows live in the guest's physical address space
 * and which interrupt lines it drives.  This device reads and validates it,
 * forwards window accesses to the backend and raises one qemu_irq output per
 * interrupt line.  Mapping the windows and wiring the outputs is the board's
 * job; the functions below give it what it needs.  The entries they return
 * are the backend's, as validated (little-endian, like the host).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_USER_PLATFORM_H
#define HW_VFIO_USER_PLATFORM_H

#include "hw/clock.h"
#include "hw/sysbus.h"
#include "qom/object.h"
#include "hw/vfio-user/vup-control-region.h"

#define TYPE_VFIO_USER_PLATFORM "vfio-user-platform"
OBJECT_DECLARE_SIMPLE_TYPE(VFIOUserPlatform, VFIO_USER_PLATFORM)

/* The socket path, for messages. */
const char *vfio_user_platform_socket(VFIOUserPlatform *dev);

/* The backend's device name from the control region header. */
const char *vfio_user_platform_name(VFIOUserPlatform *dev);

/* MMIO windows: the entry, and the MemoryRegion the board maps at base. */
unsigned int vfio_user_platform_num_windows(VFIOUserPlatform *dev);
const struct vup_cr_mmio *vfio_user_platform_window(VFIOUserPlatform *dev,
                                                    unsigned int n);
MemoryRegion *vfio_user_platform_window_mr(VFIOUserPlatform *dev,
                                           unsigned int n);

/*
 * Interrupt lines: IRQ entry @n drives sysbus IRQ output @n (connect it
 * with sysbus_connect_irq(sbd, n, ...)).
 */
unsigned int vfio_user_platform_num_irqs(VFIOUserPlatform *dev);
const struct vup_cr_irq *vfio_user_platform_irq(VFIOUserPlatform *dev,
                                                unsigned int n);

/* Memory hints: flash and RAM the backend asks the board to create. */
unsigned int vfio_user_platform_num_memories(VFIOUserPlatform *dev);
const struct vup_cr_memory *vfio_user_platform_memory(VFIOUserPlatform *dev,
                                                      unsigned int n);

/* Clocks, and the QEMU Clock of entry @n (an output or an input). */
unsigned int vfio_user_platform_num_clocks(VFIOUserPlatform *dev);
const struct vup_cr_clock *vfio_user_platform_clock(VFIOUserPlatform *dev,
                                                    unsigned int n);
Clock *vfio_user_platform_clock_obj(VFIOUserPlatform *dev, unsigned int n);

/*
 * Signal groups (control region 1.5): entry @n is the device's named GPIO
 * group of the entry's name and width, outputs for an OUT group (the
 * backend drives them), inputs for an IN group.
 */
unsigned int vfio_user_platform_num_signals(VFIOUserPlatform *dev);
const struct vup_cr_signal *vfio_user_platform_signal(VFIOUserPlatform *dev,
                                                      unsigned int n);

/*
 * A group of lines of the board's own devices, which backend signal
 * groups of the same name connect to (vfio_user_platform_route_signals()).
 */
typedef struct VFIOUserBoardSignal {
    unsigned int width;
    /* For a backend OUT group: the board's inputs its lines drive. */
    qemu_irq in[VUP_CR_MAX_SIGNAL_WIDTH];
    /*
     * For a backend IN group: the board device whose GPIO outputs
     * @out_name (NULL: unnamed) 0..width-1 drive it.  Whatever they are
     * connected to stays connected.
     */
    DeviceState *out_dev;
    const char *out_name;
} VFIOUserBoardSignal;

/*
 * Fills @sig with the board's group named @name that a backend's OUT
 * group (@backend_out) or IN group drives or is driven by; false if the
 * board has none.
 */
typedef bool (*VFIOUserBoardSignalFn)(void *opaque, const char *name,
                                      bool backend_out,
                                      VFIOUserBoardSignal *sig);

/*
 * Connects the signal groups of @devs by name: an OUT group drives the IN
 * groups of the same name in the other devices and the board's inputs of
 * that name (@board, may be NULL); an IN group that no backend drives is
 * driven by the board's outputs of that name, if any.  Several sinks get
 * the line through a TYPE_SPLIT_IRQ child of @parent.  Widths and PULSE
 * must agree, and a name has one driver: else false with @errp naming
 * both sides.  Groups left without a peer stay unconnected (traced).
 */
bool vfio_user_platform_route_signals(Object *parent, VFIOUserPlatform **devs,
                                      unsigned int num,
                                      VFIOUserBoardSignalFn board,
                                      void *opaque, Error **errp);

/* The CPU hint, or NULL if the backend gave none. */
const struct vup_cr_cpu *vfio_user_platform_cpu_hint(VFIOUserPlatform *dev);

/*
 * Boards that create vfio-user-platform devices take the devices' options
 * as their own properties (e.g. -M vfio-user-mcu,fast-path=off): one per
 * option of the device but "socket", of the same name, type, default and
 * description, checked when set.  The values live in a QDict at
 * @opts_offset of the board's instance, for vfio_user_platform_create().
 */
void vfio_user_platform_class_add_board_options(ObjectClass *oc,
                                                ptrdiff_t opts_offset);

/*
 * Creates the device for @socket as child @name of @parent, with the
 * options in @opts (may be NULL), and realizes it.  NULL with @errp set
 * if the backend cannot be used.
 */
VFIOUserPlatform *vfio_user_platform_create(Object *parent, const char *name,
                                            const char *socket,
                                            const QDict *opts, Error **errp);

/*
 * The same for each path of @list (separated by ':'; @prop names the
 * property it came from, for messages): children "backend[N]" of @parent.
 * Returns the devices (g_free() the array) and their number in @num, or
 * NULL with @errp set on an empty or repeated path or a backend that
 * cannot be used.
 */
VFIOUserPlatform **vfio_user_platform_create_list(Object *parent,
                                                  const char *prop,
                                                  const char *list,
                                                  const QDict *opts,
                                                  unsigned int *num,
                                                  Error **errp);

#endif /* HW_VFIO_USER_PLATFORM_H */
