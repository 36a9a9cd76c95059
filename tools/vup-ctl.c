/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-ctl: drive a backend's control channel (docs/control-channel.md)
 * from a shell or a test: list what it has, set and read pins, inject
 * serial input, set values, wait for a pin or serial output.  One request
 * per run, after a hello that checks the protocol version.
 *
 * Exit status: 0 done, 1 failed (an error reply, a wait that timed out,
 * no backend, no reply in time), 2 bad usage.  Every wait is bounded by
 * the wall-clock safety timeout, so nothing hangs if the guest is stopped.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vup.h"
#include "vup/latin1.h"
#include "vup-ctl.h"

#define PROTOCOL_MAJOR  1
#define WALL_DEFAULT_MS 30000u

const char *sock_path;
uint64_t wall_deadline_ms;
static bool json_out, quiet;
static uint64_t wait_timeout_ns;   /* a wait's -t, 0: none */

/* ---- the subcommands' help -------------------------------------------- */

static const struct sub {
    const char *name;
    const char *args;
    const char *summary;      /* for the list in --help */
    const char *help;
} subs[] = {
    { "hello", "",
      "device, protocol version, virtual time",
      "The device's name, the protocol version, whether QEMU is connected\n"
      "and the virtual time the device knows.\n" },
    { "list", "[PERIPHERAL]",
      "peripherals, registers, pins, lines, values",
      "Every peripheral (or one) with its window, its registers and their\n"
      "values (read without side effects), its pins with their levels and\n"
      "modes, its serial lines and the values it exposes.\n" },
    { "read-reg", "PERIPHERAL REGISTER|OFFSET",
      "a register, without read side effects",
      "A register's stored value, by name (case does not matter) or byte\n"
      "offset (0x1c).  Read without side effects: no read hook runs, so a\n"
      "register marked \"read hook\" in `list` (a counter, RDR) may show what\n"
      "the model last stored rather than what the guest would read.\n" },
    { "set-pin", "PIN 0|1|z",
      "drive a pin from outside (z: let go)",
      "Drives an input pin from outside (a button, a signal): 0, 1, or z to\n"
      "let go (the pin then takes its pull-up/down).  Prints the pin's\n"
      "level after it: an output keeps driving its own.\n" },
    { "get-pin", "PIN",
      "a pin's level and mode",
      "A pin's level (whoever drives it), its mode and what the outside\n"
      "drives it to.\n" },
    { "inject", "[-x] [-e] LINE DATA",
      "bytes into a serial line's receive side",
      "Puts DATA into a serial line's receive side as if it came from the\n"
      "wire (the same path as the serial stream's input).\n"
      "  -x, --hex       DATA is hex digits (0d0a)\n"
      "  -e, --escapes   DATA has C escapes: \\n \\r \\t \\\\ \\0 \\xNN\n" },
    { "set-value", "NAME NUMBER",
      "set a value a model exposes",
      "Sets a value a model exposes (a sensor reading, a board part such as\n"
      "rcc.hse_hz); `list` shows them with their ranges.\n" },
    { "get-value", "NAME",
      "a value a model exposes", "A value a model exposes.\n" },
    { "wait-pin", "[-t TIME] PIN 0|1",
      "wait for a pin level",
      "Waits until the pin has the level (at once if it has).\n"
      "  -t, --timeout TIME  give up after TIME of guest virtual time:\n"
      "                      a number and ns, us, ms or s (100ms, 2s)\n" },
    { "wait-serial", "[-t TIME] [-f FROM] [-x] [-e] LINE PATTERN",
      "wait for a pattern in a line's output",
      "Waits until the line's output contains PATTERN (bytes, no regular\n"
      "expression), searching from FROM: mark (default: the end of the\n"
      "last match any client waited for, like expect), start (the oldest\n"
      "output kept, 64 KiB per line), now (only output still to come), or\n"
      "a byte offset.\n"
      "  -t, --timeout TIME  give up after TIME of guest virtual time\n"
      "  -f, --from FROM     where to search from\n"
      "  -x, --hex           PATTERN is hex digits\n"
      "  -e, --escapes       PATTERN has C escapes (\\r\\n)\n" },
    { "read-serial", "[-f FROM] LINE",
      "a line's output kept, as bytes",
      "Writes the line's output kept since FROM (default start) to stdout,\n"
      "as the bytes it was.\n"
      "  -f, --from FROM     start, mark or a byte offset\n" },
    { "raw", "JSON",
      "one request line as is",
      "Sends JSON as one request line (no hello first) and prints the\n"
      "reply line; the exit status says whether it was ok.\n" },
};

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " [OPTIONS] SOCKET COMMAND [ARGS]\n"
"       " PROG " COMMAND --help\n"
"Drive a vfio-user backend's control channel (vup-stm32l4 --ctl SOCKET).\n"
"\n"
"Options:\n"
"  -w, --wall-timeout SECONDS  give up after this much wall-clock time\n"
"                              (default 30, plus twice a wait's -t): the\n"
"                              safety net when the guest is stopped\n"
"  -j, --json                  print the reply line as it came\n"
"  -q, --quiet                 print nothing but errors\n"
"  -h, --help                  this help;  -V, --version\n"
"\n"
"Commands (COMMAND --help for each):\n");
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        fprintf(f, "  %s%s%s\n      %s\n", subs[i].name,
                subs[i].args[0] ? " " : "", subs[i].args, subs[i].summary);
    }
    fprintf(f,
"\n"
"Exit status: 0 done, 1 failed (an error reply, a wait that timed out, no\n"
"reply in time), 2 bad usage.  Protocol: docs/control-channel.md.\n");
}

