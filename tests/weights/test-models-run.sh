#!/bin/sh
# Every shipped model runs: each upscales a 64x48 image to scale times its size.  Cheap
# (seconds), so the builds that leave out the `models` suite's Set5 numbers (the
# sanitizer build and the GIMP roots, tools/run-tests) still take every model's layers
# through the engine: a memory error in one architecture's path shows under ASan there.
#   test-models-run.sh TCONV-CLI MODELS-DIR
set -u
cli=$1
export TCONV_MODEL_PATH=$2
in="$TCONV_TEST_DATA/icc/srgb-profile.png" # 64x48
work=$(mktemp -d /tmp/tconv-models-run-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
png_size() { # FILE: "W H" from the PNG's header
  od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
                                            $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
for file in "$2"/*.safetensors; do # every file: one that does not load fails here
  name=$(basename "$file" .safetensors)
  scale=$("$cli" info "$file" 2>/dev/null | sed -n 's/^ *scale \([0-9]*\),.*/\1/p')
  if [ -n "$scale" ] && "$cli" upscale --model "$file" "$in" "$work/$name.png" --quiet >"$work/log" 2>&1 &&
     [ "$(png_size "$work/$name.png")" = "$((64 * scale)) $((48 * scale))" ]; then
    passed=$((passed + 1)); echo "ok - $name: 64x48 -> $((64 * scale))x$((48 * scale))"
  else
    failed=$((failed + 1)); echo "not ok - $name (scale ${scale:-unreadable})"
    "$cli" info "$file" 2>&1 | head -3; cat "$work/log" 2>/dev/null
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
