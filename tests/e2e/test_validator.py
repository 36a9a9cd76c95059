# SPDX-License-Identifier: BSD-3-Clause
"""One control-region validator: libvup's decoder, QEMU's build of it and
vup-info give the same verdict.

The decoder (lib/cr-decode.c) is built into QEMU unchanged; the
cr-verdicts tool is linked once with libvup's object and once with the
object QEMU's build made, and both run over the fuzz corpus (control
regions recorded from real sessions and from every hostile mutation).
vup-info, which checks a live backend, refuses every device QEMU refuses
at start for a reason of the device's own."""

import subprocess

import pytest

from conftest import BUILD, ROOT, VUP_INFO
from test_hostile import REFUSED, rogue

CORPUS = sorted((ROOT / "tests/fuzz/corpus/fuzz_cr_decode").glob("*"))
LIB_VERDICTS = BUILD / "tests/cr-verdicts"
QEMU_VERDICTS = BUILD / "tests/cr-verdicts-qemu"

# Refusals that are the board's (it knows its num-irq and address space),
# not the device's: vup-info, which sees one backend, cannot know them.
BOARD_ONLY = {"window-wraps", "window-above-4g", "same-nvic-line",
              "irq-beyond-num-irq"}
# Refusals before the decoder runs, worded by each client's transport.
TRANSPORT = {"version-garbage", "version-truncated", "info-not-platform",
             "region-info-truncated", "region-info-cap-loop",
             "region-info-cap-outside", "region-info-huge-argsz",
             "irq-info-truncated", "cr-read-truncated", "cr-read-stall",
             "cr-read-die"}


def verdicts(tool):
    assert tool.exists(), f"{tool} is missing (make check-e2e builds it)"
    out = subprocess.run([tool, *CORPUS], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout.decode().splitlines()


def test_qemu_and_libvup_decoders_agree_on_the_corpus():
    assert len(CORPUS) > 40, CORPUS
    lib, qemu = verdicts(LIB_VERDICTS), verdicts(QEMU_VERDICTS)
    assert len(lib) == 2 * len(CORPUS), lib
    diff = [f"libvup: {a}\n  qemu: {b}" for a, b in zip(lib, qemu) if a != b]
    assert not diff, "\n".join(diff)
    # Not vacuous: the corpus has accepted and refused regions.
    ok = [v for v in lib if v.endswith(": OK")]
    assert ok and len(ok) < len(lib), lib


@pytest.mark.parametrize("mutate,needle",
                         [r for r in REFUSED if r[0] not in BOARD_ONLY])
def test_vup_info_refuses_what_qemu_refuses(stack, mutate, needle):
    _, sock = rogue(stack, mutate)
    # A stall is noticed after --timeout; 3 s is plenty for a rogue to answer.
    p = stack.run([VUP_INFO, "--timeout", "3000", sock],
                  "vup-info")
    code = p.wait_exit(15)
    assert code == 1, f"vup-info exited {code}\n{p.log()}"
    err = p.err.decode(errors="replace")
    assert "not conformant" in err, p.log()
    # Where QEMU's message is the decoder's, vup-info's is the same one.
    if mutate not in TRANSPORT:
        for n in needle if isinstance(needle, tuple) else (needle,):
            assert n in err, p.log()
