/*
 * vfio-user platform device: an MCU peripheral served over vfio-user
 *
 * The backend (any vfio-user server) describes itself in a control region
 * (hw/vfio-user/vup-control-region.h): MMIO windows with their guest
 * physical addresses, interrupt lines with their NVIC numbers, clocks, and
 * hints for the board.  This device validates that description
 * (platform-cr.c), forwards window accesses (platform-io.c, with the shared
 * memory of platform-shm.c) and turns the backend's live state into
 * qemu_irq outputs, Clocks and deadlines (platform-sync.c), and its
 * signal groups into named GPIO lines (platform-signal.c).  Boards (e.g.
 * vfio-user-mcu) map the windows and wire the outputs.
 *
 * This file: the QOM type, its properties, realize and reset, and what
 * happens when the backend fails.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qobject/qdict.h"
#include "qobject/qstring.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/sysbus.h"
#include "hw/vfio-user/device.h"
#include "hw/vfio-user/proxy.h"
#include "hw/vfio-user/trace.h"
#include "system/address-spaces.h"
#include "system/runstate.h"
#include "platform-internal.h"

/*
 * The backend is gone or broken.  Say which one, what we were doing (the
 * guest access in progress, named by the caller's @fmt or found here),
 * once.  Then, by the on-failure policy, stop QEMU with a failure exit
 * status, or drop the connection and let every later access to the
 * backend's windows fail at once with a bus error (and, with
 * reconnect-ms, try to get the backend back).
 */
void vfio_user_platform_fail(VFIOUserPlatform *vdev, Error *err,
                             const char *fmt, ...)
{
    bool bus_error =
        vdev->on_failure == VFIO_USER_PLATFORM_ON_FAILURE_BUS_ERROR;
    g_autofree char *access = NULL;
    g_autofree char *what = NULL;
    g_autofree char *then = NULL;
    GString *msg;
    va_list ap;

    if (vdev->failed) {
        error_free(err);
        return;
    }
    vdev->failed = true;

    if (fmt) {
        va_start(ap, fmt);
        what = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    access = vfio_user_platform_access_str(vdev);

    if (!bus_error) {
        then = g_strdup("stopping");
    } else if (vdev->reconnect_ms) {
        then = g_strdup_printf("its windows now give bus errors; "
                               "reconnecting every %u ms",
                               vdev->reconnect_ms);
    } else {
        then = g_strdup("its windows now give bus errors");
    }

    /* "read of rcc+0x0 failed: reading the live part: <err>; stopping" */
    msg = g_string_new(NULL);
    if (access) {
        g_string_append_printf(msg, "%s failed", access);
    }
    if (what) {
        g_string_append_printf(msg, "%s%s", msg->len ? ": " : "", what);
    }
    if (err) {
        g_string_append_printf(msg, "%s%s", msg->len ? ": " : "",
                               error_get_pretty(err));
    }
    trace_vfio_user_platform_failed(vdev->socket, bus_error);
    error_report("vfio-user-platform %s: %s; %s", vdev->socket, msg->str,
                 then);
    g_string_free(msg, true);
    error_free(err);
    if (!bus_error) {
        qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_ERROR,
                                               EXIT_FAILURE);
        return;
    }
    /*
     * A backend that stopped answering might answer a later request, or
     * the next one might wait a whole timeout again: fail the connection
     * now, drop it from the main loop.
     */
    if (vdev->vbasedev.proxy) {
        vfio_user_abort(vdev->vbasedev.proxy);
    }
    qemu_bh_schedule(vdev->drop_bh);
}

/*
 * The result of an access to a failed device.  With on-failure=bus-error
 * the guest gets its bus error.  When stopping, QEMU exits as soon as the
 * main loop sees the request: a bus error meanwhile would only send the
 * guest into its fault handler, whose own accesses fault again until the
 * CPU locks up and aborts QEMU, so the access reads as 0 instead.
 */
MemTxResult vfio_user_platform_failed_access(VFIOUserPlatform *vdev)
{
    return vdev->on_failure == VFIO_USER_PLATFORM_ON_FAILURE_BUS_ERROR ?
           MEMTX_ERROR : MEMTX_OK;
}

static void vfio_user_platform_disconnected(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;

    vfio_user_platform_fail(vdev, NULL, "the backend closed the connection");
}

/* Board API (hw/vfio-user/platform.h) */

