#!/bin/sh
# The dialog in a real GIMP under Xvfb, with the shipped models, in English and Russian:
# it opens on a test image, shows the resolved kernel, padding and output padding (not
# sentinels), its spin buttons and check boxes drive the formula and the Upscale button,
# the preview renders the before/after view, the compare view (four methods) and their
# spectra, no model file is read after the first refresh, and a real pointer click
# (xdotool) on Upscale produces the image `tconv upscale` makes.  Screenshots land in
# OUT-DIR: dialog-LANG-normal.png, -compare.png, -spectrum.png.
#   test-gimp-dialog.sh PLUG-IN MO-FILE OUT-DIR MODELS-DIR TCONV-CLI PNG-DIFF
set -u
plugin=$1 mo=$2 outdir=$3 models=$4 cli=$5 pngdiff=$6
data=$TCONV_TEST_DATA
work=$(mktemp -d /tmp/tconv-dialog-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { # DESCRIPTION FIXED-STRING FILE
  if grep -qF -- "$2" "$3"; then ok "$1"; else not_ok "$1 (no \"$2\")"; fi
}
section() { # [NAME] FILE: the lines of one recorded step
  awk -v h="[$1]" '$0 == h {f=1; next} /^\[/ {f=0} f' "$2"
}
in="$data/Set5/img_003.png"
gimp_gui=$(command -v gimp-3.0 || command -v gimp-3.2 || command -v gimp) # 3.0 or 3.2
echo "# $("$gimp_gui" --version 2>/dev/null | head -1)"
TCONV_MODEL_PATH="$models" "$cli" upscale "$in" "$work/cli.png" --quiet

# Inside Xvfb: GIMP opens the dialog from a script; once the self-test has published
# where Upscale is (the button mapped, sensitive and still), the pointer clicks it.  No
# time limit of its own on that wait: on a loaded machine GIMP's start (a fresh profile
# queries every plug-in) and the preview's renders took longer than a fixed count of
# polls allowed, the click never came and the image stayed 256x256; the wait ends with
# GIMP, and the `timeout` around the session bounds it.
cat >"$work/session.sh" <<'SESSION'
log=$1; shift
"$@" &
gimp_pid=$! started=$(date +%s)
until grep -q '^ok-button' "$log" 2>/dev/null; do
  kill -0 "$gimp_pid" 2>/dev/null || break
  sleep 0.2
done
echo $(($(date +%s) - started)) >"$log-waited"
set -- $(sed -n 's/^ok-button: //p' "$log" 2>/dev/null)
[ $# -eq 2 ] && xdotool mousemove --sync "$1" "$2" sleep 0.3 click 1
wait "$gimp_pid"
SESSION

for lang in en ru; do
  profile="$work/profile-$lang"
  mkdir -p "$profile/plug-ins/tconv/locale/ru/LC_MESSAGES"
  cp "$plugin" "$profile/plug-ins/tconv/tconv"
  cp "$mo" "$profile/plug-ins/tconv/locale/ru/LC_MESSAGES/tconv.mo"
  log="$work/selftest-$lang.txt" clicked="$work/clicked-$lang.png"
  [ "$lang" = ru ] && export LANGUAGE=ru LANG=ru_RU.UTF-8 || export LANGUAGE=en LANG=C.UTF-8
  GIMP3_DIRECTORY="$profile" TCONV_MODEL_PATH="$models" XDG_DATA_HOME="$work/xdg" \
  TCONV_DIALOG_SELFTEST="$log" \
    timeout 600 xvfb-run -a -s "-screen 0 1600x1200x24" sh "$work/session.sh" "$log" \
      "$gimp_gui" -n -d -f -s --batch-interpreter=plug-in-script-fu-eval -b "
      (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\")))
             (drawables (car (gimp-image-get-selected-drawables image))))
        (plug-in-tconv-upscale RUN-INTERACTIVE image drawables
          \"transposed\" 2 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0)
        (gimp-file-save RUN-NONINTERACTIVE image \"$clicked\" -1))" \
      -b '(gimp-quit 0)' >"$work/gimp-$lang.log" 2>&1
  if [ ! -f "$log" ]; then
    not_ok "dialog ($lang) opened and ran its self-test"; tail -20 "$work/gimp-$lang.log"; continue
  fi
  ok "dialog ($lang) opened and ran its self-test"
  echo "# $lang: Upscale was published $(cat "$log-waited") s after GIMP started"
  section initial "$log" >"$work/initial"
  check "$lang: initial formula" "formula: H: (256-1)*2 - 2*4 + 1*(10-1) + 0 + 1 = 512" "$work/initial"
  check "$lang: both axes" "W: (256-1)*2 - 2*4 + 1*(10-1) + 0 + 1 = 512" "$work/initial"
  check "$lang: the kernel shows the default model's 10, not 0" "shown kernel-size: 10 (automatic)" "$work/initial"
  check "$lang: the padding shows 4, not -1" "shown padding: 4 (automatic)" "$work/initial"
  check "$lang: the output padding shows 0, not -1" "shown output-padding: 0 (automatic)" "$work/initial"
  check "$lang: the model list names the model with its facts" "model row: " "$work/initial"
  check "$lang: spin buttons were driven" "set scale = 5 via spin button" "$log"
  section "learned scale 5" "$log" >"$work/s5"
  check "$lang: no model for x5 disables Upscale" "ok-sensitive: 0" "$work/s5"
  section "kernel s3 k5 p1" "$log" >"$work/k5"
  check "$lang: kernel mode formula follows stride 3, kernel 5, padding 1" \
    "formula: H: (256-1)*3 - 2*1 + 1*(5-1) + 0 + 1 = 768" "$work/k5"
  check "$lang: an explicit kernel is shown as set" "shown kernel-size: 5" "$work/k5"
  check "$lang: the automatic output padding resolves to 0" "shown output-padding: 0 (automatic)" "$work/k5"
  if [ "$lang" = ru ]; then
    check "ru: the automatic values centre the fixed kernel's result" "По центру: ровно вход × 3" "$work/k5"
  else
    check "en: the automatic values centre the fixed kernel's result" "Centred: exactly 3 x the input" "$work/k5"
  fi
  section "kernel s2 op3" "$log" >"$work/op3"
  check "$lang: output padding 3 at stride 2 disables Upscale" "ok-sensitive: 0" "$work/op3"
  if [ "$lang" = ru ]; then
    check "ru: and says why, in Russian" "выходное дополнение (3) должно быть меньше шага (2) или расширения (1)" "$work/op3"
  else
    check "en: and says why" "output_padding (3) must be smaller than either stride (2)" "$work/op3"
  fi
  section "back to transposed x2" "$log" >"$work/back"
  check "$lang: back to a valid setting enables Upscale" "ok-sensitive: 1" "$work/back"
  check "$lang: back to automatic values" "shown padding: 4 (automatic)" "$work/back"
  check "$lang: compare tile GIMP cubic" "tile 0: " "$log"
  # the tiles are captioned in the dialog's language, as the compare image's layers
  if [ "$lang" = ru ]; then
    tr="Транспонированная свёртка" rc="Масштабирование + свёртка" kl="Ядро: Билинейная (треугольное), ×2"
  else
    tr="Transposed convolution" rc="Resize + convolution" kl="Kernel: Bilinear (tent), x2"
  fi
  check "$lang: compare tile transposed model" "tile 1: $tr (sesr-x2)" "$log"
  check "$lang: compare tile resize+conv model" "tile 2: $rc (sesr-rc-x2)" "$log"
  check "$lang: compare tile kernel geometry (the dialog's: bilinear, kernel 3)" \
    "tile 3: $kl (k3" "$log"
  check "$lang: kernel 3 at stride 2 has a checkerboard" "index 72.857" "$log"
  if [ "$(grep -c '^tile [0-3]: .*; spectrum 256; ok$' "$log")" -eq 4 ]; then
    ok "$lang: all four methods ran, each with a 256x256 spectrum"
  else not_ok "$lang: all four methods ran, each with a 256x256 spectrum"; grep '^tile' "$log"; fi
  check "$lang: no model file read after the first refresh" \
    "model-files-read-after-first-refresh: 0" "$log"
  for view in normal compare spectrum; do
    if [ -s "$log-$view.png" ]; then
      cp "$log-$view.png" "$outdir/dialog-$lang-$view.png"; ok "$lang: screenshot dialog-$lang-$view.png"
    else not_ok "$lang: screenshot of the $view view"; fi
  done
  check "$lang: Upscale was ready for the click" "ok-button: " "$log"
  check "$lang: the pointer click reached Upscale" "response: upscale" "$log"
  set -- $("$pngdiff" "$work/cli.png" "$clicked" 2>/dev/null)
  if [ "${2:-}" = 512x512 ] && [ "$1" = "$2" ] && awk "BEGIN { exit !($3 <= 1.0) }"; then
    ok "$lang: a pointer click on Upscale made the 512x512 image tconv upscale makes"
  else not_ok "$lang: a pointer click on Upscale made the image tconv upscale makes (${*:-none})"
    tail -5 "$work/gimp-$lang.log"; fi
  if [ "$lang" = ru ]; then
    check "ru: argument labels are Russian" "label-mode: Режим" "$log"
    check "ru: title is Russian" "title: Увеличение транспонированной свёрткой" "$log"
  else
    check "en: argument labels are English" "label-mode: Mode" "$log"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
