# python-fu-eval part of tests/gimp/test-gimp-batch.sh: layer groups, offsets, masks and
# channels scale like Image > Scale Image (its cubic, pixel for pixel); then a kill of the plug-in mid-computation
# leaves the image as it was and GIMP keeps working.
import os
import subprocess
import threading
import time

from gi.repository import Gimp, Gio, Gegl

work = os.environ["TCONV_WORK"]
pdb = Gimp.get_pdb()
proc = pdb.lookup_procedure("plug-in-tconv-upscale")


def run(image, **args):
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", image.get_selected_drawables())
    for k, v in args.items():
        cfg.set_property(k, v)
    return status_name(proc.run(cfg).index(0))


def status_name(status):
    """SUCCESS, CALLING_ERROR...: 3.0 returns the enum, 3.2 its integer."""
    return Gimp.PDBStatusType(int(status)).value_nick.upper().replace("-", "_")


def fill(layer, value):
    color = Gegl.Color.new("rgb(%f,%f,%f)" % (value, 1 - value, 0.5))
    Gimp.context_set_foreground(color)
    layer.edit_fill(Gimp.FillType.FOREGROUND)


image = Gimp.Image.new(40, 30, Gimp.ImageBaseType.RGB)
group = Gimp.GroupLayer.new(image, "group")
image.insert_layer(group, None, 0)
inner = Gimp.Layer.new(image, "inner", 20, 10, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
image.insert_layer(inner, group, 0)
inner.set_offsets(5, 7)
fill(inner, 0.2)
mask = inner.create_mask(Gimp.AddMaskType.WHITE)
inner.add_mask(mask)
top = Gimp.Layer.new(image, "top", 40, 30, Gimp.ImageType.RGB_IMAGE, 100, Gimp.LayerMode.NORMAL)
image.insert_layer(top, None, 0)
fill(top, 0.7)
channel = Gimp.Channel.new(image, "channel", 40, 30, 50.0, Gegl.Color.new("red"))
image.insert_channel(channel, None, 0)
image.set_selected_layers([top])
# a hard-edged rectangle in the mask and in the channel: Scale Image's cubic softens it,
# no interpolation would keep it hard
image.select_rectangle(Gimp.ChannelOps.REPLACE, 8, 9, 7, 5)
Gimp.context_set_foreground(Gegl.Color.new("black"))
mask.edit_fill(Gimp.FillType.FOREGROUND)
Gimp.context_set_foreground(Gegl.Color.new("white"))
channel.edit_fill(Gimp.FillType.FOREGROUND)
Gimp.Selection.none(image)
reference = image.duplicate()
Gimp.context_push()
Gimp.context_set_interpolation(Gimp.InterpolationType.CUBIC)
reference.scale(80, 60)
Gimp.context_pop()


def pixels(drawable):
    buf = drawable.get_buffer()
    return buf.get(buf.get_extent(), 1.0, "Y u8", Gegl.AbyssPolicy.NONE)


status = run(image, mode="kernel", scale=2, interpolation="bilinear")
print("structure status", status)
print("structure image", image.get_width(), image.get_height())
ok, ox, oy = inner.get_offsets()
print("structure inner", inner.get_width(), inner.get_height(), ox, oy)
print("structure mask", inner.get_mask().get_width(), inner.get_mask().get_height())
print("structure channel", channel.get_width(), channel.get_height())
print("structure top", top.get_width(), top.get_height())
ref_mask = reference.get_layers()[1].get_children()[0].get_mask()
print("structure mask like Scale Image's cubic", pixels(inner.get_mask()) == pixels(ref_mask))
print("structure channel like Scale Image's cubic", pixels(channel) == pixels(reference.get_channels()[0]))
print("structure soft edges", len(set(pixels(channel))) > 2)
reference.delete()

# Cancel: GIMP cancels a plug-in by killing it. Kill it mid-computation.
big = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                     Gio.File.new_for_path(os.path.join(os.environ["TCONV_TEST_DATA"], "Set5", "img_001.png")))
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, big, Gio.File.new_for_path(os.path.join(work, "before.png")), None)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# this test's plug-in only, by its path in this test's profile: a bare "plug-ins/tconv/tconv"
# matches the plug-in of every other GIMP test running on the machine too
plug_in = os.path.join(os.environ["GIMP3_DIRECTORY"], "plug-ins", "tconv", "tconv")


def killer():
    # kill once the plug-in has computed for a while (its CPU time, not the wall clock:
    # a fast machine must not finish first, a loaded one must not be killed while loading)
    deadline = time.time() + 60
    while time.time() < deadline:
        found = subprocess.run(["pgrep", "-f", plug_in], capture_output=True,
                               text=True).stdout.split()
        try:
            if found and cpu_seconds(found[0]) >= 0.6:
                break
        except OSError:
            pass
        time.sleep(0.02)
    subprocess.run(["pkill", "-9", "-f", plug_in])


threading.Thread(target=killer).start()
t0 = time.time()
# a slow geometry (64 taps per axis, tiny tiles, one thread: seconds of computing); the
# kill lands while computing, long before anything is applied
status = run(big, mode="kernel", scale=8, interpolation="lanczos",
             **{"kernel-size": 64, "tile-size": 4, "threads": 1})
print("cancel status", status, "after %.1f s" % (time.time() - t0))
print("cancel size", big.get_width(), big.get_height())
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, big, Gio.File.new_for_path(os.path.join(work, "after.png")), None)
status = run(big, mode="kernel", scale=2)
print("after cancel status", status, big.get_width(), big.get_height())