const char *vfio_user_platform_socket(VFIOUserPlatform *dev)
{
    return dev->socket;
}

const char *vfio_user_platform_name(VFIOUserPlatform *dev)
{
    return dev->view->hdr->device_name;
}

unsigned int vfio_user_platform_num_windows(VFIOUserPlatform *dev)
{
    return dev->num_windows;
}

const struct vup_cr_mmio *vfio_user_platform_window(VFIOUserPlatform *dev,
                                                    unsigned int n)
{
    assert(n < dev->num_windows);
    return dev->windows[n].e;
}

MemoryRegion *vfio_user_platform_window_mr(VFIOUserPlatform *dev,
                                           unsigned int n)
{
    assert(n < dev->num_windows);
    return &dev->windows[n].mr;
}

unsigned int vfio_user_platform_num_irqs(VFIOUserPlatform *dev)
{
    return dev->num_irqs;
}

const struct vup_cr_irq *vfio_user_platform_irq(VFIOUserPlatform *dev,
                                                unsigned int n)
{
    assert(n < dev->num_irqs);
    return dev->irqs[n].e;
}

unsigned int vfio_user_platform_num_memories(VFIOUserPlatform *dev)
{
    return dev->view->num_memory;
}

const struct vup_cr_memory *vfio_user_platform_memory(VFIOUserPlatform *dev,
                                                      unsigned int n)
{
    assert(n < dev->view->num_memory);
    return dev->view->memory[n];
}

unsigned int vfio_user_platform_num_clocks(VFIOUserPlatform *dev)
{
    return dev->num_clocks;
}

const struct vup_cr_clock *vfio_user_platform_clock(VFIOUserPlatform *dev,
                                                    unsigned int n)
{
    assert(n < dev->num_clocks);
    return dev->clocks[n].e;
}

Clock *vfio_user_platform_clock_obj(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_clocks);
    return dev->clocks[n].clk;
}

const struct vup_cr_cpu *vfio_user_platform_cpu_hint(VFIOUserPlatform *dev)
{
    return dev->view->cpu;
}

/* Board options: the device's properties, on the board */

typedef struct VFIOUserPlatformBoardOption {
    char *name;
    ptrdiff_t opts_offset;
} VFIOUserPlatformBoardOption;

static QDict **vfio_user_platform_board_opts(Object *obj,
                                             VFIOUserPlatformBoardOption *o)
{
    return (QDict **)((uint8_t *)obj + o->opts_offset);
}

static void vfio_user_platform_board_get(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    QDict *opts = *vfio_user_platform_board_opts(obj, opaque);
    g_autoptr(Object) dev = NULL;
    const char *value = opts ? qdict_get_try_str(opts, name) : NULL;
    g_autofree char *dflt = NULL;

    if (!value) {
        /* Not set: what a new device has. */
        dev = object_new(TYPE_VFIO_USER_PLATFORM);
        dflt = object_property_print(dev, name, false, errp);
        if (!dflt) {
            return;
        }
        value = dflt;
    }
    visit_type_str(v, name, (char **)&value, errp);
}

/*
 * -M key=value gives a string; it is checked by the device's own property
 * on a device that is never realized, and kept for the devices to come.
 */
static void vfio_user_platform_board_set(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    QDict **opts = vfio_user_platform_board_opts(obj, opaque);
    g_autoptr(Object) dev = object_new(TYPE_VFIO_USER_PLATFORM);
    g_autofree char *value = NULL;

    if (!visit_type_str(v, name, &value, errp) ||
        !object_property_parse(dev, name, value, errp)) {
        return;
    }
    if (!*opts) {
        *opts = qdict_new();
    }
    qdict_put_str(*opts, name, value);
}

void vfio_user_platform_class_add_board_options(ObjectClass *oc,
                                                ptrdiff_t opts_offset)
{
    ObjectClass *dc = object_class_by_name(TYPE_VFIO_USER_PLATFORM);
    ObjectClass *parent = object_class_get_parent(dc);
    ObjectPropertyIterator iter;
    ObjectProperty *prop;

    object_class_property_iter_init(&iter, dc);
    while ((prop = object_property_iter_next(&iter))) {
        VFIOUserPlatformBoardOption *o;
        ObjectProperty *op;

        /* The device's own options, but the one that names the backend. */
        if (!prop->set || !strcmp(prop->name, "socket") ||
            object_class_property_find(parent, prop->name) ||
            object_class_property_find(oc, prop->name)) {
            continue;
        }
        o = g_new0(VFIOUserPlatformBoardOption, 1);
        o->name = g_strdup(prop->name);
        o->opts_offset = opts_offset;
        op = object_class_property_add(oc, o->name, prop->type,
                                       vfio_user_platform_board_get,
                                       vfio_user_platform_board_set, NULL, o);
        object_class_property_set_description(oc, o->name,
                                              prop->description);
        if (prop->defval) {
            op->defval = qobject_ref(prop->defval);
        }
    }
}

