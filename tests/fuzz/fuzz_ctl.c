/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as request lines on the control
 * channel (lib/ctl.c, lib/ctl-cmds.c, lib/signal.c) of a device with
 * vup-stm32l4's RCC, USART1, GPIOA and GPIOC models and a loopback serial
 * line ("loop": injected bytes come back as its output), through real Unix
 * sockets and vup_dev_dispatch(), as a backend serves vup-ctl.
 *
 * Each input is one session of two clients: the input is cut into lines,
 * which go to the first and the second client in turn (so a wait on one
 * can be met by a set-pin or an inject on the other), each line sent in
 * two pieces.  A line starting with 0xff is sent as 65537 copies of its
 * second byte instead: longer than the line limit.  Then both clients
 * shut their sending side and go.
 *
 * Beyond ASan/UBSan, each session checks: every reply is one line that is
 * a JSON object with a boolean "ok", and an error has a string "code" and
 * "error"; the server never stalls while data waits for it (a hang); it
 * drops both clients once they go; no fd is left open.  One device serves
 * every session, as a backend serves successive clients.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vup.h"
#include "stm32l4.h"

#define PUMP_ROUNDS 10000   /* dispatch rounds without rest = a hang */
#define LONG_LINE   65537u  /* one more than the server takes */
#define RX_MAX      (8u << 20)

static const struct stm32l4_periph_info infos[] = {
    { "rcc", STM32L4_MODEL_RCC, STM32L4_RCC_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_RCC_IRQ, 0 },
    { "usart1", STM32L4_MODEL_USART, STM32L4_USART1_BASE,
      STM32L4_PERIPH_SIZE, STM32L4_USART1_IRQ, 0 },
    { "gpioa", STM32L4_MODEL_GPIO, STM32L4_GPIOA_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_NO_IRQ, 0 },
    { "gpioc", STM32L4_MODEL_GPIO, STM32L4_GPIOA_BASE + 0x800,
      STM32L4_PERIPH_SIZE, STM32L4_NO_IRQ, 2 },
};

static vup_dev *dev;
static vup_serial *loop_line;
static char dir[64], path[96], ctl_path[96];
static int base_fds = -1;
static uint8_t *long_line;

/* A client: what it received and has not checked yet. */
struct client {
    int fd;
    char *rx;
    size_t len;
};

static __attribute__((noreturn)) void die(const char *what)
{
    fprintf(stderr, "fuzz_ctl: %s\n", what);
    abort();
}

static void cleanup(void)
{
    unlink(path);
    unlink(ctl_path);
    rmdir(dir);
}

static void loop_rx(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    vup_serial_tx(loop_line, buf, len);
}

static const struct vup_reg loop_regs[] = { { .name = "DR", .offset = 0 } };
static const struct vup_periph_desc loop_desc = {
    .name = "loop", .base = 0x50000000, .size = 0x400,
    .regs = loop_regs, .num_regs = 1,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const struct stm32l4_opts opts = { 0 };
    const char *tmp = getenv("TMPDIR");
    struct stm32l4_usart *u = NULL;
    vup_periph *lp;
    bool ok = true;

    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    if (!getenv("VUP_LOG")) {
        vup_log_set_level(VUP_LOG_ERROR);
    }
    snprintf(dir, sizeof(dir), "%s/vup-fuzz-ctl-XXXXXX",
             tmp && tmp[0] && strlen(tmp) < 30 ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        die("mkdtemp");
    }
    snprintf(path, sizeof(path), "%s/dev.sock", dir);
    snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", dir);
    atexit(cleanup);
    long_line = malloc(LONG_LINE + 1);
    dev = vup_dev_new("stm32l4");
    if (!dev || !long_line) {
        die("vup_dev_new");
    }
    ok = stm32l4_rcc_create(dev, &infos[0], &opts) != NULL &&
         (u = stm32l4_usart_create(dev, &infos[1], &opts)) != NULL &&
         stm32l4_gpio_create(dev, &infos[2], &opts) != NULL &&
         stm32l4_gpio_create(dev, &infos[3], &opts) != NULL;
    lp = ok ? vup_dev_add_periph(dev, &loop_desc, NULL) : NULL;
    loop_line = lp ? vup_periph_add_serial(lp, NULL, loop_rx, NULL) : NULL;
    if (!loop_line || vup_dev_ctl_listen(dev, ctl_path) < 0 ||
        vup_dev_listen(dev, path) < 0 || stm32l4_usart_attach(u, "null") < 0) {
        die(vup_dev_error(dev));
    }
    return 0;
}

/* The open sockets (others, like the sanitizers' pipes, do not count). */
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
        n += !strncmp(target, "socket:", 7);
    }
    closedir(fds);
    return n;
}