static const struct sub *find_sub(const char *name)
{
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (!strcmp(subs[i].name, name)) {
            return &subs[i];
        }
    }
    return NULL;
}

static void sub_usage(FILE *f, const struct sub *s)
{
    fprintf(f, "Usage: " PROG " [OPTIONS] SOCKET %s%s%s\n%s", s->name,
            s->args[0] ? " " : "", s->args, s->help);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help'.\n");
    return EXIT_USAGE;
}

/* ---- arguments ----------------------------------------------------------- */

/* Bytes as a JSON string of the same-numbered characters (Latin-1). */
static json_object *bytes_string(const uint8_t *b, size_t len)
{
    char *s = malloc(2 * len + 1);
    json_object *o;

    if (!s) {
        return NULL;
    }
    o = json_object_new_string_len(s, (int)vup_latin1_encode(b, len, s));
    free(s);
    return o;
}

/* A reply's Latin-1 string back to bytes in @out (2 * len is enough). */
static size_t string_bytes(json_object *o, uint8_t *out)
{
    const uint8_t *s = (const uint8_t *)json_object_get_string(o);
    size_t len = (size_t)json_object_get_string_len(o), n = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 0xc0 && i + 1 < len) {
            out[n++] = (uint8_t)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
            i++;
        } else {
            out[n++] = s[i];
        }
    }
    return n;
}

/* C escapes of @s into @out (as long as @s is enough); -1: a bad one. */
static long unescape(const char *s, uint8_t *out)
{
    size_t n = 0;

    while (*s) {
        if (*s != '\\') {
            out[n++] = (uint8_t)*s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case 't': out[n++] = '\t'; s++; break;
        case '0': out[n++] = '\0'; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case 'x': {
            unsigned v;
            int used;

            if (sscanf(s + 1, "%2x%n", &v, &used) != 1 || used != 2) {
                return -1;
            }
            out[n++] = (uint8_t)v;
            s += 3;
            break;
        }
        default:
            return -1;
        }
    }
    return (long)n;
}

/* DATA / PATTERN as the request member @name (or "hex"). */
static int add_bytes(json_object *req, const char *name, const char *arg,
                     bool hex, bool escapes)
{
    if (hex) {
        json_object_object_add(req, "hex", json_object_new_string(arg));
        return 0;
    }
    if (escapes) {
        uint8_t *buf = malloc(strlen(arg) + 1);
        long n = buf ? unescape(arg, buf) : -1;

        if (n < 0) {
            free(buf);
            return usage_error("'%s': a bad escape (\\n \\r \\t \\\\ \\0 "
                               "\\xNN)", arg);
        }
        json_object_object_add(req, name, bytes_string(buf, (size_t)n));
        free(buf);
        return 0;
    }
    json_object_object_add(req, name, bytes_string((const uint8_t *)arg,
                                                   strlen(arg)));
    return 0;
}

/* TIME: a number and a unit (ns, us, ms, s) into nanoseconds. */
static int parse_time(const char *arg, uint64_t *ns)
{
    static const struct { const char *unit; double ns; } units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
    };
    char *end;
    double v = strtod(arg, &end);

    if (end == arg || !(v >= 0)) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcmp(end, units[i].unit) && v * units[i].ns < 1.8e19) {
            *ns = (uint64_t)(v * units[i].ns + 0.5);
            return 0;
        }
    }
    return -1;
}