VFIOUserPlatform *vfio_user_platform_create(Object *parent, const char *name,
                                            const char *socket,
                                            const QDict *opts, Error **errp)
{
    DeviceState *dev = qdev_new(TYPE_VFIO_USER_PLATFORM);
    const QDictEntry *e;

    qdev_prop_set_string(dev, "socket", socket);
    for (e = opts ? qdict_first(opts) : NULL; e; e = qdict_next(opts, e)) {
        const char *value = qstring_get_str(qobject_to(QString, e->value));

        if (!object_property_parse(OBJECT(dev), e->key, value, errp)) {
            object_unref(OBJECT(dev));
            return NULL;
        }
    }
    object_property_add_child(parent, name, OBJECT(dev));
    if (!sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), errp)) {
        object_unparent(OBJECT(dev));
        return NULL;
    }
    return VFIO_USER_PLATFORM(dev);
}

VFIOUserPlatform **vfio_user_platform_create_list(Object *parent,
                                                  const char *prop,
                                                  const char *list,
                                                  const QDict *opts,
                                                  unsigned int *num,
                                                  Error **errp)
{
    g_auto(GStrv) paths = g_strsplit(list, ":", -1);
    unsigned int i, j, n = g_strv_length(paths);
    VFIOUserPlatform **devs = g_new0(VFIOUserPlatform *, MAX(n, 1));

    *num = 0;
    for (i = 0; i < n; i++) {
        g_autofree char *child = NULL;

        if (!paths[i][0]) {
            error_setg(errp, "%s=%s has an empty path", prop, list);
            goto fail;
        }
        for (j = 0; j < i; j++) {
            if (!strcmp(paths[i], paths[j])) {
                error_setg(errp, "socket %s is listed twice", paths[i]);
                goto fail;
            }
        }
        child = g_strdup_printf("backend[%u]", i);
        devs[i] = vfio_user_platform_create(parent, child, paths[i], opts,
                                            errp);
        if (!devs[i]) {
            goto fail;
        }
        *num = i + 1;
    }
    return devs;

fail:
    g_free(devs);
    *num = 0;
    return NULL;
}

/* QOM */

static void vfio_user_platform_compute_needs_reset(VFIODevice *vbasedev)
{
    vbasedev->needs_reset = false;
}

static Object *vfio_user_platform_get_object(VFIODevice *vbasedev)
{
    return OBJECT(container_of(vbasedev, VFIOUserPlatform, vbasedev));
}

static VFIODeviceOps vfio_user_platform_ops = {
    .vfio_compute_needs_reset = vfio_user_platform_compute_needs_reset,
    .vfio_get_object = vfio_user_platform_get_object,
};

static void vfio_user_platform_put(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;

    vfio_user_platform_unmap_shared(vdev);
    vfio_user_platform_irqs_exit(vdev);
    vfio_user_platform_signals_exit(vdev);
    g_clear_pointer(&vdev->deadline_timer, timer_free);
    g_clear_pointer(&vdev->sync_bh, qemu_bh_delete);
    g_clear_pointer(&vdev->confirm_bh, qemu_bh_delete);
    g_clear_pointer(&vdev->reconnect_timer, timer_free);
    g_clear_pointer(&vdev->drop_bh, qemu_bh_delete);
    vfio_device_detach(vbasedev);
    g_clear_pointer(&vbasedev->proxy, vfio_user_disconnect);
    g_clear_pointer(&vdev->disconnect_bh, qemu_bh_delete);
}

/*
 * Connect to the backend, negotiate and attach: the device info is known
 * afterwards.  On failure the caller drops what was set up.
 */
