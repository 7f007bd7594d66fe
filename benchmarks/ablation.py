"""The factor ablation of issue 9: which part of an initialization makes an LSTM/GRU train.

One factor at a time around the recipe the factors meet in (LeCun-normal input blocks,
orthogonal recurrent blocks, chrono keep-gate bias), plus PyTorch's default and the data-
calibrated ``auto`` scheme, with chrono's uniform keep-gate timescales and with other
constants. Every cell is a scheme spec of ``rnninit bench``
(see ``rnninit_bench.spec``), so any one of them can be re-run alone::

    rnninit bench --task adding --length 200 --cell lstm --scheme 'chrono+input=lecun_normal'

Runs are resumable (finished ids are skipped) and ordered seed-major: seed 0 of every cell of
every task finishes before seed 1 of any. Usage::

    python benchmarks/ablation.py [--workers 2] [--seeds 3] [--only TASK|TASK:T:CELL ...] [--list]

``--list`` marks each run ``done`` or ``todo``. Results:
benchmarks/results/ablation/results.jsonl; report: ``rnninit report benchmarks/results/ablation``;
the factor table (cells x tasks): ``--table``, written into docs/ablation.md with ``--table
--update docs/ablation.md``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import _sweep_cli
from rnninit_bench import RunConfig, build_sweep

#: label -> scheme spec, grouped by the factor they vary. ``auto`` rows that ran before
#: 2026-11-26, when ``auto`` took ``reach=3`` (T_max = 3 x the horizon), carry ``+reach=1``: they
#: are the same runs, relabeled (T_max = the horizon, the rule then).
CELLS: dict[str, str] = {
    # reference
    "pytorch default": "pytorch",
    # input-weight scale (keep bias chrono, recurrent orthogonal per gate)
    "input: pytorch U(1/sqrt(H))": "chrono+input=pytorch_default",
    "input: glorot over the stack": "chrono+input=xavier_uniform+whole=input",
    "input: glorot per block": "chrono",
    "input: lecun per block": "chrono+input=lecun_normal",
    "input: calibrated (auto, T_max = the horizon)": "auto+reach=1",
    # keep-gate bias (input lecun per block, recurrent orthogonal per gate)
    "keep bias 0": "flax",
    "keep bias 1": "flax+forget_bias=1",
    # recurrent weights (input lecun per block, keep bias chrono)
    "recurrent: pytorch uniform": "chrono+input=lecun_normal+recurrent=pytorch_default",
    "recurrent: orthogonal over the stack": (
        "chrono+input=lecun_normal+recurrent=orthogonal+whole=recurrent"
    ),
    # keep-gate timescales: auto draws them log-uniform on [2, T_max], T_max = reach x the
    # horizon (the data's sequence length); chrono's draw is uniform
    "auto (reach 3: T_max = 3 x the horizon)": "auto",
    "auto reach 10": "auto+reach=10",
    "auto reach 1, chrono's uniform timescales": "auto+timescales=uniform+reach=1",
    # auto (reach 1) with a larger calibration target (after the screen of the uniform variant
    # below)
    "auto reach 1, target 3": "auto+target=3+reach=1",
    # auto's own horizon, shorter than the data's (screens on permuted digits)
    "auto T_max 8": "auto+horizon=8+reach=1",
    "auto T_max 16": "auto+horizon=16+reach=1",
    # auto's constants, each varied around auto with chrono's uniform timescales and reach 1
    # (they ran before auto took log-spaced timescales): the calibration target (mean square of
    # each gate block's input contribution) and per-feature standardization
    "auto-uniform target 0.3": "auto+target=0.3+timescales=uniform+reach=1",
    "auto-uniform target 3": "auto+target=3+timescales=uniform+reach=1",
    "auto-uniform, one scale per block": "auto+per_feature=0+timescales=uniform+reach=1",
    # the recurrent gain and the keep-gate T_max (the data's length by default, then)
    "auto-uniform gain 0.8": "auto+gain=0.8+timescales=uniform+reach=1",
    "auto-uniform gain 1.25": "auto+gain=1.25+timescales=uniform+reach=1",
    **{
        f"auto-uniform T_max {t}": f"auto+horizon={t}+timescales=uniform+reach=1"
        for t in (8, 15, 16, 32, 40, 48, 50, 94, 400, 2000)
    },
}

#: Cells run on some tasks only (the T_max screens of 2026-11-26: permuted digits, copy, adding
#: T=750; T_max 188 on adding T=1500 is in the results file too, outside the table's tasks).
PARTIAL: frozenset[str] = frozenset(
    [f"auto+horizon={t}+timescales=uniform+reach=1" for t in (8, 15, 16, 32, 40, 48, 94, 400)]
    + [f"auto+horizon={t}+reach=1" for t in (8, 16)]
)

#: (task, length, cell) in the order they run, cheapest and most telling first.
TASKS: list[tuple[str, int, str]] = [
    ("adding", 200, "lstm"),
    ("adding_x100", 100, "lstm"),
    ("copy", 100, "lstm"),
    ("digits_perm", 64, "lstm"),
    ("digits_raw", 64, "lstm"),
    ("adding", 200, "gru"),
    ("adding", 750, "lstm"),
    ("adding", 750, "gru"),
]


def configs(seeds: int, only: list[str] | None) -> list[RunConfig]:
    """Seed-major: seed 0 of every cell of every task first, so a cut-short sweep still covers
    every factor on every task. ``only`` names tasks (``adding``) or ``task:T:cell`` keys
    (``adding:200:gru``); a name that selects nothing is a ValueError listing the valid ones."""
    valid = {t for t, _, _ in TASKS} | {f"{t}:{n}:{c}" for t, n, c in TASKS}
    unknown = sorted(set(only or ()) - valid)
    if unknown:
        near = [m for u in unknown for m in difflib.get_close_matches(u, valid, n=1)]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ValueError(f"--only got {unknown}{hint}; valid: {', '.join(sorted(valid))}")
    out = []
    for seed in range(seeds):
        for task, length, cell in TASKS:
            if only and not {task, f"{task}:{length}:{cell}"} & set(only):
                continue
            for spec in CELLS.values():
                if spec in PARTIAL:
                    continue  # screens: re-run with rnninit bench (see docs/ablation.md)
                for c in build_sweep([task], [spec], [cell], [length], seeds=seed + 1):
                    if c.seed == seed:
                        out.append(c)
    return out


def _cell_text(records: list[dict]) -> str:  # type: ignore[type-arg]
    """``solved/n @median steps`` or, if no seed solved, ``0/n, metric median``; accuracy
    tasks always show the median final test accuracy."""
    import statistics

    n = len(records)
    steps = [r["steps_to_solve"] for r in records if r["solved"]]
    metric = records[0]["task"]["metric"]
    final = statistics.median(
        r["final"].get("test_accuracy" if metric == "accuracy" else "test_loss", float("nan"))
        for r in records
    )
    shown = f"{'acc' if metric == 'accuracy' else metric} {final:.3g}"
    if steps:
        solved = f"{len(steps)}/{n} @{int(statistics.median(steps))}"
        return f"{solved}, {shown}" if metric == "accuracy" else solved
    return f"0/{n}, {shown}"


#: Column headings of the factor table, short so that a rendered table does not wrap them.
_HEADINGS = {
    "adding": "adding T={length}",
    "adding_x100": "adding x100 T={length}",
    "copy": "copy T={length}",
    "digits_perm": "permuted digits",
    "digits_raw": "raw digits",
}
_CELL_NAMES = {"lstm": "LSTM", "gru": "GRU"}


def _heading(task: str, length: int) -> str:
    return _HEADINGS.get(task, f"{task} T={{length}}").format(length=length)


def table(folder: str) -> str:
    """The factor table, one Markdown table per recurrent cell (rows: the cells of the ablation
    by label; columns: the tasks run on that cell), then a table of each row's scheme spec.
    A table cell holds the seeds solved and the median steps to solve (or, if none solved, the
    median final test metric); rows with no run on a cell's tasks are left out of its table."""
    from rnninit_bench import load_results

    runs: dict[tuple[tuple[str, int, str], str], list[dict]] = {}  # type: ignore[type-arg]
    for r in load_results(folder):
        c = r["config"]
        runs.setdefault(((c["task"], c["length"], c["cell"]), c["scheme"]), []).append(r)
    lines: list[str] = []
    for cell, name in _CELL_NAMES.items():
        tasks = [t for t in TASKS if t[2] == cell and any(k[0] == t for k in runs)]
        if not tasks:
            continue
        rows = []
        for label, spec in CELLS.items():
            row = [_cell_text(runs[(t, spec)]) if (t, spec) in runs else "" for t in tasks]
            if any(row):
                rows.append(f"| {label} | " + " | ".join(row) + " |")
        heads = " | ".join(_heading(t, n) for t, n, _ in tasks)
        lines += [f"**{name}**", "", f"| start | {heads} |", "|---" * (len(tasks) + 1) + "|"]
        lines += [*rows, ""]
    lines += ["**The scheme spec of each row**", "", "| start | scheme spec |", "|---|---|"]
    lines += [f"| {label} | `{spec}` |" for label, spec in CELLS.items()]
    return "\n".join(lines)


