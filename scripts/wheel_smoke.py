"""Smoke test of an installed rnninit wheel, run by ``scripts/check_wheel.sh``.

Usage: ``VENV/bin/python -I wheel_smoke.py WHEEL VENV`` from a directory outside the source
tree (``-I``: no ``PYTHONPATH``, no current directory on ``sys.path``), so ``import rnninit``
can only find the installed wheel. Every check raises on failure: non-zero exit.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import torch
from torch import nn

import rnninit


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"wheel smoke FAILED: {what}")
    print(f"ok  {what}")


def main(wheel: Path, venv: Path) -> None:
    where = Path(rnninit.__file__).resolve()
    check(where.is_relative_to(venv.resolve()), f"rnninit imported from the venv ({where})")
    check("site-packages" in where.parts, "rnninit installed in site-packages, not editable")
    version = importlib.metadata.version("rnninit")
    check(version == rnninit.__version__, f"metadata version {version} == __version__")
    check(wheel.name.startswith(f"rnninit-{version}-"), f"wheel {wheel.name} has that version")
    check("rnninit/py.typed" in zipfile.ZipFile(wheel).namelist(), "the wheel ships py.typed")
    check((where.parent / "py.typed").is_file(), "py.typed installed next to rnninit")

    # the library only (issue 30): no benchmark code in the wheel, nothing but torch installed
    names = zipfile.ZipFile(wheel).namelist()
    bench = [n for n in names if n.startswith(("rnninit/bench/", "rnninit_bench/"))]
    check(bench == [], "the wheel holds no benchmark module (rnninit-bench is separate)")
    absent = ("rnninit_bench", "numpy", "matplotlib", "scipy", "sklearn", "tqdm", "aeon")
    present = [m for m in absent if importlib.util.find_spec(m) is not None]
    check(present == [], "import rnninit with torch alone: no benchmark or plotting package")
    out = subprocess.run(
        [str(venv / "bin" / "rnninit"), "bench", "--quick"], capture_output=True, text=True
    )
    check(
        out.returncode == 2 and "pip install -e bench" in out.stderr,
        "rnninit bench without rnninit-bench: exit 2 naming the install command",
    )

    hidden, inputs, layers, batch = 8, 5, 2, 3  # hidden != input, batch != layers
    lstm = nn.LSTM(inputs, hidden, num_layers=layers)
    gen = torch.Generator().manual_seed(0)
    p = dict(lstm.named_parameters())  # raw PyTorch rows: LSTM gates i, f, g, o

    # scheme 1: orthogonal per gate block, effective forget bias 1 (b_ih + b_hh rows H:2H)
    rnninit.init_(lstm, "orthogonal", generator=gen)
    with torch.no_grad():
        f_block = p["weight_hh_l0"][hidden : 2 * hidden]
        eye = torch.eye(hidden)
        check(torch.allclose(f_block @ f_block.T, eye, atol=1e-5), "orthogonal: forget block")
        forget = (p["bias_ih_l1"] + p["bias_hh_l1"])[hidden : 2 * hidden]
        check(bool((forget == 1.0).all()), "orthogonal: effective forget bias 1 in layer 1")
    same = all(q is dict(lstm.named_parameters())[n] for n, q in p.items())
    check(same, "init_ in place: the module keeps its Parameter objects")

    # scheme 2: chrono, b_f ~ log U(1, T_max - 1), b_i = -b_f (rows 0:H and H:2H)
    rnninit.init_(lstm, "chrono", max_timescale=50, generator=gen)
    with torch.no_grad():
        eff = p["bias_ih_l0"] + p["bias_hh_l0"]
        b_i, b_f = eff[:hidden], eff[hidden : 2 * hidden]
        in_range = bool(((b_f >= 0) & (b_f <= math.log(49) + 1e-6)).all())
        check(
            in_range and float(b_f.std()) > 0, "chrono: forget biases in [0, log 49], not constant"
        )
        check(torch.allclose(b_i, -b_f), "chrono: input bias = -forget bias")

    # the data-calibrated start: forget-gate input block at mean square 1 on the data
    x = 30 * torch.randn(9, batch, inputs, generator=gen) + 5
    rnninit.init_(lstm, "auto", data=x, generator=gen)
    with torch.no_grad():
        w_f = p["weight_ih_l0"][hidden : 2 * hidden].double()
        ms = float((x.reshape(-1, inputs).double() @ w_f.T).pow(2).mean())
    check(abs(ms - 1.0) < 1e-3, f"auto: forget block's input contribution mean square {ms:.4f}")

    # an initial state (zeros) and a forward pass with it
    h0, c0 = rnninit.initial_state(lstm, "zeros", batch_size=batch)
    shape = (layers, batch, hidden)
    check(h0.shape == c0.shape == shape, f"initial_state: h0, c0 of shape {shape}")
    check(not h0.any() and not c0.any(), "initial_state: zeros")
    out, _ = lstm(torch.randn(7, batch, inputs, generator=gen), (h0, c0))
    check(out.shape == (7, batch, hidden), "forward pass with that state")

    table = str(rnninit.describe(lstm))
    check("weight_hh_l1" in table and "recurrent" in table, "describe: a per-gate table")
    print(f"wheel smoke passed: rnninit {version} with torch {torch.__version__}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: wheel_smoke.py WHEEL VENV")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
