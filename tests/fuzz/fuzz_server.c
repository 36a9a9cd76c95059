/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary byte streams as a vfio-user client's messages,
 * into the real server (vup-stm32l4's RCC and USART1 models) through a real
 * Unix socket and vup_dev_dispatch(), exactly as a backend serves QEMU.
 * DMA1 is there too: register writes start transfers on whatever memory
 * the input's DMA_MAPs offered (memfds: copies; no fd: DMA_READ/WRITE
 * requests, whose replies come from the input too).
 *
 * Each input is one client session: connect, send the input, close.  The
 * stream is cut at the header's size fields and each message is sent in two
 * pieces (split at 1 + id % size) so partial messages are always exercised.
 * A request's error_reply field, unused in requests, says which fds go with
 * it (bits 0-3: count, bit 4: memfd, else eventfd): tests/fuzz/record.py
 * writes it from the fds QEMU really passed.  Bytes after a bad size go in
 * one piece.
 *
 * Beyond ASan/UBSan, each session checks: the server never stalls while
 * we have data for it (a hang), it drops the client after EOF, and no fd is
 * left open afterwards.  One device serves every session, as a backend
 * serves successive QEMUs.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vup.h"
#include "stm32l4.h"
#include "../../lib/internal.h"

#define PUMP_ROUNDS 1000    /* dispatch rounds without progress = a hang */
#define MAX_FDS     15
#define FD_MEMFD    0x10u
#define MEMFD_SIZE  0x10000

static const struct stm32l4_periph_info usart1_info = {
    .name = "usart1", .model = STM32L4_MODEL_USART,
    .base = STM32L4_USART1_BASE, .size = STM32L4_PERIPH_SIZE,
    .irq = STM32L4_USART1_IRQ,
};
static const struct stm32l4_periph_info rcc_info = {
    .name = "rcc", .model = STM32L4_MODEL_RCC, .base = STM32L4_RCC_BASE,
    .size = STM32L4_PERIPH_SIZE, .irq = STM32L4_RCC_IRQ,
};
static const struct stm32l4_periph_info dma1_info = {
    .name = "dma1", .model = STM32L4_MODEL_DMA, .base = STM32L4_DMA1_BASE,
    .size = STM32L4_PERIPH_SIZE, .irq = STM32L4_DMA1_IRQ,
};
/* After the others, so the recorded sessions' region indices still hold;
 * with no GPIO here SYSCFG's inputs are published: QEMU's input block. */
static const struct stm32l4_periph_info syscfg_info = {
    .name = "syscfg", .model = STM32L4_MODEL_SYSCFG,
    .base = STM32L4_SYSCFG_BASE, .size = STM32L4_PERIPH_SIZE,
    .irq = STM32L4_NO_IRQ,
};
static const struct stm32l4_periph_info exti_info = {
    .name = "exti", .model = STM32L4_MODEL_EXTI, .base = STM32L4_EXTI_BASE,
    .size = STM32L4_PERIPH_SIZE, .irq = STM32L4_EXTI0_IRQ,
};

static vup_dev *dev;
static char dir[64], path[96];
static int base_fds = -1;   /* session_fds() before any session */

static __attribute__((noreturn)) void die(const char *what)
{
    fprintf(stderr, "fuzz_server: %s\n", what);
    abort();
}

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct stm32l4_opts opts = {
        .mmio_flags = VUP_CR_MMIO_POSTED_WRITES,
    };
    struct stm32l4_usart *u;

    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    if (!getenv("VUP_LOG")) {
        vup_log_set_level(VUP_LOG_ERROR);
    }
    strcpy(dir, "/tmp/vup-fuzz-XXXXXX");
    if (!mkdtemp(dir)) {
        die("mkdtemp");
    }
    snprintf(path, sizeof(path), "%s/dev.sock", dir);
    atexit(cleanup);
    dev = vup_dev_new("stm32l4");
    u = dev ? stm32l4_usart_create(dev, &usart1_info, &opts) : NULL;
    if (!u || !stm32l4_rcc_create(dev, &rcc_info, &opts) ||
        !stm32l4_dma_create(dev, &dma1_info, &opts) ||
        !stm32l4_syscfg_create(dev, &syscfg_info, &opts) ||
        !stm32l4_exti_create(dev, &exti_info, &opts) ||
        vup_dev_add_memory(dev, VUP_CR_MEMORY_RAM, STM32L4_SRAM1_BASE,
                           STM32L4_SRAM1_SIZE, "sram1") < 0 ||
        vup_dev_set_cpu(dev, STM32L4_CPU_TYPE, STM32L4_NUM_IRQ) < 0 ||
        vup_dev_listen(dev, path) < 0 ||
        stm32l4_usart_attach(u, "null") < 0) {
        die(dev ? vup_dev_error(dev) : "vup_dev_new");
    }
    return 0;
}

