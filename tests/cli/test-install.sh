#!/bin/sh
# The installed tool, as a new user meets it: `meson install --destdir` into a temporary
# folder, then the README's commands with that tconv and no TCONV_MODEL_PATH:
#   - every file of weights/models is installed, and `tconv models` lists each;
#   - `tconv upscale IN OUT` uses the default sesr-x2 and writes what the build tree's tconv
#     writes with the repository's models, byte for byte;
#   - --model fsrcnn-photo-x2, the folder runs (-r, --suffix, --skip-existing, --format
#     jpeg --quality 90 --jobs 2), the kernel examples, info and --version.
#   test-install.sh BUILD-DIR BINDIR (absolute) SOURCE-DIR MESON
set -u
build=$1 bindir=$2 src=$3 meson=$4
work=$(mktemp -d /tmp/tconv-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
jpegs() { # FILE...: each starts with JPEG's SOI marker
  for f in "$@"; do [ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' \n')" = ffd8 ] || return 1; done
}
check() { # DESCRIPTION COMMAND...: passes when the command does
  d=$1; shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}

if ! "$meson" install -C "$build" --destdir "$work/root" --no-rebuild --quiet >"$work/install.log" 2>&1; then
  cat "$work/install.log"; echo "0 passed, 1 failed"; exit 1
fi
tconv=$work/root$bindir/tconv
unset TCONV_MODEL_PATH
export XDG_DATA_HOME="$work/xdg" # no user models
cd "$work" || exit 1

# every shipped model, from the folder itself
models=$(find "$work/root" -path '*/share/tconv/models' -type d)
shipped=$(cd "$src/weights/models" && ls)
check "every file of weights/models is installed ($(echo "$shipped" | wc -l) files)" \
  test "$(cd "$models" && ls)" = "$shipped"
"$tconv" models >models.txt 2>&1
listed=$(grep -c "$models/" models.txt)
check "tconv models lists all of them from the installed folder ($listed)" \
  test "$listed" -eq "$(echo "$shipped" | wc -l)"
check "tconv --version says $("$tconv" --version)" \
  test "$("$tconv" --version)" = "tconv $(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$src/meson.build")"

# the README's commands
cp "$src/tests/data/Set5/img_003.png" in.png
"$tconv" upscale in.png out.png 2>log.txt
check "tconv upscale IN OUT uses sesr-x2: $(cat log.txt)" grep -q ' with sesr-x2$' log.txt
TCONV_MODEL_PATH="$src/weights/models" "$build/cli/tconv" upscale in.png tree.png -q
check "... and writes what the build tree's tconv writes with the repository's models" \
  cmp -s out.png tree.png
"$tconv" upscale in.png photo.png --model fsrcnn-photo-x2 2>log.txt
check "--model fsrcnn-photo-x2: $(cat log.txt)" grep -q ' with fsrcnn-photo-x2$' log.txt
mkdir -p photos/trip shots
cp "$src/tests/data/Set5/img_001.png" photos/a.png
cp "$src/tests/data/Set5/img_002.png" photos/trip/b.png
cp "$src/tests/data/Set5/img_005.png" shots/c.png
cp "$src/tests/data/Set5/img_003.png" shots/d.png
"$tconv" upscale -o big/ -r photos/ --suffix _x2 --model fsrcnn-photo-x2 -q
check "tconv upscale -o big/ -r photos/ --suffix _x2 --model fsrcnn-photo-x2 keeps the subfolders" \
  test -s big/a_x2.png -a -s big/trip/b_x2.png
"$tconv" upscale -o big/ -r photos/ --suffix _x2 --skip-existing 2>log.txt
check "--skip-existing redoes nothing: $(tail -n 1 log.txt)" \
  grep -q '^0 upscaled, 2 skipped (already there), 0 failed' log.txt
"$tconv" upscale -o web/ shots/*.png --format jpeg --quality 90 --jobs 2 -q
check "tconv upscale -o web/ shots/*.png --format jpeg --quality 90 --jobs 2" \
  jpegs web/c.jpg web/d.jpg
"$tconv" upscale in.png lanczos.png --mode kernel --interp lanczos --scale 3 --padding 0 -q
check "the lanczos x3 kernel example" test -s lanczos.png
check "tconv artifacts --mode kernel --interp bilinear --scale 2: index 0.000" \
  sh -c "'$tconv' artifacts --mode kernel --interp bilinear --scale 2 | grep -q 'index=0.000'"
check "tconv info sesr-x2 finds the installed file" \
  sh -c "'$tconv' info sesr-x2 | grep -q '$models/sesr-x2.safetensors'"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