/* Each complete reply line must be a well-formed reply. */
static void check_replies(struct client *c)
{
    char *nl;

    while ((nl = memchr(c->rx, '\n', c->len)) != NULL) {
        size_t len = (size_t)(nl - c->rx);
        json_tokener *tok = json_tokener_new();
        json_object *o, *ok, *code, *err;

        if (!tok) {
            die("json_tokener_new");
        }
        o = json_tokener_parse_ex(tok, c->rx, (int)len);
        if (!o || json_tokener_get_parse_end(tok) != len ||
            !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "ok", &ok) ||
            !json_object_is_type(ok, json_type_boolean)) {
            fprintf(stderr, "fuzz_ctl: bad reply: %.*s\n", (int)len, c->rx);
            die("a reply that is not a JSON object with a boolean ok");
        }
        if (!json_object_get_boolean(ok) &&
            (!json_object_object_get_ex(o, "code", &code) ||
             !json_object_is_type(code, json_type_string) ||
             !json_object_object_get_ex(o, "error", &err) ||
             !json_object_is_type(err, json_type_string) ||
             !json_object_get_string_len(err))) {
            fprintf(stderr, "fuzz_ctl: bad error: %.*s\n", (int)len, c->rx);
            die("an error reply without a code and a message");
        }
        json_object_put(o);
        json_tokener_free(tok);
        c->len -= len + 1;
        memmove(c->rx, nl + 1, c->len);
    }
    if (c->len == RX_MAX) {
        die("a reply line longer than the client's buffer");
    }
}

static void drain(struct client *c)
{
    ssize_t n;

    while (c->fd >= 0 && c->len < RX_MAX &&
           (n = recv(c->fd, c->rx + c->len, RX_MAX - c->len,
                     MSG_DONTWAIT)) > 0) {
        c->len += (size_t)n;
        check_replies(c);
    }
}

static bool dev_ready(void)
{
    struct pollfd p = { .fd = vup_dev_poll_fd(dev), .events = POLLIN };

    return poll(&p, 1, 0) == 1;
}

/* Lets the server handle everything it can; false if it had nothing. */
static bool pump(struct client *c, size_t n)
{
    bool worked = false;

    for (int i = 0; i < PUMP_ROUNDS; i++) {
        for (size_t j = 0; j < n; j++) {
            drain(&c[j]);
        }
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

/* Sends @len bytes to c[@to]; false once the server hung up on it. */
static bool send_part(struct client *c, size_t to, const uint8_t *p,
                      size_t len)
{
    while (len) {
        ssize_t n = send(c[to].fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN) {
                return false;
            }
            /*
             * Full: the server reads again once its reply is read and the
             * client's wait is over.  A waiting client keeps it full; that
             * is its own stall, not the server's.
             */
            if (!pump(c, 2)) {
                return false;
            }
            continue;
        }
        p += n;
        len -= (size_t)n;
    }
    pump(c, 2);
    return true;
}

static int connect_ctl(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sa.sun_path, ctl_path);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        die("connect");
    }
    return s;
}

static void session(struct client *c, const uint8_t *data, size_t size)
{
    size_t off = 0, line = 0;
    bool open[2] = { true, true };

    while (off < size && (open[0] || open[1])) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t len = nl ? (size_t)(nl - (data + off)) + 1 : size - off;
        size_t to = line++ % 2;
        const uint8_t *p = data + off;

        off += len;
        if (!open[to]) {
            continue;
        }
        if (len >= 2 && p[0] == 0xff) {
            memset(long_line, p[1], LONG_LINE);
            long_line[LONG_LINE] = '\n';
            p = long_line;
            len = LONG_LINE + 1;
        }
        /* Two pieces: a line cut anywhere must wait for its end. */
        {
            size_t split = 1 + p[len - 1] % len;

            open[to] = send_part(c, to, p, split) &&
                       send_part(c, to, p + split, len - split);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char rx[2][RX_MAX];
    struct client c[2];

    if (base_fds < 0) {
        base_fds = session_fds();
    }
    for (size_t i = 0; i < 2; i++) {
        c[i] = (struct client){ .fd = connect_ctl(), .rx = rx[i] };
    }
    pump(c, 2);
    if (vup_dev_ctl_clients(dev) != 2) {
        die("the server did not accept both clients");
    }
    session(c, data, size);
    /* The end of input ends a last line without a newline. */
    for (size_t i = 0; i < 2; i++) {
        shutdown(c[i].fd, SHUT_WR);
    }
    pump(c, 2);
    for (size_t i = 0; i < 2; i++) {
        close(c[i].fd);
        c[i].fd = -1;
    }
    pump(c, 2);
    if (vup_dev_ctl_clients(dev) != 0) {
        die("the server kept a client that closed");
    }
    if (session_fds() != base_fds) {
        die("fd leak: a session left a socket open");
    }
    return 0;
}
