#!/bin/sh
# Trains every shipped model in order; each step resumes from its checkpoint.
# FSRCNN's trick: the x2 network is trained from scratch, the other scales and heads
# start from it and are fine-tuned (a global bicubic residual makes that quick).
#   sh weights/train/train_all.sh [RUNS_DIR]
# The commands are exactly what produced the shipped files (third and fourth sessions,
# 2 CPU cores, Debian's python3-torch 1.13): iteration counts are what fitted in a session.
set -e
here=$(dirname "$0")
runs=${1:-$here/runs}
t() { /usr/bin/python3 "$here/train.py" "$@"; }
# a copy of a run's model as it is now, for the runs that started from it then
snapshot() { mkdir -p "$runs/$2" && cp "$runs/$1/model.pt" "$runs/$2/model.pt"; }

# fsrcnn-x2 from scratch: batch 32 of 24-pixel LR crops, L1, Adam 1e-3 with cosine decay,
# the deconvolution at 0.1x the learning rate.  Planned for 60000 steps; x3 started from
# its 28000th, x4 from its 33000th; then the schedule was shortened to 45000 steps and
# stopped at 34000 for lack of time (Set5 37.06 dB, above the published 37.00).
# (The session's run went through step 28000 without stopping; a resumed run draws a new
# patch stream, so this replay differs from it in the patches of steps 28000-33000.)
x2="--kind transposed --scale 2 --kernel 9 --batch 32 --lr-patch 24 --lr 1e-3 --min-lr 1e-5 --head-lr-scale 0.1"
t $x2 --threads 2 --ckpt-every 1000 --iters 60000 --stop-at 28000 --out "$runs/x2-d"
snapshot x2-d x2-d28
t $x2 --threads 2 --ckpt-every 1000 --iters 60000 --stop-at 33000 --out "$runs/x2-d"
snapshot x2-d x2-d33
t $x2 --threads 2 --ckpt-every 1000 --iters 45000 --stop-at 34000 --out "$runs/x2-d"

# fsrcnn-x3 and fsrcnn-x4: the whole x2 network fine-tuned (the 9x9 head starts from x2's)
ft="--kind transposed --kernel 9 --batch 32 --lr-patch 24 --lr 4e-4 --min-lr 2e-6 --head-lr-scale 0.5"
t $ft --scale 3 --threads 1 --ckpt-every 500 --iters 8000 --init "$runs/x2-d28" --out "$runs/x3-d"
# the shipped x3: the same from the final x2 on a longer schedule (6000 steps gave 33.03)
t $ft --scale 3 --threads 1 --ckpt-every 500 --iters 16000 --init "$runs/x2-d" --out "$runs/x3-g"
t $ft --scale 4 --threads 1 --ckpt-every 500 --iters 8000 --init "$runs/x2-d33" --stop-at 4000 --out "$runs/x4-d"
snapshot x4-d x4-d4k # rc-x4 started from here (the session's x4 run did not stop)
t $ft --scale 4 --threads 1 --ckpt-every 500 --iters 8000 --init "$runs/x2-d33" --out "$runs/x4-d"

# the other heads, new, on the trunk of the same scale
hd="--batch 32 --lr-patch 24 --lr 3e-4 --min-lr 1e-6 --head-lr-scale 1 --threads 1 --ckpt-every 500 --iters 4000"
t $hd --kind resize-conv --scale 2 --kernel 9 --init "$runs/x2-d" --out "$runs/rc-x2-d"
t $hd --kind resize-conv --scale 3 --kernel 9 --init "$runs/x3-d" --out "$runs/rc-x3-d"
t $hd --kind resize-conv --scale 4 --kernel 9 --init "$runs/x4-d4k" --out "$runs/rc-x4-d"
# the shipped resize+conv models: the same moved to the ramp-exact residual (Keys, a = -0.5),
# so that nothing in them treats output phases differently
t $hd --kind resize-conv --scale 2 --kernel 9 --residual keys --init "$runs/rc-x2-d" --out "$runs/rc-x2-k"
t $hd --kind resize-conv --scale 3 --kernel 9 --residual keys --init "$runs/rc-x3-d" --out "$runs/rc-x3-k"
t $hd --kind resize-conv --scale 4 --kernel 9 --residual keys --init "$runs/rc-x4-d" --out "$runs/rc-x4-k"
# kernel 8, a multiple of the stride (even overlap): new heads on the x2 and x4 networks
t $hd --kind transposed --scale 2 --kernel 8 --init "$runs/x2-d" --out "$runs/k8-x2-d"
t $hd --kind transposed --scale 4 --kernel 8 --init "$runs/x4-d" --out "$runs/k8-x4-d"