/*
 * The open fds of the kinds a session creates (sockets, eventfds, memfds);
 * others, like the symbolizer's pipes the sanitizers open, do not count.
 */
static int session_fds(void)
{
    DIR *fds = opendir("/proc/self/fd");
    struct dirent *e;
    char link[PATH_MAX], target[256];
    int n = 0;

    if (!fds) {
        die("/proc/self/fd");
    }
    while ((e = readdir(fds))) {
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        len = readlink(link, target, sizeof(target) - 1);
        if (len <= 0) {
            continue;
        }
        target[len] = 0;
        n += !strncmp(target, "socket:", 7) || strstr(target, "eventfd") ||
             strstr(target, "memfd:");
    }
    closedir(fds);
    return n;
}

/* Reads and discards the server's replies. */
static void drain(int s)
{
    static uint8_t buf[65536];

    while (s >= 0 && recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
}

static bool dev_ready(void)
{
    struct pollfd p = { .fd = vup_dev_poll_fd(dev), .events = POLLIN };

    return poll(&p, 1, 0) == 1;
}

/* Lets the server handle everything it can; false if it had nothing. */
static bool pump(int s)
{
    bool worked = false;

    for (int i = 0; i < PUMP_ROUNDS; i++) {
        drain(s);
        if (!dev_ready()) {
            return worked;
        }
        if (vup_dev_dispatch(dev, 0) < 0) {
            die(vup_dev_error(dev));
        }
        worked = true;
    }
    die("the server never stops being ready");
}

/* Sends @len bytes (@fds with the first); false once the server hung up. */
static bool send_part(int s, const uint8_t *p, size_t len, const int *fds,
                      size_t nfds)
{
    while (len) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        ssize_t n = vupi_sendmsg_fds(s, &iov, 1, fds, nfds,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN) {
                return false;
            }
            /* The socket is full: the server must make room. */
            if (!pump(s)) {
                die("hang: the server reads nothing while data waits");
            }
            continue;
        }
        nfds = 0;
        p += n;
        len -= (size_t)n;
    }
    pump(s);
    return true;
}

static size_t make_fds(uint32_t spec, int *fds)
{
    size_t n = spec & 0xf;

    for (size_t i = 0; i < n; i++) {
        if (spec & FD_MEMFD) {
            fds[i] = memfd_create("fuzz-ram", MFD_CLOEXEC);
            if (fds[i] < 0 || ftruncate(fds[i], MEMFD_SIZE) < 0) {
                die("memfd");
            }
        } else {
            fds[i] = eventfd(0, EFD_CLOEXEC);
            if (fds[i] < 0) {
                die("eventfd");
            }
        }
    }
    return n;
}

static void session(int s, const uint8_t *data, size_t size)
{
    size_t off = 0;

    while (off < size) {
        struct vupi_msg_hdr h;
        int fds[MAX_FDS];
        size_t len, split, nfds = 0;
        bool ok;

        if (size - off < sizeof(h)) {
            send_part(s, data + off, size - off, NULL, 0);
            return;
        }
        memcpy(&h, data + off, sizeof(h));
        len = h.size;
        if (len < sizeof(h) || len > size - off) {
            send_part(s, data + off, size - off, NULL, 0);
            return;
        }
        if ((h.flags & VUPI_MSG_TYPE_MASK) == VUPI_MSG_REQUEST) {
            nfds = make_fds(h.error_reply, fds);
        }
        split = 1 + h.id % len;
        ok = send_part(s, data + off, split, fds, nfds) &&
             send_part(s, data + off + split, len - split, NULL, 0);
        for (size_t i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        if (!ok) {
            return;
        }
        off += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int s;

    if (base_fds < 0) {
        base_fds = session_fds();
    }
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(sa.sun_path, path);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        die("connect");
    }
    pump(s);
    if (!vup_dev_connected(dev)) {
        die("the server did not accept the client");
    }
    session(s, data, size);
    close(s);
    pump(-1);
    if (vup_dev_connected(dev)) {
        die("the server kept a client that closed");
    }
    if (session_fds() != base_fds) {
        die("fd leak: a session left a socket, eventfd or memfd open");
    }
    return 0;
}
