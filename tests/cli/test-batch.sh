#!/bin/sh
# Batches of files, as the README recipes run them, on a folder of 24 images:
#   - `tconv upscale -o` (images side by side) equals a sequential run byte for byte, and
#     its throughput is printed;
#   - the README's GNU parallel recipe (one stateless file-to-file command per image)
#     equals it too (skipped where GNU parallel is not installed);
#   - a run killed halfway leaves only complete outputs, and --skip-existing resumes it
#     without computing any image twice.
#   test-batch.sh TCONV-CLI
set -u
cli=$1
data=$TCONV_TEST_DATA
work=$(mktemp -d /tmp/tconv-batch-XXXXXX)
trap 'rm -rf "$work"' EXIT
export TCONV_MODEL_PATH="$data/../../weights/models" XDG_DATA_HOME="$work/xdg"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
same_folders() { # A B: the same files, byte for byte
  [ "$(ls "$1")" = "$(ls "$2")" ] || return 1
  for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || return 1; done
}

# 24 distinct images: the bundled Set5 as it is and twice as large by four kernels (but
# one), small enough for the sanitizer build
mkdir -p "$work/in"
for i in 1 2 3 4 5; do
  "$cli" upscale "$data/Set5/img_00$i.png" "$work/in/img$i.png" --mode kernel --interp nearest --scale 1 -q
  for k in nearest bilinear bicubic lanczos; do
    [ $k = lanczos ] && [ $i = 5 ] && continue
    "$cli" upscale "$data/Set5/img_00$i.png" "$work/in/img$i-$k.png" --mode kernel --interp $k --scale 2 -q
  done
done
n=$(ls "$work/in" | wc -l)
[ "$n" -eq 24 ] && ok "24 input images" || not_ok "24 input images ($n)"

# a cheap fixed kernel for the comparisons (the batch is under test, not the network)
fast="--mode kernel --interp bicubic"
"$cli" upscale -o "$work/seq" "$work/in" --jobs 1 -q $fast || not_ok "sequential run"
t0=$(date +%s.%N)
"$cli" upscale -o "$work/jobs" "$work/in" -q $fast
t1=$(date +%s.%N)
mp=$(for f in "$work/in"/*; do identify -format '%w %h\n' "$f" 2>/dev/null ||
       /usr/bin/python3 -c "from PIL import Image; print(*Image.open('$f').size)"; done |
     awk '{ s += $1 * $2 } END { printf "%.1f", s / 1e6 }')
awk -v t0="$t0" -v t1="$t1" -v n="$n" -v mp="$mp" 'BEGIN {
  printf "# throughput (bicubic kernel): %d images (%s MP in) in %.2f s: %.1f images/s, %.1f MP/s\n", n, mp, t1 - t0, n / (t1 - t0), mp / (t1 - t0) }'
if same_folders "$work/seq" "$work/jobs"; then ok "images side by side equal the sequential run"
else not_ok "images side by side equal the sequential run"; fi

if command -v parallel >/dev/null 2>&1; then
  mkdir -p "$work/par"
  # the README's recipe, with this test's folders
  (cd "$work" && find in -name '*.png' | parallel --jobs 2 "$cli" upscale {} par/{/} -q --threads 1 $fast)
  if same_folders "$work/seq" "$work/par"; then ok "GNU parallel recipe equals the sequential run"
  else not_ok "GNU parallel recipe equals the sequential run"; fi
else
  echo "# GNU parallel is not installed here: its recipe was not run"
fi

# the network here, on one thread: slow enough to be killed halfway
t0=$(date +%s.%N)
"$cli" upscale -o "$work/seq-net" "$work/in" -q
t1=$(date +%s.%N)
awk -v t0="$t0" -v t1="$t1" -v n="$n" -v mp="$mp" 'BEGIN {
  printf "# throughput (fsrcnn-x2): %d images (%s MP in) in %.2f s: %.1f images/s, %.1f MP/s\n", n, mp, t1 - t0, n / (t1 - t0), mp / (t1 - t0) }'
"$cli" upscale -o "$work/killed" "$work/in" --jobs 1 -q --threads 1 &
pid=$!
while [ "$(ls "$work/killed" 2>/dev/null | grep -c '\.png$')" -lt 8 ]; do sleep 0.05; done
kill -9 $pid; wait $pid 2>/dev/null
before=$(ls "$work/killed" | grep -c '\.png$')
partial=$(ls -a "$work/killed" | grep -c '\.tconv-' || true)
complete=0
for f in "$work/killed"/*.png; do cmp -s "$f" "$work/seq-net/$(basename "$f")" && complete=$((complete + 1)); done
if [ "$complete" -eq "$before" ]; then ok "killed after $before images: every output there is complete ($partial temporary)"
else not_ok "killed after $before images: only $complete complete"; fi
"$cli" upscale -o "$work/killed" "$work/in" --skip-existing 2>"$work/resume.log"
rm -f "$work/killed"/.*.tconv-* # the temporary the kill left, which a resume ignores
if grep -q "^$((n - before)) upscaled, $before skipped (already there), 0 failed" "$work/resume.log" \
   && same_folders "$work/seq-net" "$work/killed"; then
  ok "resumed: $((n - before)) computed, $before skipped, none twice, all equal to the sequential run"
else not_ok "resume"; cat "$work/resume.log"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
