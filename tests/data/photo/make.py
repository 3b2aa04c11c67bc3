# Makes tests/data/photo/*: run once with /usr/bin/python3 (PIL); the files are committed.
import io
from PIL import Image, ImageCms

# Upright 32x48 portrait: red top-left, green top-right, blue bottom-left, white bottom-right.
up = Image.new("RGB", (32, 48))
for (x0, y0, c) in [(0, 0, (220, 30, 30)), (16, 0, (30, 200, 30)), (0, 24, (30, 30, 220)), (16, 24, (255, 255, 255))]:
    up.paste(c, (x0, y0, x0 + 16, y0 + 24))
stored = up.rotate(90, expand=True)  # anticlockwise: orientation 6 turns it back clockwise
assert stored.size == (48, 32)
exif = Image.Exif()
exif[0x010F] = "tconv-test"  # Make
exif[0x0112] = 6             # Orientation
exif[0x8769] = {0xA002: 48, 0xA003: 32}  # PixelX/YDimension (as stored)
icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
stored.save("portrait-orientation-6.jpg", quality=95, exif=exif.tobytes(), icc_profile=icc, dpi=(72, 72))

# A JPEG cut short: the header whole, most of the scan missing.
full = io.BytesIO()
Image.radial_gradient("L").resize((64, 48)).convert("RGB").save(full, "JPEG", quality=90)
data = full.getvalue()
open("truncated.jpg", "wb").write(data[: len(data) * 6 // 10])

# RGBA: an opaque warm-red left half, a fully transparent right half whose hidden colour is
# pure green (what an eraser leaves in a layer).
rgba = Image.new("RGBA", (24, 16), (0, 255, 0, 0))
rgba.paste((200, 60, 40, 255), (0, 0, 12, 16))
rgba.save("rgba-hidden-green.png")
