"""The report of the recurrent-RL sweep (benchmarks/rl.py): RL.md, learning curves, CD diagram.

    python benchmarks/rl_report.py benchmarks/results/rl

Per task and start, over the seeds:

* **final return**: the mean return of the last 200 episodes of a run (all 8 environments);
  the median over seeds and the seed spread (MAD, median absolute deviation);
* **steps to threshold**: the first step at which the mean of the trailing 100 episodes reaches
  the task's threshold, the midpoint between random play's mean return (200 episodes of
  uniformly random actions) and the best start's median final return; a run that never
  reaches it counts as the budget (shown ``>N`` when the median is censored);
* **win/tie/loss** of each start against the library's (PyTorch's default): a tie when the two
  medians differ by at most the larger seed spread (the rule of docs/realdata.md), and the
  two-sided Wilcoxon signed-rank test over the tasks' medians (n = 5 tasks: the smallest
  possible p is 0.0625); **first or tied**: on how many tasks a start is first or within the
  seed spread of the first;
* the critical-difference diagram of aeon over the tasks (as docs/realdata.md).
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from _report_common import cd_section, load_runs, mad, mean_ranks, report_cli
from rnninit_bench.crossdata import Problem, compare, first_or_tied

LAST = 200  # episodes averaged for the final return
WINDOW = 100  # trailing episodes for steps-to-threshold
MAIN = [
    "library",
    "cleanrl",
    "chrono",
    "orthogonal",
    "flax",
    "auto",
    "auto_every_step",
    "auto_learned_state",
]


def final_return(run: dict[str, Any]) -> float:
    return float(np.mean([r for _, r in run["episodes"][-LAST:]]))


def steps_to(run: dict[str, Any], threshold: float) -> int | None:
    eps = run["episodes"]
    rets = np.array([r for _, r in eps])
    for i in range(WINDOW, len(eps) + 1):
        if rets[i - WINDOW : i].mean() >= threshold:
            return int(eps[i - 1][0])
    return None


def random_play(task: str, episodes: int = 200) -> float:
    sys.path.insert(0, str(Path(__file__).parent))
    import gymnasium as gym
    from rl import TASKS, _wrap  # the sweep's own environments

    env = _wrap(gym.make(TASKS[task][0]))
    env.action_space.seed(0)
    total = []
    for k in range(episodes):
        env.reset(seed=k)
        done, ret = False, 0.0
        while not done:
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            ret += float(r)
            done = term or trunc
        total.append(ret)
    return float(np.mean(total))


def curves(runs: list[dict[str, Any]], task: str, starts: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for start in starts:
        rs = [r for r in runs if r["task"] == task and r["start"] == start]
        if not rs:
            continue
        budget = rs[0]["steps"]
        edges = np.arange(0, budget + 1, 4096)
        ys = []
        for r in rs:
            e = np.array(r["episodes"])
            ys.append(
                [
                    e[(e[:, 0] > a) & (e[:, 0] <= b), 1].mean()
                    if ((e[:, 0] > a) & (e[:, 0] <= b)).any()
                    else np.nan
                    for a, b in itertools.pairwise(edges)
                ]
            )
        y = np.nanmedian(np.array(ys), axis=0)
        style = "-" if start.startswith("auto") else "--"
        ax.plot(edges[1:], y, style, label=f"{start} ({len(rs)})")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return (median over seeds)")
    ax.set_title(f"RecurrentPPO, {task}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(folder: Path, min_seeds: int = 5) -> Path:
    runs = load_runs(folder)
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by[(r["task"], r["start"])].append(r)
    tasks = list(dict.fromkeys(r["task"] for r in runs))
    starts_all = list(dict.fromkeys(r["start"] for r in runs))
    main = [s for s in MAIN if s in starts_all]
    extra = [s for s in starts_all if s not in MAIN]
    seconds = sum(r["init_seconds"] + r["train_seconds"] for r in runs)
    lines = [
        "# Recurrent RL: RecurrentPPO on POPGym, only the start differing",
        "",
        f"{len(runs)} runs, {seconds / 3600:.1f} h of wall time on one torch thread each "
        "(2 workers on a shared 2-core CPU). Command: `while OMP_NUM_THREADS=1 python "
        "benchmarks/rl.py --ablation --worker-id a --max-runs 1; do :; done` (and `b`), then "
        f"`python benchmarks/rl_report.py benchmarks/results/rl --min-seeds {min_seeds}`.",
        "",
    ]
    if runs:
        v = runs[0]["versions"]
        lines += [
            "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ". Setting: "
            f"`MlpLstmPolicy`, LSTM {runs[0]['lstm_hidden_size']}, {runs[0]['n_envs']} "
            f"environments, RecurrentPPO defaults but {runs[0]['ppo_kwargs']}; "
            f"{runs[0]['steps']} steps per run.",
            "",
        ]
    per_task: dict[str, dict[str, tuple[float, ...]]] = {}
    for task in tasks:
        rand = random_play(task)
        med = {
            s: statistics.median(final_return(r) for r in by[(task, s)])
            for s in starts_all
            if by[(task, s)]
        }
        thr = (rand + max(med.values())) / 2
        lines += [
            f"## {task}",
            "",
            f"Random play: {rand:.3f}. Threshold: {thr:.3f}.",
            "",
            "| start | seeds | final return, median (MAD) | steps to threshold, median | reached |",
            "|---|---|---|---|---|",
        ]
        values: dict[str, tuple[float, ...]] = {}
        for s in main + extra:
            rs = by.get((task, s), [])
            if not rs:
                continue
            fin = [final_return(r) for r in rs]
            hit = [steps_to(r, thr) for r in rs]
            budget = rs[0]["steps"]
            st = statistics.median([budget + 1 if h is None else h for h in hit])
            st_txt = f">{budget}" if st > budget else f"{st:.0f}"
            lines.append(
                f"| {s} | {len(rs)} | {statistics.median(fin):.3f} ({mad(fin):.3f}) | "
                f"{st_txt} | {sum(h is not None for h in hit)}/{len(rs)} |"
            )
            if len(rs) >= min_seeds:
                values[s] = tuple(fin)
        lines += ["", f"![learning curves, {task}](plots/curves_{task}.png)", ""]
        curves(runs, task, main + extra, folder / "plots" / f"curves_{task}.png")
        per_task[task] = values
    lines += ["## Across tasks", ""]
    common = [s for s in main + extra if all(s in v for v in per_task.values())]
    probs = [
        Problem(f"rl-{t}", "lstm", 64, "return", {s: v[s] for s in common})
        for t, v in per_task.items()
    ]
    if len(probs) < 2 or "library" not in common:
        lines += [f"Fewer than 2 tasks have the library's start on {min_seeds} seeds yet.", ""]
    else:
        left = [s for s in main + extra if s not in common]
        lines += [
            f"{len(probs)} tasks; the starts with {min_seeds}+ seeds on every task"
            + (f" (left out, fewer seeds: {', '.join(left)})." if left else "."),
            "",
            "| start | W/T/L vs library | Wilcoxon p | first or tied | mean rank |",
            "|---|---|---|---|---|",
        ]
        ranks = mean_ranks(probs, common)
        for s in common:
            w, t, l_, p = compare(probs, s, "library") if s != "library" else (0, 0, 0, math.nan)
            ft = first_or_tied(probs, s, common)
            wtl = "" if s == "library" else f"{w}/{t}/{l_}"
            ptxt = "" if s == "library" or math.isnan(p) else f"{p:.3f}"
            lines.append(f"| {s} | {wtl} | {ptxt} | {ft}/{len(probs)} | {ranks[s]:.2f} |")
        lines.append("")
        lines += cd_section(probs, common, folder / "plots" / "cd_rl.png")
    out = folder / "RL.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    return report_cli(report, Path("benchmarks/results/rl"), __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
