#!/bin/sh
# The shipped models hold their numbers, measured by tconv itself on tests/data/Set5 (the
# SRCNN protocol of `tconv eval`):
#   - fsrcnn-x2/x3/x4 reach the required Set5 PSNR (36.90 / 33.05 / 30.60 dB), and every
#     other shipped model is within 0.15 dB of it;
#   - tconv's PSNR equals the PyTorch evaluation stored in the file at export time, within
#     0.01 dB (plus 0.005 for the two decimals tconv prints);
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

models=$("$cli" models | awk 'NR > 1 && $NF ~ /safetensors$/ {print $1 ":" $3}')
[ -n "$models" ] || { echo "no models in $2"; exit 1; }
for entry in $models; do
  name=${entry%%:*} scale=${entry#*:}
  scale=${scale#x}
  psnr=$("$cli" eval --model "$name" "$set5" | sed -n 's/^mean PSNR=\([0-9.]*\).*/\1/p')
  torch=$("$cli" info "$name" | sed -n 's/.*pytorch_psnr_y.*"Set5":\([0-9.]*\).*/\1/p')
  index=$("$cli" artifacts --model "$name" | sed -n 's/^checkerboard index=//p')
  echo "$name x$scale: Set5 $psnr dB (PyTorch $torch), checkerboard index $index"
  need=$(required "$scale")
  if [ -z "$need" ] || [ -z "$psnr" ] || [ -z "$torch" ] || [ -z "$index" ]; then
    echo "FAIL: $name: could not read its scale ($scale), PSNR, PyTorch PSNR or index"
    failed=$((failed + 1))
    continue
  fi
  case $name in
    fsrcnn-x[234]) check "$psnr >= $need" "$name: Set5 $psnr < required $need" ;;
    *) check "$psnr >= $need - 0.15" "$name: Set5 $psnr more than 0.15 dB under $need" ;;
  esac
  check "$psnr - $torch <= 0.015 && $torch - $psnr <= 0.015" "$name: tconv $psnr vs PyTorch $torch"
  eval "index_$(echo "$name" | tr -c 'a-z0-9\n' _)=$index"
done
for s in 2 3 4; do
  eval "t=\${index_fsrcnn_x$s:-} r=\${index_fsrcnn_rc_x$s:-}"
  [ -n "$t" ] && [ -n "$r" ] && check "$r < $t" "x$s: resize+conv index $r is not below transposed $t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
