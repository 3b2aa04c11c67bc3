#!/bin/sh
# What a new user meets in the first hour, on real files (issue 29):
#   - every flag out of its range is refused in one line naming the flag and the range,
#     before a model is chosen (no "using the bicubic kernel" first), writing nothing;
#   - an output name of a format tconv does not write, and an output that is the input
#     (the same name, another spelling, a hard or a symbolic link), are refused;
#   - --scale 1: the fixed kernels copy the pixels; a learned mode names its scales;
#   - an output that is a pipe or a device is refused (the rename would replace it);
#   - a PNG with the 3144-byte HP "sRGB IEC61966-2.1" profile goes through, alone and in a
#     folder run; a truncated PNG, a failed write and a model's refusal in a folder run are
#     named by their file;
#   - SIGINT or SIGTERM during a write leaves no temporary file and a non-zero status;
#   - tconv --version.
#   test-hardening.sh TCONV-CLI SOURCE-DIR
set -u
cli=$1 src=$2
data=$src/tests/data
work=$(mktemp -d /tmp/tconv-hardening-XXXXXX)
trap 'rm -rf "$work"' EXIT
export TCONV_MODEL_PATH="$src/weights/models" XDG_DATA_HOME="$work/xdg"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
cd "$work" || exit 1
cp "$data/Set5/img_003.png" in.png
cp in.png keep.png

