#!/usr/bin/env bash
# The recorded full run of docs/BENCHMARKS.md (2026-11-21, 2 CPU cores shared with other jobs,
# torch 2.13.0). Stages in priority order, all appending to one folder; a re-run skips finished
# runs, so an interrupted run resumes by running this script again. Each stage is a plain
# `rnninit bench` command. The full suite is `rnninit bench --out DIR` (see BENCHMARKS.md).
set -euo pipefail
OUT=${OUT:-benchmarks/results/full}
W=${WORKERS:-2}
B="rnninit bench --out $OUT --workers $W --no-report --no-progress"
# A. The target: adding T=200, LSTM 128, batch 50, Adam 1e-3, clip 1, 3000 steps, 3 seeds.
$B --task adding --length 200 --cell lstm \
   --scheme pytorch,chrono,keras,uniform_gate,orthogonal,folk_normal --seeds 3
# B. Real data (digits, permuted digits) and the initial-state task (echo, every state kind).
$B --task digits,digits_perm --cell lstm --scheme pytorch,keras,chrono --seeds 3
$B --task echo --cell lstm,gru --seeds 3
# C. Copy, delay 100, LSTM 128, 3 seeds.
$B --task copy --length 100 --cell lstm --scheme pytorch,keras,chrono --seeds 3
# D. GRU and the relu RNN (IRNN) on adding T=200, one seed.
$B --task adding --length 200 --cell gru --scheme pytorch,chrono --seeds 1
$B --task adding --length 200 --cell rnn_relu --scheme pytorch,irnn --seeds 1
# E. Longer adding, one seed: T=400 for the default and chrono.
$B --task adding --length 400 --cell lstm --scheme pytorch,chrono --seeds 1
# F. Extensions, as time permitted. F1 ran first; after it showed flax and sonnet solving
#    T=200 fastest, the rest of F was re-planned around them.
$B --task adding --length 200 --cell lstm --scheme flax,sonnet,folk_xavier --seeds 3
$B --task adding --length 400 --cell lstm --scheme flax,sonnet --seeds 1
$B --task adding --length 750 --cell lstm --scheme flax,chrono --seeds 1
$B --task adding --length 200 --cell gru --scheme pytorch,chrono,flax --seeds 3
$B --task adding --length 400 --cell lstm --scheme chrono --seeds 3
$B --task copy --length 100 --cell lstm --scheme flax,sonnet --seeds 3
$B --task digits,digits_perm --cell lstm --scheme flax,sonnet --seeds 3
rnninit report "$OUT"
# G. `auto` (issue 9) on the full run's tasks, 3 seeds, same harness (2026-11-22 and -25).
$B --task adding --length 200 --cell lstm,gru --scheme auto --seeds 3
$B --task digits,digits_perm --cell lstm --scheme auto --seeds 3
$B --task copy --length 100 --cell lstm --scheme auto --seeds 3
$B --task adding --length 400 --cell lstm --scheme auto --seeds 3
rnninit report "$OUT"
# H. `auto` with log-spaced keep-gate timescales (2026-11-26); stage G's records are relabeled
#    auto+timescales=uniform. Permuted digits gets 5 seeds for the closest starts.
$B --task adding --length 200 --cell lstm,gru --scheme auto --seeds 3
$B --task digits --cell lstm --scheme auto --seeds 3
$B --task adding --length 400 --cell lstm --scheme auto --seeds 3
$B --task copy --length 100 --cell lstm --scheme auto --seeds 3
$B --task digits_perm --cell lstm --scheme auto,pytorch,flax,auto+timescales=uniform --seeds 5
rnninit report "$OUT"
