#!/bin/sh
# Trains every shipped model in order; each step resumes from its checkpoint.
# FSRCNN's trick: the x2 network is trained from scratch, the others start from it and
# are fine-tuned (a global bicubic residual makes that quick).
#   sh weights/train/train_all.sh [RUNS_DIR]
# Iteration counts are what fitted in the first session's CPU time (2 cores); more
# iterations raise every number in weights/README.md.
set -e
here=$(dirname "$0")
runs=${1:-$here/runs}
t() { /usr/bin/python3 "$here/train.py" --ckpt-every 250 "$@"; }
t --kind transposed  --scale 2 --kernel 9 --iters 8000 --head-lr-scale 1 --out "$runs/fsrcnn-x2"
# second session: a warm restart (larger patches, the deconvolution 10x slower, cut short),
# then an MSE fine-tune; this is the shipped fsrcnn-x2
t --kind transposed  --scale 2 --kernel 9 --init "$runs/fsrcnn-x2" --lr 4e-4 --min-lr 2e-6 --iters 14000 --stop-at 5000 --batch 18 --lr-patch 32 --out "$runs/x2-b"
t --kind transposed  --scale 2 --kernel 9 --init "$runs/x2-b" --lr 2e-4 --min-lr 1e-6 --iters 3000 --loss mse --batch 18 --lr-patch 32 --out "$runs/x2-c"
# the shipped x3 and x4: fine-tunes of the new x2 (the new head starts from x2's)
t --kind transposed  --scale 3 --kernel 9 --iters 1500 --lr 5e-4 --init "$runs/x2-c" --head-lr-scale 1 --out "$runs/x3-b"
t --kind transposed  --scale 3 --kernel 9 --iters 4000 --lr 3e-4 --min-lr 1e-6 --init "$runs/x3-b" --out "$runs/x3-c"
t --kind transposed  --scale 4 --kernel 9 --iters 1500 --lr 5e-4 --init "$runs/x2-c" --head-lr-scale 1 --out "$runs/x4-b"
t --kind transposed  --scale 4 --kernel 9 --iters 4000 --lr 3e-4 --min-lr 1e-6 --init "$runs/x4-b" --out "$runs/x4-c"
# first session: x3/x4 from the first x2; the other heads still start from these
t --kind transposed  --scale 3 --kernel 9 --iters 1500 --lr 5e-4 --init "$runs/fsrcnn-x2" --head-lr-scale 1 --out "$runs/fsrcnn-x3"
t --kind transposed  --scale 4 --kernel 9 --iters 1000 --lr 5e-4 --init "$runs/fsrcnn-x2" --head-lr-scale 1 --out "$runs/fsrcnn-x4"
t --kind resize-conv --scale 2 --kernel 9 --iters 750 --lr 5e-4 --init "$runs/fsrcnn-x2" --head-lr-scale 1 --out "$runs/rc-x2"
t --kind transposed  --scale 2 --kernel 8 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x2" --head-lr-scale 1 --out "$runs/even-x2"
t --kind transposed  --scale 4 --kernel 8 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x4" --head-lr-scale 1 --out "$runs/even-x4"
t --kind resize-conv --scale 3 --kernel 9 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x3" --head-lr-scale 1 --out "$runs/rc-x3"
t --kind resize-conv --scale 4 --kernel 9 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x4" --head-lr-scale 1 --out "$runs/rc-x4"
