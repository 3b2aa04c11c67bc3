#!/bin/sh
# Load: 16 concurrent `tconv upscale` processes (on however few cores) all finish,
# with byte-identical outputs.
#   test-load.sh TCONV-CLI
set -u
cli=$1
work=$(mktemp -d /tmp/tconv-load-XXXXXX)
trap 'rm -rf "$work"' EXIT
export TCONV_MODEL_PATH="$TCONV_TEST_DATA/models" XDG_DATA_HOME="$work"
pids=
for i in $(seq 1 16); do
  "$cli" upscale "$TCONV_TEST_DATA/Set5/img_003.png" "$work/out-$i.png" --model tiny-x2 \
    --quiet --tile 64 &
  pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
sums=$(md5sum "$work"/out-*.png | awk '{print $1}' | sort -u | wc -l)
files=$(ls "$work"/out-*.png 2>/dev/null | wc -l)
echo "$files outputs, $sums distinct, $failed processes failed"
if [ "$failed" -eq 0 ] && [ "$files" -eq 16 ] && [ "$sums" -eq 1 ]; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"; exit 1
fi