# The photo models (fifth session): each shipped clean model fine-tuned on JPEG-degraded
# inputs (weights/train/degrade.py): RGB bicubic downscale, then for 60% of the copies PIL
# JPEG 4:2:0 at a quality uniform in 60-95 (a tenth of those blurred or noisy first), Y of
# the decoded image; 32-pixel LR crops, L1.  A mix with more low qualities (85% JPEG at
# 30-95) gained more at q75 but lost 1.5 dB on clean inputs (../shared/PROBES.md).
photo="--degradation photo --kernel 9 --batch 32 --lr-patch 32 --lr 5e-4 --min-lr 5e-6 --head-lr-scale 0.1 --threads 1 --ckpt-every 500 --clean-share 0.4 --jpeg-q 60,95 --mild 0.1"
models=$here/../models
t $photo --kind transposed --scale 2 --iters 6000 --init-file "$models/fsrcnn-x2.safetensors" --out "$runs/photo-x2-b"
t $photo --kind transposed --scale 3 --iters 4000 --init-file "$models/fsrcnn-x3.safetensors" --out "$runs/photo-x3"
t $photo --kind transposed --scale 4 --iters 4000 --init-file "$models/fsrcnn-x4.safetensors" --out "$runs/photo-x4"
t $photo --kind resize-conv --residual keys --scale 2 --iters 4000 --init-file "$models/fsrcnn-rc-x2.safetensors" --out "$runs/photo-rc-x2"
# The shipped fsrcnn-photo-x4 (eighth and ninth sessions): photo-x4 above gained 0.33 dB
# at q75 on Set14 against the 0.4 required, so five fine-tunes followed, each toward fewer
# clean copies and lower qualities, with every crop its own JPEG draw (--per-crop), EMA
# weights and an MSE loss for the last three (Set14 q75 26.29 -> 26.34; clean Set5 30.25
# -> 29.99).  Reconstructed from the runs' notes: run d's head learning-rate scale and
# the thread counts are the notes' best reading, so a replay may differ in the last 0.01 dB.
p4="--kind transposed --scale 4 --kernel 9 --degradation photo --mild 0.1 --batch 32 --lr-patch 32 --min-lr 1e-6 --ckpt-every 500 --val2 test/Set14"
t $p4 --clean-share 0.3 --jpeg-q 55,95 --lr 2e-4 --head-lr-scale 0.1 --threads 2 --iters 3000 --init "$runs/photo-x4" --out "$runs/photo-x4-c"
t $p4 --per-crop --ema 0.999 --clean-share 0.2 --jpeg-q 50,90 --lr 2e-4 --head-lr-scale 0.1 --threads 2 --iters 4000 --init "$runs/photo-x4-c" --out "$runs/photo-x4-d"
t $p4 --per-crop --ema 0.999 --loss mse --clean-share 0.2 --jpeg-q 50,90 --lr 5e-5 --head-lr-scale 1 --threads 2 --iters 2000 --init "$runs/photo-x4-d" --out "$runs/photo-x4-g"
t $p4 --per-crop --ema 0.999 --loss mse --clean-share 0.15 --jpeg-q 60,85 --lr 1e-4 --head-lr-scale 1 --threads 2 --iters 3000 --init "$runs/photo-x4-g" --out "$runs/photo-x4-i"
t $p4 --per-crop --ema 0.999 --loss mse --clean-share 0.1 --jpeg-q 55,80 --lr 5e-5 --head-lr-scale 1 --threads 2 --iters 1500 --init "$runs/photo-x4-i" --out "$runs/photo-x4-j"

