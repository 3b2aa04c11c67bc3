#!/bin/sh
# The dialog in a real GIMP under Xvfb, in English and Russian: it opens on a test
# image, its spin buttons drive the formula label and the OK button, the preview
# renders, and a screenshot lands in the build folder (dialog-LANG.png).
#   test-gimp-dialog.sh PLUG-IN MO-FILE OUT-DIR
set -u
plugin=$1 mo=$2 outdir=$3
data=$TCONV_TEST_DATA
work=$(mktemp -d /tmp/tconv-dialog-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # DESCRIPTION GREP-PATTERN FILE
  if grep -qF -- "$2" "$3"; then passed=$((passed + 1)); echo "ok - $1"
  else failed=$((failed + 1)); echo "not ok - $1 (no \"$2\")"; fi
}

for lang in en ru; do
  profile="$work/profile-$lang"
  mkdir -p "$profile/plug-ins/tconv/locale/ru/LC_MESSAGES"
  cp "$plugin" "$profile/plug-ins/tconv/tconv"
  cp "$mo" "$profile/plug-ins/tconv/locale/ru/LC_MESSAGES/tconv.mo"
  log="$work/selftest-$lang.txt"
  [ "$lang" = ru ] && export LANGUAGE=ru LANG=ru_RU.UTF-8 || export LANGUAGE=en LANG=C.UTF-8
  GIMP3_DIRECTORY="$profile" TCONV_MODEL_PATH="$data/models" XDG_DATA_HOME="$work/xdg" \
  TCONV_DIALOG_SELFTEST="$log" \
    timeout 300 xvfb-run -a -s "-screen 0 1600x1200x24" gimp-3.0 -n -d -f -s \
      --batch-interpreter=plug-in-script-fu-eval -b "
      (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$data/Set5/img_003.png\")))
             (drawables (car (gimp-image-get-selected-drawables image))))
        (plug-in-tconv-upscale RUN-INTERACTIVE image drawables
          \"transposed\" 2 0 -1 -1 1 \"bicubic\" \"\" \"in-place\" 0 0))" \
      -b '(gimp-quit 0)' >"$work/gimp-$lang.log" 2>&1
  if [ ! -f "$log" ]; then
    failed=$((failed + 1)); echo "not ok - dialog ($lang) opened and ran its self-test"
    tail -20 "$work/gimp-$lang.log"; continue
  fi
  passed=$((passed + 1)); echo "ok - dialog ($lang) opened and ran its self-test"
  check "$lang: initial formula" "formula: H: (256-1)*2 - 2*4 + 1*(9-1) + 1 + 1 = 512" "$log"
  check "$lang: both axes" "W: (256-1)*2 - 2*4 + 1*(9-1) + 1 + 1 = 512" "$log"
  check "$lang: spin buttons were driven" "set scale = 5 via spin button" "$log"
  awk '/^\[learned scale 5\]/{f=1} f&&/^ok-sensitive/{print; exit}' "$log" >"$work/s5"
  check "$lang: no model for x5 disables OK" "ok-sensitive: 0" "$work/s5"
  check "$lang: kernel mode formula follows stride 3, kernel 5, padding 1" \
    "formula: H: (256-1)*3 - 2*1 + 1*(5-1) + 0 + 1 = 768" "$log"
  awk '/^\[kernel s2 op3\]/{f=1} f&&/^(reason|ok-sensitive)/{print} /^ok-sensitive/&&f{exit}' "$log" >"$work/op3"
  check "$lang: output padding 3 at stride 2 disables OK" "ok-sensitive: 0" "$work/op3"
  check "$lang: and says why" "output_padding (3) must be smaller than either stride (2)" "$work/op3"
  awk '/^\[back to transposed x2\]/{f=1} f&&/^ok-sensitive/{print; exit}' "$log" >"$work/back"
  check "$lang: back to a valid setting enables OK" "ok-sensitive: 1" "$work/back"
  if grep -q '^preview-rendered: [1-9]' "$log"; then passed=$((passed + 1)); echo "ok - $lang: preview rendered"
  else failed=$((failed + 1)); echo "not ok - $lang: preview rendered"; fi
  if [ -s "$log.png" ]; then
    cp "$log.png" "$outdir/dialog-$lang.png"; passed=$((passed + 1))
    echo "ok - $lang: screenshot $outdir/dialog-$lang.png"
  else failed=$((failed + 1)); echo "not ok - $lang: screenshot"; fi
  if [ "$lang" = ru ]; then
    check "ru: argument labels are Russian" "label-mode: Режим" "$log"
    check "ru: title is Russian" "title: Увеличение транспонированной свёрткой" "$log"
  else
    check "en: argument labels are English" "label-mode: Mode" "$log"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
