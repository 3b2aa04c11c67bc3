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
t --kind transposed  --scale 2 --kernel 9 --iters 8000 --out "$runs/fsrcnn-x2"
t --kind transposed  --scale 3 --kernel 9 --iters 1500 --lr 5e-4 --init "$runs/fsrcnn-x2" --out "$runs/fsrcnn-x3"
t --kind transposed  --scale 4 --kernel 9 --iters 1000 --lr 5e-4 --init "$runs/fsrcnn-x2" --out "$runs/fsrcnn-x4"
t --kind resize-conv --scale 2 --kernel 9 --iters 750 --lr 5e-4 --init "$runs/fsrcnn-x2" --out "$runs/rc-x2"
t --kind transposed  --scale 2 --kernel 8 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x2" --out "$runs/even-x2"
t --kind transposed  --scale 4 --kernel 8 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x4" --out "$runs/even-x4"
t --kind resize-conv --scale 3 --kernel 9 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x3" --out "$runs/rc-x3"
t --kind resize-conv --scale 4 --kernel 9 --iters 500 --lr 5e-4 --init "$runs/fsrcnn-x4" --out "$runs/rc-x4"
