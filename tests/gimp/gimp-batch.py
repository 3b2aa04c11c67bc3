# python-fu-eval part of tests/gimp/test-gimp-batch.sh: runs inside gimp-console.
# Reads WORK and DATA from the environment; prints lines the shell script checks.
import os
import struct

from gi.repository import Gegl, Gimp, Gio

work, data = os.environ["TCONV_WORK"], os.environ["TCONV_TEST_DATA"]


def status_name(status):
    """SUCCESS, CALLING_ERROR...: 3.0 returns the enum, 3.2 its integer."""
    return Gimp.PDBStatusType(int(status)).value_nick.upper().replace("-", "_")


def run(image, **args):
    proc = Gimp.get_pdb().lookup_procedure("plug-in-tconv-upscale")
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", image.get_selected_drawables())
    for k, v in args.items():
        cfg.set_property(k, v)
    return proc.run(cfg)


image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                       Gio.File.new_for_path(os.path.join(data, "Set5", "img_003.png")))
result = run(image, mode="transposed", scale=2)
print("python-fu status", status_name(result.index(0)))
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(os.path.join(work, "py.png")), None)

# compare on 100x80 (neither square nor a power of two: the spectrum's square, 128, is
# smaller than the 200x160 image and is stretched to it)
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                       Gio.File.new_for_path(os.path.join(work, "small.png")))
result = run(image, mode="compare", scale=2)
compared = result.index(1)
print("compare size", compared.get_width(), compared.get_height())
for layer in compared.get_layers():
    print("compare layer:", layer.get_name())
    # every compare layer at the image's origin and size, pixel-aligned with the others
    print("compare layer geometry:", layer.get_name(), *layer.get_offsets()[1:],
          layer.get_width(), layer.get_height())


def steps(layer):
    """How often a column differs from the one before it, and a row from the row above."""
    buf = layer.get_buffer()
    r = buf.get_extent()
    v = struct.unpack("%df" % (r.width * r.height),
                      bytes(buf.get(r, 1.0, "Y' float", Gegl.AbyssPolicy.NONE)))
    cols = [v[x::r.width] for x in range(r.width)]
    rows = [v[y * r.width:(y + 1) * r.width] for y in range(r.height)]
    return (sum(a != b for a, b in zip(cols, cols[1:])),
            sum(a != b for a, b in zip(rows, rows[1:])))


# nearest: the 128 columns and rows of the spectrum stay flat blocks, 127 steps each way
# (any smoothing interpolation changes at nearly every one of the 200 and 160)
spectrum = [layer for layer in compared.get_layers() if layer.get_name().startswith("Spectrum")]
print("compare spectrum steps", *steps(spectrum[0]))

# Kernel-mode geometries whose size is not scale x input: the image takes the size the
# formula gives, as `tconv upscale` does (the shell script compares the two).
GEOMETRIES = {
    "bilinear-s2-p0": dict(interpolation="bilinear", scale=2, padding=0),
    "bicubic-s3-k5-p1": dict(interpolation="bicubic", scale=3, **{"kernel-size": 5}, padding=1),
    "bilinear-s2-p1-op1": dict(interpolation="bilinear", scale=2, padding=1, **{"output-padding": 1}),
    "nearest-s2-d2-p0": dict(interpolation="nearest", scale=2, dilation=2, padding=0),
}
small = os.path.join(work, "small.png")
for name, args in GEOMETRIES.items():
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(small))
    result = run(image, mode="kernel", **args)
    print("geometry", name, status_name(result.index(0)), image.get_width(), image.get_height(),
          image.get_layers()[0].get_width(), image.get_layers()[0].get_height())
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image,
                   Gio.File.new_for_path(os.path.join(work, "geometry-" + name + ".png")), None)

# plug-in-tconv-upscale-files over a folder with an unreadable file: the others are done,
# the failure is named, the status says it
folder = os.path.join(work, "folder")
os.makedirs(folder, exist_ok=True)
import shutil  # noqa: E402
shutil.copy(os.path.join(data, "Set5", "img_003.png"), os.path.join(folder, "a.png"))
shutil.copy(os.path.join(data, "Set5", "img_002.png"), os.path.join(folder, "b.png"))
with open(os.path.join(folder, "broken.png"), "w") as f:
    f.write("not a PNG")
proc = Gimp.get_pdb().lookup_procedure("plug-in-tconv-upscale-files")
cfg = proc.create_config()
cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
cfg.set_property("files", [folder])
cfg.set_property("output-folder", os.path.join(work, "folder-out"))
cfg.set_property("mode", "transposed")
result = proc.run(cfg)
print("files status", status_name(result.index(0)))
print("files outputs", " ".join(sorted(os.listdir(os.path.join(work, "folder-out")))))

# A layer with green under its transparent half (tests/data/photo/rgba-hidden-green.png):
# colour is resampled premultiplied by alpha, so no visible pixel takes on the green.
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                       Gio.File.new_for_path(os.path.join(data, "photo", "rgba-hidden-green.png")))
# (every geometry argument given: a procedure's config starts from its last run's values)
result = run(image, mode="kernel", interpolation="bicubic", scale=2, padding=-1, dilation=1,
             **{"kernel-size": 0, "output-padding": -1})
layer = image.get_layers()[0]
opaque = layer.get_pixel(0, 0).get_rgba()
worst = 0.0
for y in range(layer.get_height()):
    for x in range(layer.get_width()):
        r, g, b, a = layer.get_pixel(x, y).get_rgba()
        if a > 0.5 / 255:
            worst = max(worst, abs(r - opaque[0]), abs(g - opaque[1]), abs(b - opaque[2]))
print("hidden colour", status_name(result.index(0)), layer.get_width(), layer.get_height(),
      "fringe", worst >= 0.01, round(worst, 4))
