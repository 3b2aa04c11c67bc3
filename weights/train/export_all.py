#!/usr/bin/python3
"""Evaluate the trained runs in PyTorch and export them as shipped model files.

    /usr/bin/python3 weights/train/export_all.py [RUNS_DIR [SHIPPED_NAME...]]

For each run in SHIPPED that has a model.pt: Y-PSNR on Set5 and Set14 with the
standard protocol (the same as `tconv eval`), then weights/models/NAME.safetensors
with the graph, training facts and these PyTorch-side numbers.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import models  # noqa: E402
import tconv_export  # noqa: E402
from train import DATASETS, evaluate  # noqa: E402

# run folder -> (shipped name, kind, scale, kernel, residual); photo models are trained
# on JPEG-degraded inputs (--degradation photo) and say so in their "degradation" fact
SHIPPED = {
    "x2-d": ("fsrcnn-x2", "transposed", 2, 9, "bicubic"),  # from scratch (third session)
    "x3-g": ("fsrcnn-x3", "transposed", 3, 9, "bicubic"),  # fine-tuned from x2-d
    "x4-d": ("fsrcnn-x4", "transposed", 4, 9, "bicubic"),
    "k8-x2-d": ("fsrcnn-k8-x2", "transposed", 2, 8, "bicubic"),  # new heads on x2-d, x4-d
    "k8-x4-d": ("fsrcnn-k8-x4", "transposed", 4, 8, "bicubic"),
    # resize+conv: heads on x2-d, x3-d, x4-d, then moved to the ramp-exact residual
    "rc-x2-k": ("fsrcnn-rc-x2", "resize-conv", 2, 9, "keys"),
    "rc-x3-k": ("fsrcnn-rc-x3", "resize-conv", 3, 9, "keys"),
    "rc-x4-k": ("fsrcnn-rc-x4", "resize-conv", 4, 9, "keys"),
    # fine-tuned from the shipped clean model of the same name (fifth session)
    "photo-x2-b": ("fsrcnn-photo-x2", "transposed", 2, 9, "bicubic"),
    "photo-x3": ("fsrcnn-photo-x3", "transposed", 3, 9, "bicubic"),
    # photo-x4, then five fine-tunes toward lower qualities (eighth and ninth sessions)
    "photo-x4-j": ("fsrcnn-photo-x4", "transposed", 4, 9, "bicubic"),
    "photo-rc-x2": ("fsrcnn-rc-photo-x2", "resize-conv", 2, 9, "keys"),
    # SESR-M5's recipe on a transposed head: x2 from scratch, x3 and x4 fine-tuned from it,
    # the resize+conv twin a new head on the x2 trunk (sixth session)
    "sesr-x2": ("sesr-x2", "sesr", 2, 10, "bicubic"),
    # x3 and x4 with heads of 3*scale and 2*scale taps: SESR's 5*scale (runs sesr-x3 and
    # sesr-x4, 15 and 20 taps) reached the same PSNR at 15.5k and 18.3k multiply-adds
    "sesr-x3-k9": ("sesr-x3", "sesr", 3, 9, "bicubic"),
    "sesr-x4-k8": ("sesr-x4", "sesr", 4, 8, "bicubic"),
    "sesr-rc-x2": ("sesr-rc-x2", "sesr-rc", 2, 9, "keys"),
    "sesr-photo-x2": ("sesr-photo-x2", "sesr", 2, 10, "bicubic"),  # fine-tuned from sesr-x2
    "sesr-photo-x3-k9": ("sesr-photo-x3", "sesr", 3, 9, "bicubic"),  # from sesr-x3-k9
    # from sesr-x4-k8, then 3000 more steps on a mix with more and lower-quality JPEGs
    "sesr-photo-x4-k8b": ("sesr-photo-x4", "sesr", 4, 8, "bicubic"),
    "sesr-rc-photo-x2": ("sesr-rc-photo-x2", "sesr-rc", 2, 9, "keys"),  # from sesr-rc-x2
}
CLEAN_DATA = ("T91 + BSD200 (random 24px or 32px LR crops, flips, rotations, 0.6/0.8 downscaled "
              "copies); LR by MATLAB-compatible bicubic")
PHOTO_DATA = ("T91 + BSD200 (random 32px LR crops, flips, rotations, 0.6/0.8 downscaled copies); "
              "LR by MATLAB-compatible bicubic downscaling of the RGB image, then for 60% of the "
              "copies PIL JPEG (4:2:0) at a quality uniform in 60-95 (a tenth of those first "
              "slightly blurred or noisy), Y of the decoded image")
# the runs whose mix differs from PHOTO_DATA's
TRAINING_DATA = {
    "photo-x4-j": PHOTO_DATA + "; then fine-tuned with each crop its own draw, 10-30% clean "
                  "and JPEG qualities of 50-95 narrowing to 55-80, EMA weights, L1 then MSE",
}
RESIDUAL_TEXT = {"bicubic": "a global bicubic residual (PyTorch's, a = -0.75)",
                 "keys": "a global cubic residual (Keys, a = -0.5: exact on ramps)"}


def main():
    runs = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "runs")
    out_dir = os.path.join(HERE, "..", "models")
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    only = set(sys.argv[2:])
    for run, (name, kind, scale, kernel, residual) in SHIPPED.items():
        if only and name not in only:
            continue
        path = os.path.join(runs, run, "model.pt")
        if not os.path.exists(path):
            print(f"{run}: not trained yet, skipped")
            continue
        model = models.build(kind, scale, kernel, residual)
        model.load_state_dict(torch.load(path))
        model.eval()
        psnr = {s: round(evaluate(model, scale, os.path.join(DATASETS, "test", s)), 3)
                for s in ("Set5", "Set14")}
        photo = "photo" in run
        jpeg = {s: {f"q{q}": round(evaluate(model, scale, os.path.join(DATASETS, "test", s), q), 3)
                    for q in (75, 90)} for s in ("Set5", "Set14")}
        sesr = kind.startswith("sesr")
        trunk = ("SESR-M5 (16 channels, five 3x3 layers; trained as collapsible linear blocks)"
                 if sesr else "FSRCNN(56,12,4)")
        description = (("For JPEG photos: " if photo else "")
                       + f"{trunk} with {RESIDUAL_TEXT[residual]}; "
                       + (f"{kernel}x{kernel} transposed convolution, stride {scale}"
                          if kind in ("transposed", "sesr") else
                          f"nearest resize x{scale} then a {kernel}x{kernel} convolution "
                          "(Odena et al. 2016)"))
        tconv_export.export(
            model, os.path.join(out_dir, name + ".safetensors"), name=name, scale=scale,
            mode={"sesr": "transposed", "sesr-rc": "resize-conv"}.get(kind, kind), color="y", description=description,
            training_data=TRAINING_DATA.get(run, PHOTO_DATA if photo else CLEAN_DATA),
            degradation="jpeg" if photo else "bicubic",
            pytorch_psnr_y=psnr, pytorch_psnr_y_jpeg=jpeg, parameters=models.deployed_param_count(model))
        print(f"{name}: Set5 {psnr['Set5']:.2f} dB, Set14 {psnr['Set14']:.2f} dB, JPEG {jpeg} "
              "(PyTorch)", flush=True)


if __name__ == "__main__":
    main()
