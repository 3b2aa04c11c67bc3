#!/bin/sh
# The README's batch examples, verbatim, on the GIMP series installed here (3.0 or 3.2):
# each block marked `<!-- batch-example: LANGUAGE SERIES -->` for this series runs over a
# photos/ folder of two PNGs and one file GIMP cannot open; every readable image must be
# upscaled x2 and the unreadable one reported and skipped.  The Python-Fu block is the
# same on both series: on 3.0 its console's name is 3.0's, as the README says.
#   test-readme-batch.sh README PLUG-IN MODELS-DIR
set -u
readme=$1 plugin=$2 models=$3
data=$TCONV_TEST_DATA
work=$(mktemp -d /tmp/tconv-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT
console=$(command -v gimp-console-3.0 || command -v gimp-console-3.2 || command -v gimp-console)
series=$("$console" --version | sed -n 's/.*version \([0-9]*\.[0-9]*\).*/\1/p')
echo "# $("$console" --version): series $series"
export GIMP3_DIRECTORY="$work/profile" TCONV_MODEL_PATH="$models" XDG_DATA_HOME="$work/xdg"
mkdir -p "$GIMP3_DIRECTORY/plug-ins/tconv"
cp "$plugin" "$GIMP3_DIRECTORY/plug-ins/tconv/tconv"
passed=0 failed=0

# block LANGUAGE SERIES: the fenced block after the marker, with the console for this series
block() {
  awk -v m="<!-- batch-example: $1 $2 -->" '
    $0 == m { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$readme" | sed "s/gimp-console-[0-9.]*/$(basename "$console")/"
}

run_block() { # LANGUAGE SERIES
  rm -rf "$work/photos" && mkdir -p "$work/photos"
  cp "$data/Set5/img_003.png" "$work/photos/a.png"
  cp "$data/Set5/img_002.png" "$work/photos/b.png"
  printf 'not a PNG at all' >"$work/photos/broken.png"
  block "$1" "$2" >"$work/example.sh"
  if [ ! -s "$work/example.sh" ]; then
    failed=$((failed + 1)); echo "not ok - README has a $1 $2 batch example"; return
  fi
  (cd "$work" && sh ./example.sh) >"$work/out" 2>&1
  set -- "$1" "$2" $(for f in a b; do
    [ -f "$work/photos/$f.png.x2.png" ] && identify -format '%wx%h ' "$work/photos/$f.png.x2.png"
  done)
  if [ "${3:-}" = 512x512 ] && [ "${4:-}" = 576x576 ] && [ ! -e "$work/photos/broken.png.x2.png" ] \
     && grep -Eq 'skipped \(cannot open\): photos/broken.png|photos/broken.png: GIMP could not open it' "$work/out"; then
    passed=$((passed + 1)); echo "ok - README $1 example on GIMP $series: both images x2, the broken file skipped"
  else
    failed=$((failed + 1)); echo "not ok - README $1 example on GIMP $series (${3:-none} ${4:-none})"
    cat "$work/example.sh"; tail -20 "$work/out"
  fi
}

run_block script-fu "$series"
run_block python-fu 3.2
run_block python-fu-files 3.2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
