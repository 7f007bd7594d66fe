#!/usr/bin/env bash
# The recorded full run of docs/BENCHMARKS.md (2026-11-21, 2 shared CPU cores, torch 2.13.0).
# Stages in priority order, all appending to one folder; re-running skips finished runs, so an
# interrupted run is resumed by running this script again. Every stage is a plain
# `rnninit bench` command; the full suite is `rnninit bench --out DIR` (see BENCHMARKS.md).
set -euo pipefail
OUT=${OUT:-benchmarks/results/full}
W=${WORKERS:-2}
B="rnninit bench --out $OUT --workers $W --no-report --no-progress"
# A. The target: adding T=200, LSTM 128, batch 50, Adam 1e-3, clip 1, 3000 steps, 3 seeds.
$B --task adding --length 200 --cell lstm \
   --scheme pytorch,chrono,keras,uniform_gate,orthogonal,folk_normal --seeds 3
# B. Cheap real-data and initial-state tasks.
$B --task digits,digits_perm --cell lstm --scheme pytorch,keras,chrono --seeds 3
$B --task echo --cell lstm,gru --seeds 3
# C. Copy, delay 100, LSTM 128.
$B --task copy --length 100 --cell lstm --scheme pytorch,keras,chrono,uniform_gate --seeds 3
# D. Longer adding: T=400 and 750 for the schemes that solved T=200 and the default (1 seed).
$B --task adding --length 400,750 --cell lstm --scheme pytorch,chrono,uniform_gate --seeds 1
# E. GRU and the relu RNN at T=200 (1 seed).
$B --task adding --length 200 --cell gru --scheme pytorch,chrono --seeds 1
$B --task adding --length 200 --cell rnn_relu --scheme pytorch,irnn --seeds 1
rnninit report "$OUT"