# SESR-M5's recipe on a transposed head (sixth session, one thread each): five 3x3
# collapsible linear blocks of 16 channels trained expanded to 256 and computed collapsed,
# a 10x10 stride-2 head (= SESR's 5x5 conv to 4 channels + pixel shuffle).  x2 from scratch,
# planned for 100000 steps, then (at 51000, for lack of time) resumed on a 70000-step
# schedule; x4 started from its 31000th step, x3 from its 43000th (the session's snapshots).
ss="--kind sesr --batch 32 --head-lr-scale 1 --threads 1"
t $ss --scale 2 --kernel 10 --lr-patch 32 --lr 5e-4 --min-lr 1e-6 --ckpt-every 1000 --iters 100000 --stop-at 31000 --out "$runs/sesr-x2"
snapshot sesr-x2 sesr-x2-31k
t $ss --scale 2 --kernel 10 --lr-patch 32 --lr 5e-4 --min-lr 1e-6 --ckpt-every 1000 --iters 100000 --stop-at 43000 --out "$runs/sesr-x2"
snapshot sesr-x2 sesr-x2-43k
t $ss --scale 2 --kernel 10 --lr-patch 32 --lr 5e-4 --min-lr 1e-6 --ckpt-every 1000 --iters 100000 --stop-at 51000 --out "$runs/sesr-x2"
snapshot sesr-x2 sesr-x2-51k
t $ss --scale 2 --kernel 10 --lr-patch 32 --lr 5e-4 --min-lr 1e-6 --ckpt-every 1000 --iters 70000 --out "$runs/sesr-x2"
sft="--lr-patch 24 --lr 4e-4 --min-lr 2e-6 --ckpt-every 500 --iters 15000"
t $ss --scale 4 --kernel 20 $sft --init "$runs/sesr-x2-31k" --out "$runs/sesr-x4"
t $ss --scale 3 --kernel 15 $sft --init "$runs/sesr-x2-43k" --out "$runs/sesr-x3"
# the shipped x3 and x4: heads of 9 and 8 taps (3x3 and 2x2 per phase), within FSRCNN's cost
# (13.2k and 12.9k multiply-adds), fine-tuned from the final x2; the same PSNR as above
sft8="--lr-patch 24 --lr 4e-4 --min-lr 2e-6 --ckpt-every 500 --iters 8000"
t $ss --scale 3 --kernel 9 $sft8 --init "$runs/sesr-x2" --out "$runs/sesr-x3-k9"
t $ss --scale 4 --kernel 8 $sft8 --init "$runs/sesr-x2" --out "$runs/sesr-x4-k8"
# the resize+conv twin: nearest x2 then 9x9 (folds to a 10x10 transposed head), new on the
# final x2 trunk, with the ramp-exact residual like the FSRCNN twins
t --kind sesr-rc --scale 2 --kernel 9 --residual keys --batch 32 --lr-patch 32 --lr 3e-4 --min-lr 1e-6 --head-lr-scale 1 --threads 1 --ckpt-every 500 --iters 4000 --init "$runs/sesr-x2" --out "$runs/sesr-rc-x2"
# photo twins of the SESR models, as the FSRCNN ones (the x2 one from sesr-x2's 51000th step)
sphoto="--kind sesr --degradation photo --clean-share 0.4 --jpeg-q 60,95 --mild 0.1 --batch 32 --lr-patch 32 --lr 5e-4 --min-lr 5e-6 --head-lr-scale 1 --threads 1 --ckpt-every 500 --val2 test/Set14"
t $sphoto --scale 2 --kernel 10 --iters 6000 --init "$runs/sesr-x2-51k" --out "$runs/sesr-photo-x2"
t $sphoto --scale 4 --kernel 20 --iters 4000 --init "$runs/sesr-x4" --out "$runs/sesr-photo-x4"
t $sphoto --scale 4 --kernel 8 --iters 4000 --init "$runs/sesr-x4-k8" --out "$runs/sesr-photo-x4-k8"
# shipped: 3000 more steps, 30% clean, JPEG 55-95 (Set14 q75 +0.39 -> +0.44 dB over sesr-x4)
t --kind sesr --degradation photo --clean-share 0.3 --jpeg-q 55,95 --mild 0.1 --batch 32 --lr-patch 32 --lr 2e-4 --min-lr 1e-6 --head-lr-scale 1 --threads 2 --ckpt-every 500 --val2 test/Set14 --scale 4 --kernel 8 --iters 3000 --init "$runs/sesr-photo-x4-k8" --out "$runs/sesr-photo-x4-k8b"
t $sphoto --scale 3 --kernel 15 --iters 4000 --init "$runs/sesr-x3" --out "$runs/sesr-photo-x3"
t $sphoto --scale 3 --kernel 9 --iters 4000 --init "$runs/sesr-x3-k9" --out "$runs/sesr-photo-x3-k9" # shipped
t $sphoto --kind sesr-rc --residual keys --scale 2 --kernel 9 --iters 4000 --init "$runs/sesr-rc-x2" --out "$runs/sesr-rc-photo-x2"
