/* tconv CLI — the two EXIF facts an upscale changes: the orientation (applied to the
 * pixels, so the result says 1) and the pixel size (PixelXDimension / PixelYDimension).
 * Everything else in the block is carried over byte for byte (cli/exif.c). */
#pragma once

#include <glib.h>

/* `tiff`: an EXIF block without the "Exif\0\0" prefix of a JPEG APP1 (what a PNG eXIf
 * chunk holds).  Both functions walk IFD0 and the Exif sub-IFD with every offset checked
 * against `size`: a hostile block gives orientation 1 or FALSE, never a read or write out
 * of bounds. */

/* The Orientation tag (1-8); 1 when absent or out of range. */
int tconv_exif_orientation (const guint8 *tiff, gsize size);

/* A copy of the block for an image now `width` x `height` and upright: Orientation set
 * to 1, PixelX/YDimension to the new size where present, and, when `rotated`, the
 * thumbnail (IFD1, which still shows the old orientation) unlinked.  NULL when the block
 * is not a TIFF structure tconv can read. */
GBytes *tconv_exif_for_output (const guint8 *tiff, gsize size, int width, int height,
                               gboolean rotated);