/* LEVEL: 0, 1 (and z, when @z_ok) into a JSON value in *@out. */
static int parse_level(const char *arg, bool z_ok, json_object **out)
{
    if (!strcmp(arg, "0") || !strcmp(arg, "1")) {
        *out = json_object_new_int(arg[0] - '0');
        return 0;
    }
    if (z_ok && (!strcmp(arg, "z") || !strcmp(arg, "Z"))) {
        *out = NULL;
        return 0;
    }
    return -1;
}

static int parse_from(const char *arg, json_object **out)
{
    char *end;
    unsigned long long v;

    if (!strcmp(arg, "start") || !strcmp(arg, "now") ||
        !strcmp(arg, "mark")) {
        *out = json_object_new_string(arg);
        return 0;
    }
    errno = 0;
    v = strtoull(arg, &end, 0);
    if (!*arg || *end || errno || arg[0] == '-') {
        return -1;
    }
    *out = json_object_new_uint64(v);
    return 0;
}

/* ---- the commands -------------------------------------------------------- */

/* Options of a subcommand (all of them; each takes what it allows). */
struct sub_opts {
    uint64_t timeout_ns;
    bool has_timeout, hex, escapes;
    const char *from;
};

static int parse_sub_opts(const struct sub *s, int argc, char **argv,
                          struct sub_opts *o, int *first)
{
    static const struct option longopts[] = {
        { "timeout", required_argument, NULL, 't' },
        { "from",    required_argument, NULL, 'f' },
        { "hex",     no_argument,       NULL, 'x' },
        { "escapes", no_argument,       NULL, 'e' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    optind = 0;     /* GNU getopt: start again on a new argv */
    while ((opt = getopt_long(argc, argv, "t:f:xeh", longopts, NULL)) != -1) {
        bool takes = (opt == 't' && strstr(s->args, "-t")) ||
                     (opt == 'f' && strstr(s->args, "-f")) ||
                     (opt == 'x' && strstr(s->args, "-x")) ||
                     (opt == 'e' && strstr(s->args, "-e"));

        if (opt == 'h') {
            sub_usage(stdout, s);
            exit(EXIT_SUCCESS);
        }
        if (opt == '?' || !takes) {
            if (opt != '?') {
                fprintf(stderr, PROG ": %s takes no -%c\n", s->name, opt);
            }
            sub_usage(stderr, s);
            return EXIT_USAGE;
        }
        if (opt == 't') {
            if (parse_time(optarg, &o->timeout_ns) < 0) {
                return usage_error("%s: timeout '%s': want a number and a "
                                   "unit (ns, us, ms, s), e.g. 100ms",
                                   s->name, optarg);
            }
            o->has_timeout = true;
        } else if (opt == 'f') {
            o->from = optarg;
        } else if (opt == 'x') {
            o->hex = true;
        } else {
            o->escapes = true;
        }
    }
    *first = optind;
    return 0;
}

/* The request of subcommand @s with its arguments, in *@req. */
static int build_request(const struct sub *s, int argc, char **argv,
                         json_object **req)
{
    struct sub_opts o = { .from = NULL };
    int first, ret, n;
    char **a;
    json_object *r, *v;

    ret = parse_sub_opts(s, argc, argv, &o, &first);
    if (ret) {
        return ret;
    }
    a = argv + first;
    n = argc - first;
    r = json_object_new_object();
    *req = r;
    json_object_object_add(r, "cmd", json_object_new_string(s->name));

#define WANT(count) do { \
        if (n != (count)) { \
            fprintf(stderr, PROG ": %s: %d argument%s expected, %d given\n", \
                    s->name, (count), (count) == 1 ? "" : "s", n); \
            sub_usage(stderr, s); \
            return EXIT_USAGE; \
        } \
    } while (0)

    if (!strcmp(s->name, "hello")) {
        WANT(0);
    } else if (!strcmp(s->name, "list")) {
        if (n > 1) {
            WANT(1);
        }
        if (n == 1) {
            json_object_object_add(r, "peripheral",
                                   json_object_new_string(a[0]));
        }
    } else if (!strcmp(s->name, "read-reg")) {
        char *end;
        unsigned long off;

        WANT(2);
        json_object_object_add(r, "peripheral", json_object_new_string(a[0]));
        errno = 0;
        off = strtoul(a[1], &end, 0);
        if (a[1][0] >= '0' && a[1][0] <= '9' && !*end && !errno) {
            json_object_object_add(r, "offset", json_object_new_uint64(off));
        } else {
            json_object_object_add(r, "register",
                                   json_object_new_string(a[1]));
        }
    } else if (!strcmp(s->name, "set-pin") || !strcmp(s->name, "wait-pin")) {
        bool set = !strcmp(s->name, "set-pin");

        WANT(2);
        json_object_object_add(r, "pin", json_object_new_string(a[0]));
        if (parse_level(a[1], set, &v) < 0) {
            return usage_error("%s: level '%s': want 0 or 1%s", s->name, a[1],
                               set ? " or z" : "");
        }
        json_object_object_add(r, "level", v);
    } else if (!strcmp(s->name, "get-pin")) {
        WANT(1);
        json_object_object_add(r, "pin", json_object_new_string(a[0]));
    } else if (!strcmp(s->name, "inject") ||
               !strcmp(s->name, "wait-serial")) {
        bool inject = !strcmp(s->name, "inject");

        WANT(2);
        json_object_object_add(r, "line", json_object_new_string(a[0]));
        ret = add_bytes(r, inject ? "data" : "pattern", a[1], o.hex,
                        o.escapes);
        if (ret) {
            return ret;
        }
    } else if (!strcmp(s->name, "set-value")) {
        char *end;
        double val;

        WANT(2);
        json_object_object_add(r, "name", json_object_new_string(a[0]));
        val = strtod(a[1], &end);
        if (end == a[1] || *end) {
            return usage_error("set-value: '%s' is not a number", a[1]);
        }
        json_object_object_add(r, "value",
                               val == (double)(int64_t)val
                               ? json_object_new_int64((int64_t)val)
                               : json_object_new_double(val));
    } else if (!strcmp(s->name, "get-value")) {
        WANT(1);
        json_object_object_add(r, "name", json_object_new_string(a[0]));
    } else if (!strcmp(s->name, "read-serial")) {
        WANT(1);
        json_object_object_add(r, "line", json_object_new_string(a[0]));
    }
    if (o.has_timeout) {
        json_object_object_add(r, "timeout_ns",
                               json_object_new_uint64(o.timeout_ns));
    }
    if (o.from) {
        if (parse_from(o.from, &v) < 0) {
            return usage_error("%s: from '%s': want start, now, mark or a "
                               "byte offset", s->name, o.from);
        }
        json_object_object_add(r, "from", v);
    }
    wait_timeout_ns = o.has_timeout ? o.timeout_ns : 0;
    return 0;
#undef WANT
}

/* read-serial's data, as the bytes it was, on stdout. */
static int print_serial(json_object *r)
{
    json_object *data = member(r, "data");
    size_t len = data ? (size_t)json_object_get_string_len(data) : 0;
    uint8_t *buf = malloc(len + 1);
    size_t n;

    if (!buf) {
        return failed("out of memory");
    }
    n = data ? string_bytes(data, buf) : 0;
    if (fwrite(buf, 1, n, stdout) != n) {
        free(buf);
        return failed("writing stdout: %s", strerror(errno));
    }
    free(buf);
    return 0;
}

static int run(const char *cmd, json_object *req, const char *raw)
{
    json_object *reply = NULL;
    char *text = NULL;
    int fd = connect_to(sock_path), ret;

    if (fd < 0) {
        json_object_put(req);
        return EXIT_FAILED;
    }
    if (raw) {
        size_t len = strlen(raw);
        char *line = malloc(len + 2);

        if (!line) {
            close(fd);
            return failed("out of memory");
        }
        memcpy(line, raw, len);
        memcpy(line + len, "\n", 2);
        ret = send_line(fd, line);
        free(line);
        if (!ret) {
            ret = recv_line(fd, &text);
        }
        if (!ret) {
            printf("%s\n", text);
            reply = json_tokener_parse(text);
            ret = reply && json_object_is_type(reply, json_type_object) &&
                  reply_ok(reply) ? 0 : EXIT_FAILED;
        }
        goto out;
    }
    {
        json_object *hello = json_object_new_object();

        json_object_object_add(hello, "cmd", json_object_new_string("hello"));
        json_object_object_add(hello, "major",
                               json_object_new_int(PROTOCOL_MAJOR));
        ret = request(fd, hello, &reply, &text);
        if (ret) {
            json_object_put(req);
            goto out;
        }
        if (!reply_ok(reply)) {
            json_object_put(req);
            ret = reply_error(reply);
            goto out;
        }
        if (!strcmp(cmd, "hello")) {
            json_object_put(req);
            goto print;
        }
        json_object_put(reply);
        free(text);
        reply = NULL;
        text = NULL;
    }
    ret = request(fd, req, &reply, &text);
    if (ret) {
        goto out;
    }
    if (!reply_ok(reply)) {
        if (json_out) {
            printf("%s\n", text);
        }
        ret = reply_error(reply);
        goto out;
    }
print:
    if (json_out) {
        printf("%s\n", text);
    } else if (!strcmp(cmd, "read-serial")) {
        ret = print_serial(reply);
    } else if (!quiet) {
        print_reply(cmd, reply);
    }
out:
    json_object_put(reply);
    free(text);
    io_free();
    close(fd);
    if (fflush(stdout) != 0 && !ret) {
        ret = failed("writing stdout: %s", strerror(errno));
    }
    return ret;
}

static uint64_t wall_ms;           /* -w, 0: the default */

/*
 * The options before the command, in @argv[1..] (argv[0] is the program
 * or the socket): the index of the first other word, or -1 after --help
 * or --version (done), or -2 on a bad one (usage printed).
 */
static int parse_globals(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "wall-timeout", required_argument, NULL, 'w' },
        { "json",         no_argument,       NULL, 'j' },
        { "quiet",        no_argument,       NULL, 'q' },
        { "help",         no_argument,       NULL, 'h' },
        { "version",      no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    optind = 0;     /* GNU getopt: start again on a new argv */
    /* "+": options after the command are the command's. */
    while ((opt = getopt_long(argc, argv, "+w:jqhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w': {
            char *end;
            double v = strtod(optarg, &end);

            if (end == optarg || *end || !(v > 0) || v > 1e6) {
                usage_error("--wall-timeout '%s': want seconds, more than 0",
                            optarg);
                return -2;
            }
            wall_ms = (uint64_t)(v * 1000 + 0.5);
            break;
        }
        case 'j':
            json_out = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf(PROG " %s (protocol %d)\n", VUP_VERSION_STRING,
                   PROTOCOL_MAJOR);
            return -1;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return -2;
        }
    }
    return optind;
}

int main(int argc, char **argv)
{
    const struct sub *s;
    json_object *req = NULL;
    int ret, first, more;

    first = parse_globals(argc, argv);
    if (first < 0) {
        return first == -1 ? EXIT_SUCCESS : EXIT_USAGE;
    }
    /* "vup-ctl COMMAND --help" and "vup-ctl help COMMAND". */
    if (optind < argc && (s = find_sub(argv[optind])) != NULL &&
        (optind + 1 == argc || !strcmp(argv[optind + 1], "--help") ||
         !strcmp(argv[optind + 1], "-h"))) {
        sub_usage(stdout, s);
        return EXIT_SUCCESS;
    }
    if (optind + 1 < argc && !strcmp(argv[optind], "help") &&
        (s = find_sub(argv[optind + 1])) != NULL) {
        sub_usage(stdout, s);
        return EXIT_SUCCESS;
    }
    if (argc - optind < 2) {
        return usage_error("want SOCKET and COMMAND");
    }
    sock_path = argv[optind];
    /* Options may come after the socket too: "SOCKET -w 5 wait-pin ...". */
    more = parse_globals(argc - first, argv + first);
    if (more < 0) {
        return more == -1 ? EXIT_SUCCESS : EXIT_USAGE;
    }
    optind = first + more - 1;
    if (argc - optind < 2) {
        return usage_error("want a COMMAND after %s", sock_path);
    }
    s = find_sub(argv[optind + 1]);
    if (!s) {
        return usage_error("unknown command '%s'", argv[optind + 1]);
    }
    if (!strcmp(s->name, "raw")) {
        int json_arg;
        struct sub_opts o = { .from = NULL };

        ret = parse_sub_opts(s, argc - optind - 1, argv + optind + 1, &o,
                             &json_arg);
        if (ret) {
            return ret;
        }
        if (argc - optind - 1 - json_arg != 1) {
            sub_usage(stderr, s);
            return EXIT_USAGE;
        }
        wall_deadline_ms = now_ms() + (wall_ms ? wall_ms : WALL_DEFAULT_MS);
        return run("raw", NULL, argv[optind + 1 + json_arg]);
    }
    ret = build_request(s, argc - optind - 1, argv + optind + 1, &req);
    if (ret) {
        json_object_put(req);
        return ret;
    }
    /* The wall-clock safety net outlasts a wait's virtual timeout. */
    wall_deadline_ms = now_ms() + (wall_ms ? wall_ms : WALL_DEFAULT_MS +
                                   2 * (wait_timeout_ns / 1000000u));
    return run(s->name, req, NULL);
}