static bool vfio_user_platform_connect(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    SocketAddress addr = { .type = SOCKET_ADDRESS_TYPE_UNIX };
    VFIOUserProxy *proxy;

    addr.u.q_unix.path = vdev->socket;
    proxy = vfio_user_connect_dev(&addr, errp);
    if (!proxy) {
        error_prepend(errp, "cannot connect: ");
        return false;
    }
    vbasedev->proxy = proxy;
    proxy->wait_time = vdev->msg_timeout;
    /* Replies are read by the waiting (vCPU) thread: one round trip. */
    vfio_user_set_recv_inline(proxy, true, (int64_t)vdev->spin_us * SCALE_US,
                              vdev->spin_adaptive);
    vfio_user_set_handler(vbasedev, vfio_user_platform_process_req, vdev);
    vfio_user_set_disconnect_bh(proxy, vdev->disconnect_bh);

    if (!vfio_user_validate_version(proxy, errp)) {
        error_prepend(errp, "version negotiation: ");
        return false;
    }

    vbasedev->io_ops = &vfio_user_device_io_ops_sock;
    vbasedev->mdev = true;
    vbasedev->use_region_fds = true;

    /* Guest RAM is offered to the backend for DMA (DMA_MAP). */
    if (!vfio_device_attach_by_iommu_type(TYPE_VFIO_IOMMU_USER,
                                          vbasedev->name, vbasedev,
                                          &address_space_memory, errp)) {
        return false;
    }
    if (!(vbasedev->flags & VFIO_DEVICE_FLAGS_PLATFORM)) {
        error_setg(errp, "device info flags 0x%x lack VFIO_DEVICE_FLAGS_"
                   "PLATFORM: not a platform device", vbasedev->flags);
        return false;
    }
    return true;
}

/* Close the connection, whatever state it is in. */
static void vfio_user_platform_disconnect(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;

    /* A backend that comes back shares new memory. */
    vfio_user_platform_unmap_shared(vdev);
    if (vbasedev->proxy) {
        /* No DMA_UNMAP waits for a backend that is gone or stuck. */
        vfio_user_abort(vbasedev->proxy);
    }
    vfio_device_detach(vbasedev);
    if (vbasedev->proxy) {
        vfio_user_disconnect(vbasedev->proxy);
        vbasedev->proxy = NULL;
    }
}

/*
 * on-failure=bus-error: after the failure was reported, from the main
 * loop.  The lines the backend drove go low, its deadline is forgotten,
 * and the connection is closed; the eventfds stay, for a reconnect.
 */
static void vfio_user_platform_drop_bh(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;
    unsigned int i;

    if (!vdev->failed) {
        return;
    }
    for (i = 0; i < vdev->num_irqs; i++) {
        if (vdev->irqs[i].e->flags & VUP_CR_IRQ_LEVEL) {
            vfio_user_platform_set_irq(vdev, &vdev->irqs[i], false);
        }
    }
    vfio_user_platform_signals_drop(vdev);
    if (vdev->deadline_timer) {
        timer_del(vdev->deadline_timer);
    }
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    vfio_user_platform_disconnect(vdev);
    if (vdev->reconnect_ms) {
        timer_mod(vdev->reconnect_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + vdev->reconnect_ms);
    }
}

static void vfio_user_platform_reset_hold(Object *obj, ResetType type);

static void vfio_user_platform_reconnect_cb(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;
    Error *err = NULL;

    if (!vdev->failed) {
        return;
    }
    trace_vfio_user_platform_reconnect(vdev->socket);
    if (!vfio_user_platform_connect(vdev, &err)) {
        /* Nobody listening yet: normal while the backend restarts. */
        trace_vfio_user_platform_reconnect_failed(vdev->socket,
                                                  error_get_pretty(err));
        error_free(err);
        goto retry;
    }
    if (!vfio_user_platform_check_same(vdev, &err) ||
        !vfio_user_platform_irqs_rearm(vdev, &err)) {
        if (!vdev->refused_reported) {
            error_report("vfio-user-platform %s: the backend is back but "
                         "refused: %s", vdev->socket, error_get_pretty(err));
            vdev->refused_reported = true;
        }
        trace_vfio_user_platform_reconnect_failed(vdev->socket,
                                                  error_get_pretty(err));
        error_free(err);
        goto retry;
    }

    vfio_user_platform_map_shared(vdev);
    /* A new connection: nothing of the old one is pending. */
    vdev->posted_pending = false;
    /* The backend starts afresh: a device reset, as after a system reset. */
    vdev->failed = false;
    vdev->refused_reported = false;
    vfio_user_platform_reset_hold(OBJECT(vdev), RESET_TYPE_COLD);
    if (!vdev->failed) {
        error_report("vfio-user-platform %s: reconnected; the device was "
                     "reset", vdev->socket);
    }
    return;

retry:
    vfio_user_platform_disconnect(vdev);
    timer_mod(vdev->reconnect_timer,
              qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + vdev->reconnect_ms);
}

