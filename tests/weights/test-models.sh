#!/bin/sh
# The shipped models hold their numbers, measured by tconv itself on tests/data/Set5 (the
# SRCNN protocol of `tconv eval`, and its JPEG variant `tconv eval --jpeg Q`):
#   - fsrcnn-x2/x3/x4 reach the required Set5 PSNR (36.90 / 33.05 / 30.60 dB), and every
#     other clean model is within 0.15 dB of it; sesr-x2/x3/x4 reach today's tiny-network
#     level at FSRCNN's cost (37.25 / 33.25 / 30.90 dB), and the default model of each
#     scale is the best clean one;
#   - each photo model (trained on JPEG inputs; `tconv models` says "photo") beats the
#     clean model it was fine-tuned from on JPEG inputs: x2 reaches 32.75 dB at q75 and
#     34.85 at q90 (fsrcnn-x2 + 0.6 / + 0.4), x3 and x4 gain at least 0.4 dB at q75, the
#     resize+conv twin 0.6 / 0.4 dB at q75 / q90; and on clean inputs it stays within
#     0.8 dB of that clean model;
#   - tconv's PSNR equals the PyTorch evaluation stored in the file at export time, within
#     0.01 dB (plus 0.005 for the two decimals tconv prints), the JPEG ones too (so the C
#     JPEG protocol is PIL's);
#   - the resize+conv model of each scale has a lower checkerboard index than the
#     transposed one.
#   test-models.sh TCONV-CLI MODELS-DIR
set -u
cli=$1
export TCONV_MODEL_PATH=$2
set5="$TCONV_TEST_DATA/Set5"
failed=0 passed=0
check() { # check CONDITION MESSAGE
  if awk "BEGIN { exit !($1) }"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $2"
    failed=$((failed + 1))
  fi
}
required() { case $1 in 2) echo 36.90 ;; 3) echo 33.05 ;; 4) echo 30.60 ;; esac; }
aim() { case $1 in 2) echo 37.25 ;; 3) echo 33.25 ;; 4) echo 30.90 ;; esac; }
psnr_of() { # MODEL [--jpeg Q]: mean Set5 PSNR
  "$cli" eval --model "$@" "$set5" | sed -n 's/^mean PSNR=\([0-9.]*\).*/\1/p'
}
same_as_torch() { # NAME WHAT TCONV TORCH
  check "$3 - $4 <= 0.015 && $4 - $3 <= 0.015" "$1: tconv $3 vs PyTorch $4 ($2)"
}

photo_model() { # NAME SCALE CLEAN-PSNR
  twin=$(echo "$1" | sed 's/photo-//')
  q75=$(psnr_of "$1" --jpeg 75) q90=$(psnr_of "$1" --jpeg 90)
  t75=$(psnr_of "$twin" --jpeg 75) t90=$(psnr_of "$twin" --jpeg 90) tclean=$(psnr_of "$twin")
  echo "$1: JPEG q75 $q75 (clean model $t75), q90 $q90 ($t90), clean $3 ($tclean)"
  same_as_torch "$1" "q75" "$q75" "$("$cli" info "$1" | tr -d ' ' | sed -n 's/.*"Set5":{"q75":\([0-9.]*\),"q90":\([0-9.]*\)}.*/\1/p')"
  same_as_torch "$1" "q90" "$q90" "$("$cli" info "$1" | tr -d ' ' | sed -n 's/.*"Set5":{"q75":\([0-9.]*\),"q90":\([0-9.]*\)}.*/\2/p')"
  case $1 in
    fsrcnn-photo-x2 | sesr-photo-x2) check "$q75 >= 32.75 && $q90 >= 34.85" "$1: q75 $q75 < 32.75 or q90 $q90 < 34.85" ;;
    fsrcnn-rc-photo-*) check "$q75 >= $t75 + 0.6 && $q90 >= $t90 + 0.4" "$1: q75 $q75 / q90 $q90 gain too little over $twin" ;;
    *) check "$q75 >= $t75 + 0.4" "$1: q75 $q75 is not 0.4 dB above $twin's $t75" ;;
  esac
  check "$3 >= $tclean - 0.8" "$1: clean $3 more than 0.8 dB under $twin's $tclean"
}

models=$("$cli" models | awk 'NR > 1 && $NF ~ /safetensors$/ {print $1 ":" $3 ":" $6}')
[ -n "$models" ] || { echo "no models in $2"; exit 1; }
for entry in $models; do
  name=${entry%%:*} rest=${entry#*:}
  scale=${rest%%:*} inputs=${rest#*:}
  scale=${scale#x}
  psnr=$(psnr_of "$name")
  torch=$("$cli" info "$name" | sed -n 's/.*pytorch_psnr_y *{"Set5":\([0-9.]*\).*/\1/p')
  index=$("$cli" artifacts --model "$name" | sed -n 's/^checkerboard index=//p')
  echo "$name x$scale ($inputs): Set5 $psnr dB (PyTorch $torch), checkerboard index $index"
  need=$(required "$scale")
  if [ -z "$need" ] || [ -z "$psnr" ] || [ -z "$torch" ] || [ -z "$index" ]; then
    echo "FAIL: $name: could not read its scale ($scale), PSNR, PyTorch PSNR or index"
    failed=$((failed + 1))
    continue
  fi
  case $name:$inputs in
    *:photo) photo_model "$name" "$scale" "$psnr" ;;
    fsrcnn-x[234]:*) check "$psnr >= $need" "$name: Set5 $psnr < required $need" ;;
    sesr-x[234]:*) check "$psnr >= $(aim "$scale")" "$name: Set5 $psnr < the aim $(aim "$scale")" ;;
    *) check "$psnr >= $need - 0.15" "$name: Set5 $psnr more than 0.15 dB under $need" ;;
  esac
  same_as_torch "$name" "clean" "$psnr" "$torch"
  eval "index_$(echo "$name" | tr -c 'a-z0-9\n' _)=$index"
done
for s in 2 3 4; do
  for family in fsrcnn sesr; do
    eval "t=\${index_${family}_x$s:-} r=\${index_${family}_rc_x$s:-}"
    [ -n "$t" ] && [ -n "$r" ] && check "$r < $t" "$family x$s: resize+conv index $r is not below transposed $t"
  done
  # the default model (no --model) is the scale's best clean one
  if [ -n "$("$cli" models | awk -v s=$s '$1 == "sesr-x" s')" ]; then
    chosen=$("$cli" upscale "$set5/img_005.png" "${TMPDIR:-/tmp}/tconv-default-$$.png" --scale $s 2>&1 |
      sed -n 's/.* with \(.*\)$/\1/p')
    rm -f "${TMPDIR:-/tmp}/tconv-default-$$.png"
    check "\"$chosen\" == \"sesr-x$s\"" "x$s: the default model is $chosen, not sesr-x$s"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