START, END = "<!-- ablation table: start -->", "<!-- ablation table: end"


def update_doc(path: str, text: str) -> bool:
    """Write ``text`` between the markers ``<!-- ablation table: start -->`` and
    ``<!-- ablation table: end ...-->`` of the Markdown file ``path``; True if it changed.
    A file without both markers, in that order, is a ValueError (the file is left unchanged)."""
    doc = Path(path).read_text()
    a, b = doc.find(START), doc.find(END)
    if a < 0 or b < a:
        raise ValueError(
            f"{path} has no ablation-table block: put a line {START} before the table and a "
            f"line {END} --> after it"
        )
    new = f"{doc[: a + len(START)]}\n\n{text}\n\n{doc[b:]}"
    if new != doc:
        Path(path).write_text(new)
    return new != doc


def main() -> int:
    p = _sweep_cli.parser(__doc__, "ablation", workers=2)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument(
        "--only",
        nargs="*",
        help="tasks to run, by name (adding) or as task:T:cell (adding:200:gru); default: all",
    )
    p.add_argument("--table", action="store_true", help="print the factor table and exit")
    p.add_argument(
        "--update",
        metavar="FILE",
        help="with --table: write it between the ablation-table markers of FILE instead",
    )
    args = p.parse_args()
    if args.update and not args.table:
        p.error("--update FILE needs --table")
    if args.table:
        text = table(args.out)
        if not args.update:
            print(text)
            return 0
        try:
            changed = update_doc(args.update, text)
        except (OSError, ValueError) as e:
            p.error(str(e))
        print(f"{args.update}: {'table updated' if changed else 'already up to date'}")
        return 0
    try:
        todo = configs(args.seeds, args.only)
    except ValueError as e:
        p.error(str(e))
    return _sweep_cli.run(todo, args)


if __name__ == "__main__":
    raise SystemExit(main())
