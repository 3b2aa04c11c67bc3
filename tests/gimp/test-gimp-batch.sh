#!/bin/sh
# GIMP batch mode, as a user runs it: the plug-in installed in an isolated profile
# (GIMP3_DIRECTORY), called from gimp-console through Script-Fu and Python-Fu.
#   test-gimp-batch.sh PLUG-IN TCONV-CLI PNG-DIFF
set -u
plugin=$1 cli=$2 pngdiff=$3
data=$TCONV_TEST_DATA
work=$(mktemp -d /tmp/tconv-gimp-XXXXXX)
trap 'rm -rf "$work"' EXIT
export GIMP3_DIRECTORY="$work/profile" TCONV_MODEL_PATH="$data/models" XDG_DATA_HOME="$work/xdg"
export TCONV_WORK="$work" TCONV_TEST_DATA="$data"
mkdir -p "$GIMP3_DIRECTORY/plug-ins/tconv"
cp "$plugin" "$GIMP3_DIRECTORY/plug-ins/tconv/tconv"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
expect() { # DESCRIPTION LINE
  if grep -qxF "$2" "$work/out"; then ok "$1"; else not_ok "$1 (no \"$2\")"; return 1; fi
}
# the console of whichever series is installed: 3.0 names it gimp-console-3.0, 3.2
# gimp-console-3.2 (and gimp-console)
console=$(command -v gimp-console-3.0 || command -v gimp-console-3.2 || command -v gimp-console)
echo "# $("$console" --version)"
gimp() { # INTERPRETER SCRIPT: output in $work/out, exit status returned
  "$console" -i -n -d -f --quit --batch-interpreter="$1" -b "$2" >"$work/out" 2>&1
}
# same_as_cli FILE: FILE has the size and pixels of the CLI's result (within 1/255)
same_as_cli() {
  set -- $("$pngdiff" "$work/cli.png" "$1")
  [ "$1" = "$2" ] && [ "$1" = 512x512 ] && awk "BEGIN { exit !($3 <= 1.0) }"
}

in="$data/Set5/img_003.png"
"$cli" upscale "$in" "$work/cli.png" --quiet || not_ok "CLI upscale"

