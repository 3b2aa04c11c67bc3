#!/bin/sh
# The installed tool, as a new user meets it: `meson install --destdir` into a temporary
# folder, then the README's everyday commands (its `<!-- cli-example -->` block, run as it
# is written) with that tconv first on PATH and no TCONV_MODEL_PATH:
#   - every file of weights/models is installed, and `tconv models` lists each;
#   - `tconv upscale IN OUT` uses the default sesr-x2 and writes what the build tree's tconv
#     writes with the repository's models, byte for byte;
#   - the photo model, --scale 3, the folder runs (-r, --suffix, --skip-existing, --format
#     jpeg --quality 90 --jobs 2) and --version do what the README says.
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
check "tconv --version says $("$tconv" --version)" \
  test "$("$tconv" --version)" = "tconv $(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$src/meson.build")"

# the README's block, in a folder with the files it names
awk '$0 == "<!-- cli-example -->" { want = 1; next }
     want && /^```/ { if (inside) exit; inside = 1; next }
     inside { print }' "$src/README.md" >example.sh
cp "$src/tests/data/Set5/img_003.png" photo.png
"$build/cli/tconv" upscale photo.png photo.jpg --mode kernel --interp nearest --scale 1 -q
mkdir -p photos/trip shots
cp "$src/tests/data/Set5/img_001.png" photos/a.png
cp "$src/tests/data/Set5/img_002.png" photos/trip/b.png
cp "$src/tests/data/Set5/img_005.png" shots/c.png
cp "$src/tests/data/Set5/img_003.png" shots/d.png
PATH="$(dirname "$tconv"):$PATH" sh -e ./example.sh >example.out 2>example.log
status=$?
check "the README's block ($(wc -l <example.sh) commands) runs: status $status" \
  test -s example.sh -a $status -eq 0
check "tconv upscale IN OUT uses sesr-x2" grep -q '^photo-x2.png: .* with sesr-x2$' example.log
TCONV_MODEL_PATH="$src/weights/models" "$build/cli/tconv" upscale photo.png tree.png -q
check "... and writes what the build tree's tconv writes with the repository's models" \
  cmp -s photo-x2.png tree.png
photo_jpeg() { grep -q '^photo-x2.jpg: .* with sesr-photo-x2$' example.log && jpegs photo-x2.jpg; }
check "a JPEG photo with --model sesr-photo-x2" photo_jpeg
check "--scale 3 uses sesr-x3" grep -q '^photo-x3.png: 256x256 -> 768x768 with sesr-x3$' example.log
check "-o big/ -r photos/ --suffix _x2 keeps the subfolders" test -s big/a_x2.png -a -s big/trip/b_x2.png
check "--skip-existing redoes nothing" grep -q '^0 upscaled, 2 skipped (already there), 0 failed' example.log
check "-o web/ shots/*.png --format jpeg --quality 90 --jobs 2 writes JPEGs" jpegs web/c.jpg web/d.jpg
check "tconv models lists every installed model" \
  test "$(grep -c "$models/" example.out)" -eq "$(echo "$shipped" | wc -l)"
check "tconv info sesr-x2 reads the installed file" \
  sh -c "'$tconv' info sesr-x2 | grep -q '$models/sesr-x2.safetensors'"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