# refused: exit 1, exactly one line that contains NEEDLE, no output, no temporary
refused() { # NEEDLE ARGS...
  needle=$1; shift
  rm -rf out.png out.xyz od
  "$cli" upscale "$@" >/dev/null 2>err.txt
  status=$?
  if [ $status -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -qF -- "$needle" err.txt \
     && [ ! -e out.png ] && [ ! -e out.xyz ] && ! ls -a | grep -q '\.tconv-' \
     && cmp -s in.png keep.png; then
    ok "$* -> $(cat err.txt)"
  else
    not_ok "$* -> status $status: $(cat err.txt) (wanted one line with \"$needle\")"
  fi
}
refused "--quality 500 is out of range: it must be from 1 to 100" -o od in.png --quality 500
refused "--quality 101 is out of range" -o od in.png --quality 101
refused "--quality -5 is out of range" in.png out.png --quality -5
refused "--format gif is not one tconv writes: it must be png, jpeg, tiff, webp, exr or same" \
  -o od in.png --format gif
refused "--scale 0 is out of range: it must be from 1 to 8" in.png out.png --scale 0
refused "--scale 9 is out of range: it must be from 1 to 8" in.png out.png --scale 9
refused "--jobs 0 is out of range" -o od in.png --jobs 0
refused "--jobs -3 is out of range" -o od in.png --jobs -3
refused "--jobs is for folder runs" in.png out.png --jobs 2
refused "--tile -5 is out of range: it must be from 0 to 4096" in.png out.png --tile -5
refused "--threads -1 is out of range: it must be from 0 to 64" in.png out.png --threads -1
refused "--padding 100 is out of range: it must be from -1 to 64" in.png out.png --padding 100
refused "--png-level 10 is out of range: it must be from 0 to 9" in.png out.png --png-level 10
refused "--max-pixels 0 is out of range: it must be at least 1" -o od in.png --max-pixels 0
refused "out.xyz: tconv writes .png, .jpg, .tif, .webp and .exr files" in.png out.xyz
refused "in.png would be overwritten by its own result" in.png in.png
refused "(./in.png is the same file)" in.png ./in.png
ln in.png hard.png
refused "(hard.png is the same file)" in.png hard.png
ln -s "$work/in.png" soft.png
refused "(soft.png is the same file)" in.png soft.png
refused "would be overwritten by its own result" -o . in.png
mkfifo pipe.png
refused "pipe.png is not a regular file (a device or a pipe); tconv writes files" in.png pipe.png
[ -p pipe.png ] && ok "the pipe is still a pipe" || not_ok "the pipe was replaced"

# --scale 1: the nearest kernel x1 copies the pixels; a learned mode has no x1 model and
# says which scales it has and that the fixed kernels take any scale (one rule in the core,
# the plug-in's too: never a silent fallback to a fixed kernel)
"$cli" upscale in.png near1.png --mode kernel --interp nearest --scale 1 -q
"$cli" upscale in.png x1.png --scale 1 2>err.txt
if [ $? -ne 0 ] && [ ! -e x1.png ] \
   && grep -q '^tconv upscale: no transposed model for scale 1 (installed scales: x2, x3, x4); the fixed kernels (mode kernel) take any scale$' err.txt
then ok "--scale 1 in a learned mode: $(head -n 1 err.txt)"
else not_ok "--scale 1: $(cat err.txt)"; fi
ok=1
for k in bilinear bicubic lanczos; do
  "$cli" upscale in.png k1.png --mode kernel --interp $k --scale 1 -q && cmp -s near1.png k1.png || ok=0
done
[ $ok -eq 1 ] && ok "the bilinear, bicubic and lanczos kernels at x1 copy the pixels too" \
  || not_ok "a kernel at x1 changed the pixels"

# the HP sRGB profile, and files named in errors, alone and in a folder run
srgb=$data/icc/chelsea-hp-srgb.png
if "$cli" upscale "$srgb" srgb-x2.png -q 2>err.txt && [ -s srgb-x2.png ]; then
  ok "a PNG with the 3144-byte \"sRGB IEC61966-2.1\" profile is upscaled"
else not_ok "the HP sRGB profile: $(cat err.txt)"; fi
mkdir -p folder
cp "$srgb" folder/chelsea.png
head -c 3000 "$data/Set5/img_001.png" >folder/truncated.png
"$cli" upscale -o od folder 2>err.txt
status=$?
if [ $status -eq 1 ] && [ -s od/chelsea.png ] && [ ! -e od/truncated.png ] \
   && grep -q "^tconv upscale: folder/truncated.png: the file ends before its image data does" err.txt \
   && grep -q '^1 upscaled, 0 skipped (already there), 1 failed, of 2 images' err.txt; then
  ok "a folder run: the profile goes through, the truncated file is named: $(head -n 1 err.txt)"
else not_ok "folder run, status $status: $(cat err.txt)"; fi
# a failure of the model, not of the file, names the image too in a folder run
mkdir -p odd
"$cli" upscale in.png odd/odd.png --mode kernel --interp nearest --scale 2 --output-padding 1 -q
"$cli" upscale -o od-odd odd --model "$data/models/mixed-x4.safetensors" 2>err.txt
if grep -q '^tconv upscale: odd/odd.png: .*divisible by 2' err.txt; then
  ok "a folder run names the image a model refuses: $(head -n 1 err.txt)"
else not_ok "a folder run's model failure: $(cat err.txt)"; fi
# a write that fails (a file size limit; SIGXFSZ ignored, so write(2) says EFBIG)
(trap '' XFSZ; ulimit -f 64; "$cli" upscale in.png out.png --mode kernel --scale 4 -q) 2>err.txt
status=$?
if [ $status -eq 1 ] && grep -q '^tconv upscale: out.png: PNG could not be written: ' err.txt \
   && [ ! -e out.png ] && ! ls -a | grep -q '\.tconv-'; then
  ok "a failed write names the file and leaves nothing: $(cat err.txt)"
else not_ok "a failed write, status $status: $(cat err.txt)"; fi

# a signal during a write (SIGINT at its default action, as at a terminal)
"$cli" upscale in.png big.png --mode kernel --interp nearest --scale 4 -q
for sig in INT TERM; do
  mkdir -p sig
  env --default-signal=INT "$cli" upscale big.png sig/out.png --threads 1 -q &
  pid=$!
  while ! ls -a sig | grep -q '\.tconv-' && kill -0 $pid 2>/dev/null; do sleep 0.02; done
  tmp=$(ls -a sig | grep '\.tconv-')
  kill -$sig $pid
  wait $pid
  status=$?
  if [ -n "$tmp" ] && [ $status -gt 128 ] && [ -z "$(ls -A sig)" ]; then
    ok "SIG$sig while $tmp was written: status $status, nothing left"
  else not_ok "SIG$sig: status $status, temporary \"$tmp\", left: $(ls -A sig)"; fi
  rm -rf sig
done

version=$(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$src/meson.build")
if [ "$("$cli" --version)" = "tconv $version" ]; then ok "tconv --version: tconv $version"
else not_ok "tconv --version: $("$cli" --version)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