gimp plug-in-script-fu-eval "
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\")))
         (drawables (car (gimp-image-get-selected-drawables image))))
    (plug-in-tconv-upscale RUN-NONINTERACTIVE image drawables
      \"transposed\" 2 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0)
    (gimp-file-save RUN-NONINTERACTIVE image \"$work/sf.png\" -1))"
if [ $? -eq 0 ] && same_as_cli "$work/sf.png"; then ok "script-fu upscale equals tconv upscale"
else not_ok "script-fu upscale equals tconv upscale"; cat "$work/out"; "$pngdiff" "$work/cli.png" "$work/sf.png"; fi

# a 100x80 crop for the kernel-mode geometries
magick "$in" -crop 100x80+60+90 +repage "$work/small.png" 2>/dev/null ||
  convert "$in" -crop 100x80+60+90 +repage "$work/small.png"
gimp python-fu-eval "exec(open('$(dirname "$0")/gimp-batch.py').read())"
status=$?
if [ $status -eq 0 ] && same_as_cli "$work/py.png"; then ok "python-fu upscale equals tconv upscale"
else not_ok "python-fu upscale equals tconv upscale"; cat "$work/out"; fi
layers=$(grep -c "^compare layer:" "$work/out")
if grep -q 'compare size 200 160' "$work/out" && [ "$layers" -eq 6 ] \
   && grep -q 'compare layer: Transposed convolution (tiny-x2)' "$work/out" \
   && grep -q 'compare layer: Resize + convolution (tiny-rc-x2)' "$work/out" \
   && grep -q 'compare layer: GIMP NoHalo' "$work/out" \
   && grep -q 'compare layer: GIMP cubic' "$work/out" \
   && grep -q 'compare layer: Checkerboard map' "$work/out" \
   && grep -q 'compare layer: Spectrum of tiny-x2 (centre 128x128' "$work/out"; then
  ok "compare mode makes its six layers"
else not_ok "compare mode makes its six layers"; cat "$work/out"; fi

if [ "$(grep -c '^compare layer geometry: .* 0 0 200 160$' "$work/out")" -eq 6 ]
then ok "every compare layer sits at the origin with the image's size, the spectrum's too"
else not_ok "every compare layer sits at the origin with the image's size, the spectrum's too"
  grep '^compare layer geometry' "$work/out"; fi
# 127 steps each way is the plug-in's nearest stretch, as GIMP 3.0.4 stores it; GIMP 3.2.6
# stores two more column changes (129, in two runs: not understood yet); any smoothing
# would change at nearly all of the 200 columns and 160 rows
set -- $(sed -n 's/^compare spectrum steps //p' "$work/out")
if [ $# -eq 2 ] && [ "$1" -ge 127 ] && [ "$1" -le 129 ] && [ "$2" -ge 127 ] && [ "$2" -le 129 ]
then ok "the 128x128 spectrum is stretched to 200x160 by nearest neighbour ($1 $2 steps)"
else not_ok "the 128x128 spectrum is stretched to 200x160 by nearest neighbour ($*)"; fi

# one output-size rule: the plug-in's image is the CLI's size and pixels
geometry() { # NAME CLI-FLAGS...
  name=$1; shift
  "$cli" upscale "$work/small.png" "$work/cli-$name.png" --mode kernel "$@" --quiet
  set -- $("$pngdiff" "$work/cli-$name.png" "$work/geometry-$name.png")
  line=$(grep "^geometry $name " "$work/out")
  if [ "$1" = "$2" ] && awk "BEGIN { exit !($3 <= 1.0) }" && echo "$line" | grep -q "SUCCESS"; then
    ok "kernel geometry $name: plug-in image $2 equals tconv upscale $1"
  else not_ok "kernel geometry $name: plug-in ${2:-?} vs tconv upscale ${1:-?} (${3:-?}/255): $line"; fi
}
geometry bilinear-s2-p0 --interp bilinear --scale 2 --padding 0
geometry bicubic-s3-k5-p1 --interp bicubic --scale 3 --kernel 5 --padding 1
geometry bilinear-s2-p1-op1 --interp bilinear --scale 2 --padding 1 --output-padding 1
geometry nearest-s2-d2-p0 --interp nearest --scale 2 --dilation 2 --padding 0
if grep -q '^geometry bilinear-s2-p0 .* 202 162 202 162$' "$work/out"
then ok "bilinear, scale 2, padding 0 on 100x80 gives 202x162"
else not_ok "bilinear, scale 2, padding 0 on 100x80 gives 202x162"; grep '^geometry' "$work/out"; fi

# plug-in-tconv-upscale-files: a folder with one unreadable file
expect "files procedure: an execution error when a file failed" "files status EXECUTION_ERROR"
expect "files procedure: the readable images were done, nothing half-written" "files outputs a_x2.png b_x2.png"
if grep -q "plug-in-tconv-upscale-files: .*broken.png: GIMP could not open it" "$work/out"
then ok "files procedure: the unreadable file is named"
else not_ok "files procedure: the unreadable file is named"; grep -i "tconv-upscale-files" "$work/out"; fi
set -- $("$pngdiff" "$work/cli.png" "$work/folder-out/a_x2.png")
if [ "$1" = "$2" ] && awk "BEGIN { exit !($3 <= 1.0) }"; then ok "files procedure: its result equals tconv upscale"
else not_ok "files procedure: its result equals tconv upscale ($*)"; fi
if grep -q "^hidden colour SUCCESS 48 32 fringe False" "$work/out"
then ok "transparency: the colour under erased pixels makes no fringe on the visible edge"
else not_ok "transparency: the colour under erased pixels makes no fringe"; grep "^hidden colour" "$work/out"; fi

gimp plug-in-script-fu-eval "
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\")))
         (drawables (car (gimp-image-get-selected-drawables image))))
    (plug-in-tconv-upscale RUN-NONINTERACTIVE image drawables
      \"resize-conv\" 5 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0))"
if [ $? -ne 0 ] && grep -q 'no resize-conv model for scale 5 (installed scales: x2[,)]' "$work/out"
then ok "invalid combination is a calling error naming what is installed"
else not_ok "invalid combination is a calling error naming what is installed"; cat "$work/out"; fi

gimp plug-in-script-fu-eval "
  (let* ((image (car (gimp-image-new 16 16 INDEXED)))
         (layer (car (gimp-layer-new image \"l\" 16 16 INDEXED-IMAGE 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (plug-in-tconv-upscale RUN-NONINTERACTIVE image (vector layer)
      \"transposed\" 2 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0))"
if [ $? -ne 0 ] && grep -q 'Indexed images cannot be upscaled' "$work/out"
then ok "indexed image is refused with the message"
else not_ok "indexed image is refused with the message"; cat "$work/out"; fi

gimp python-fu-eval "exec(open('$(dirname "$0")/gimp-batch-structure.py').read())"
expect "layer groups, offsets, masks and channels: run succeeds" "structure status SUCCESS"
expect "image doubles" "structure image 80 60"
expect "layer in a group doubles, offsets too" "structure inner 40 20 10 14"
expect "layer mask doubles" "structure mask 40 20"
expect "channel doubles" "structure channel 80 60"
expect "the mask's pixels are Scale Image's cubic" "structure mask like Scale Image's cubic True"
expect "the channel's pixels are Scale Image's cubic" "structure channel like Scale Image's cubic True"
expect "the channel's edge is soft (cubic, not unscaled)" "structure soft edges True"
expect "top layer doubles" "structure top 80 60"
expect "killed mid-computation: the image keeps its size" "cancel size 512 512"
if grep -q "^cancel status SUCCESS" "$work/out"; then not_ok "the killed run did not report success"
else ok "the killed run did not report success"; fi
grep -E "^(cancel status|after cancel)" "$work/out"
set -- $("$pngdiff" "$work/before.png" "$work/after.png")
if [ "$1" = "$2" ] && [ "$3" = 0.0000 ]; then ok "killed mid-computation: the pixels are unchanged"
else not_ok "killed mid-computation: the pixels are unchanged ($*)"; fi
expect "GIMP keeps working after the kill" "after cancel status SUCCESS 1024 1024"

# An image GIMP read from a JPEG below the quality threshold gets the photo model by
# default, as the CLI chooses it: GIMP's result is nearer the CLI's automatic (photo)
# result than the clean model's (the two JPEG decoders may differ by a level).
jpeg="$data/jpeg-quality/q75-420.jpg"
export TCONV_MODEL_PATH="$(cd "$(dirname "$0")/../../weights/models" && pwd)"
"$cli" upscale "$jpeg" "$work/cli-auto.png" -q -v 2>"$work/cli-auto.log"
"$cli" upscale "$jpeg" "$work/cli-clean.png" -q --model sesr-x2
gimp plug-in-script-fu-eval "
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$jpeg\")))
         (drawables (car (gimp-image-get-selected-drawables image))))
    (plug-in-tconv-upscale RUN-NONINTERACTIVE image drawables
      \"transposed\" 2 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0)
    (gimp-file-save RUN-NONINTERACTIVE image \"$work/sf-jpeg.png\" -1))"
to_photo=$("$pngdiff" "$work/cli-auto.png" "$work/sf-jpeg.png" | cut -d' ' -f3)
to_clean=$("$pngdiff" "$work/cli-clean.png" "$work/sf-jpeg.png" | cut -d' ' -f3)
if grep -q "auto: sesr-photo-x2 (JPEG quality ~75 <" "$work/cli-auto.log" \
   && awk "BEGIN { exit !($to_photo <= 2.0 && $to_photo < $to_clean) }"
then ok "a q75 JPEG in GIMP gets the photo model, as in the CLI ($to_photo against $to_clean)"
else not_ok "a q75 JPEG in GIMP gets the photo model ($to_photo / $to_clean)"; cat "$work/out" "$work/cli-auto.log"; fi
export TCONV_MODEL_PATH="$data/models"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