/*
 * fast-path: what of the shared memory a backend offers is used.  The
 * mapped live part always (but with off); direct reads from the mirrors
 * of DIRECT_MAPPED windows, the mailbox for every other access, or both.
 */
static void vfio_user_platform_fast_path(VFIOUserPlatform *vdev)
{
    switch (vdev->fast_path) {
    case VFIO_USER_PLATFORM_FAST_PATH_AUTO:
        vdev->map_live = vdev->use_mbox = vdev->use_direct = true;
        break;
    case VFIO_USER_PLATFORM_FAST_PATH_MAILBOX:
        vdev->map_live = vdev->use_mbox = true;
        break;
    case VFIO_USER_PLATFORM_FAST_PATH_DIRECT:
        vdev->map_live = vdev->use_direct = true;
        break;
    case VFIO_USER_PLATFORM_FAST_PATH_LIVE:
        vdev->map_live = true;
        break;
    default:
        break;
    }
}

static void vfio_user_platform_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(dev);
    VFIODevice *vbasedev = &vdev->vbasedev;

    if (!vdev->socket || !vdev->socket[0]) {
        error_setg(errp, "vfio-user-platform: the socket property is not "
                   "set");
        return;
    }
    if (!vdev->msg_timeout) {
        error_setg(errp, "vfio-user-platform %s: msg-timeout must be at "
                   "least 1 ms", vdev->socket);
        return;
    }
    if (vdev->reconnect_ms &&
        vdev->on_failure != VFIO_USER_PLATFORM_ON_FAILURE_BUS_ERROR) {
        error_setg(errp, "vfio-user-platform %s: reconnect-ms needs "
                   "on-failure=bus-error (with stop, QEMU stops)",
                   vdev->socket);
        return;
    }
    vfio_user_platform_fast_path(vdev);

    vbasedev->name = g_strdup_printf("vfio-user:%s", vdev->socket);
    vdev->disconnect_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                             vfio_user_platform_disconnected,
                                             vdev, &dev->mem_reentrancy_guard);
    if (!vfio_user_platform_connect(vdev, errp) ||
        !vfio_user_platform_load_cr(vdev, errp)) {
        goto error;
    }

    vfio_user_platform_windows_init(vdev);
    if (!vfio_user_platform_irqs_init(vdev, errp) ||
        !vfio_user_platform_clocks_init(vdev, errp) ||
        !vfio_user_platform_signals_init(vdev, errp)) {
        goto error;
    }
    vfio_user_platform_map_shared(vdev);
    if (vdev->live_offset) {
        vdev->sync_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                           vfio_user_platform_sync_bh, vdev,
                                           &dev->mem_reentrancy_guard);
    }
    if (vdev->has_vtime) {
        vdev->deadline_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                            vfio_user_platform_deadline_cb,
                                            vdev);
        vdev->confirm_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                              vfio_user_platform_confirm_bh,
                                              vdev,
                                              &dev->mem_reentrancy_guard);
    }
    vdev->drop_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                       vfio_user_platform_drop_bh, vdev,
                                       &dev->mem_reentrancy_guard);
    if (vdev->reconnect_ms) {
        vdev->reconnect_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                             vfio_user_platform_reconnect_cb,
                                             vdev);
    }
    return;

error:
    error_prepend(errp, "vfio-user-platform %s: ", vdev->socket);
    vfio_user_platform_put(vdev);
}

static void vfio_user_platform_reset_hold(Object *obj, ResetType type)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    Error *err = NULL;
    int ret;

    if (!proxy || vdev->failed) {
        return;
    }
    trace_vfio_user_platform_reset(vdev->socket);

    if (vdev->vbasedev.reset_works) {
        ret = vfio_user_device_reset(proxy, &err);
        if (err) {
            vfio_user_platform_fail(vdev, err, "device reset");
            return;
        }
        if (ret < 0) {
            warn_report("vfio-user-platform %s: the backend refused the "
                        "device reset: %s", vdev->socket, strerror(-ret));
        }
        vdev->posted_pending = false;
    }

    /*
     * After reset: the backend's clocks, levels, signals and deadline,
     * whatever they are now; and our input clocks and signals, which the
     * backend keeps.
     */
    vdev->live_valid = false;
    if (vdev->has_vtime && !vfio_user_platform_send_vtime(vdev)) {
        return;
    }
    vfio_user_platform_sync(vdev);
    vfio_user_platform_push_inputs(vdev);
    vfio_user_platform_signals_push(vdev);
}

