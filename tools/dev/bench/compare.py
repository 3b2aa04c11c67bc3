#!/usr/bin/python3
"""compare.py WORKDIR OW OH C: max |peer - tconv| over the clamped outputs (tconv clamps
to [0, 1] as images are), for each peer output present; prints "diff_NAME X"."""
import os
import sys

import numpy as np

work, ow, oh, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ref = np.fromfile(os.path.join(work, "tconv.raw"), dtype="<f4").reshape(oh, ow, c)
for name in ("torch", "opencv", "ort"):
    p = os.path.join(work, name + ".raw")
    if os.path.exists(p):
        y = np.clip(np.fromfile(p, dtype="<f4").reshape(c, oh, ow).transpose(1, 2, 0), 0, 1)
        print("diff_%s %.2e" % (name, float(np.abs(y - ref).max())))
