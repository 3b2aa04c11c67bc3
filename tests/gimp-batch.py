# python-fu-eval part of tests/test-gimp-batch.sh: runs inside gimp-console.
# Reads WORK and DATA from the environment; prints lines the shell script checks.
import os

from gi.repository import Gimp, Gio

work, data = os.environ["TCONV_WORK"], os.environ["TCONV_TEST_DATA"]


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
print("python-fu status", result.index(0))
Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(os.path.join(work, "py.png")), None)

image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                       Gio.File.new_for_path(os.path.join(data, "Set5", "img_003.png")))
result = run(image, mode="compare", scale=2)
compared = result.index(1)
print("compare size", compared.get_width(), compared.get_height())
for layer in compared.get_layers():
    print("compare layer:", layer.get_name())