static void vfio_user_platform_instance_init(Object *obj)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);

    vfio_device_init(&vdev->vbasedev, VFIO_DEVICE_TYPE_UNUSED,
                     &vfio_user_platform_ops, DEVICE(vdev), false);
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    vdev->vtime_sent = UINT64_MAX;
}

static void vfio_user_platform_finalize(Object *obj)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);

    vfio_user_platform_put(vdev);
    vfio_user_platform_free_cr(vdev);
    g_free(vdev->vbasedev.name);
}

static const Property vfio_user_platform_properties[] = {
    DEFINE_PROP_STRING("socket", VFIOUserPlatform, socket),
    DEFINE_PROP_UINT32("msg-timeout", VFIOUserPlatform, msg_timeout, 5000),
    DEFINE_PROP_VFIO_USER_PLATFORM_ON_FAILURE("on-failure", VFIOUserPlatform,
        on_failure, VFIO_USER_PLATFORM_ON_FAILURE_STOP),
    DEFINE_PROP_UINT32("reconnect-ms", VFIOUserPlatform, reconnect_ms, 0),
    DEFINE_PROP_VFIO_USER_PLATFORM_FAST_PATH("fast-path", VFIOUserPlatform,
        fast_path, VFIO_USER_PLATFORM_FAST_PATH_AUTO),
    DEFINE_PROP_UINT32("spin-us", VFIOUserPlatform, spin_us, 50),
    DEFINE_PROP_BOOL("spin-adaptive", VFIOUserPlatform, spin_adaptive, true),
};

static void vfio_user_platform_class_init(ObjectClass *klass,
                                          const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = vfio_user_platform_realize;
    dc->desc = "vfio-user platform (MCU peripheral) device";
    /* Boards create it: they map its windows and wire its IRQ lines. */
    dc->user_creatable = false;
    rc->phases.hold = vfio_user_platform_reset_hold;
    device_class_set_props(dc, vfio_user_platform_properties);
    object_class_property_set_description(klass, "socket",
        "path of the backend's vfio-user UNIX socket");
    object_class_property_set_description(klass, "msg-timeout",
        "milliseconds to wait for a backend reply before giving up on it "
        "(default 5000)");
    object_class_property_set_description(klass, "on-failure",
        "when the backend dies, breaks the protocol or times out: \"stop\" "
        "QEMU with an error (default), or \"bus-error\": its windows give "
        "the guest bus errors and the VM keeps running");
    object_class_property_set_description(klass, "fast-path",
        "shared memory with the backend: \"auto\" (default: mapped live "
        "part, direct reads of direct-mapped windows and shared-memory "
        "mailbox where offered), \"mailbox\" (no direct reads), \"direct\" "
        "(direct reads, other accesses by messages), \"live\" (mapped live "
        "part, accesses by messages) or \"off\" (messages only)");
    object_class_property_set_description(klass, "spin-us",
        "at most so many microseconds the vCPU thread polls for a "
        "backend's reply (socket or mailbox) before it sleeps (default 50; "
        "0: never)");
    object_class_property_set_description(klass, "spin-adaptive",
        "poll for less while replies keep coming later than spin-us (a slow "
        "backend, a host short of CPUs) and for up to spin-us again while "
        "they come within it (default on; off: always spin-us)");
    object_class_property_set_description(klass, "reconnect-ms",
        "with on-failure=bus-error: try to reconnect to a failed backend "
        "every so many milliseconds (default 0: never)");
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo vfio_user_platform_info = {
    .name = TYPE_VFIO_USER_PLATFORM,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(VFIOUserPlatform),
    .instance_init = vfio_user_platform_instance_init,
    .instance_finalize = vfio_user_platform_finalize,
    .class_init = vfio_user_platform_class_init,
};

static void vfio_user_platform_register_types(void)
{
    type_register_static(&vfio_user_platform_info);
}

type_init(vfio_user_platform_register_types)
