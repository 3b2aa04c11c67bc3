/* EXIF orientation and pixel size (see exif.h).  A TIFF structure: a byte-order mark
 * ("II" little-endian, "MM" big-endian), 42, the offset of IFD0; an IFD is a 16-bit entry
 * count, 12-byte entries (tag, type, count, value or offset) and the offset of the next
 * IFD.  Offsets come from the file, so each is checked before it is followed. */
#include <string.h>

#include "exif.h"

enum
{
  TAG_ORIENTATION = 0x0112,
  TAG_EXIF_IFD = 0x8769,
  TAG_PIXEL_X = 0xa002,
  TAG_PIXEL_Y = 0xa003,
  TYPE_SHORT = 3,
  TYPE_LONG = 4
};

typedef struct
{
  guint8  *d; /* writable only in tconv_exif_for_output's copy */
  gsize    n;
  gboolean be;
} Tiff;

static guint32
get (const Tiff *t, gsize at, int bytes)
{
  guint32 v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (guint32) t->d[at + (t->be ? i : bytes - 1 - i)] << (8 * (bytes - 1 - i));
  return v;
}

static void
put (Tiff *t, gsize at, int bytes, guint32 v)
{
  for (int i = 0; i < bytes; i++)
    t->d[at + (t->be ? bytes - 1 - i : i)] = (guint8) (v >> (8 * i));
}

/* The header checked; the offset of IFD0, or 0 when the block is not TIFF. */
static gsize
open_tiff (Tiff *t, const guint8 *data, gsize size)
{
  t->d = (guint8 *) data, t->n = size;
  if (size < 8 || !(memcmp (data, "II", 2) == 0 || memcmp (data, "MM", 2) == 0))
    return 0;
  t->be = data[0] == 'M';
  return get (t, 2, 2) == 42 ? get (t, 4, 4) : 0;
}

/* Entries of the IFD at `ifd` that fit in the block (0 when the IFD itself does not). */
static guint
entries (const Tiff *t, gsize ifd)
{
  if (ifd < 8 || ifd > t->n - 2)
    return 0;
  guint count = get (t, ifd, 2);
  return MIN (count, (t->n - ifd - 2) / 12);
}

/* The offset of `tag`'s entry in the IFD at `ifd`, or 0. */
static gsize
find (const Tiff *t, gsize ifd, guint16 tag)
{
  guint n = entries (t, ifd);
  for (guint i = 0; i < n; i++)
    if (get (t, ifd + 2 + 12 * (gsize) i, 2) == tag)
      return ifd + 2 + 12 * (gsize) i;
  return 0;
}

/* A SHORT or LONG held in the entry itself (count 1), or -1. */
static gint64
inline_number (const Tiff *t, gsize entry)
{
  if (entry == 0 || get (t, entry + 4, 4) != 1)
    return -1;
  guint type = get (t, entry + 2, 2);
  if (type != TYPE_SHORT && type != TYPE_LONG)
    return -1;
  return get (t, entry + 8, type == TYPE_SHORT ? 2 : 4);
}

int
tconv_exif_orientation (const guint8 *tiff, gsize size)
{
  Tiff   t;
  gsize  ifd0 = open_tiff (&t, tiff, size);
  gint64 o = ifd0 ? inline_number (&t, find (&t, ifd0, TAG_ORIENTATION)) : -1;
  return o >= 1 && o <= 8 ? (int) o : 1;
}

/* A pixel dimension rewritten in place; a SHORT too small for it becomes a LONG (count
 * 1 fits in the entry either way). */
static void
set_dimension (Tiff *t, gsize entry, guint32 v)
{
  if (inline_number (t, entry) < 0)
    return;
  if (get (t, entry + 2, 2) == TYPE_SHORT && v <= G_MAXUINT16)
    put (t, entry + 8, 2, v);
  else
    put (t, entry + 2, 2, TYPE_LONG), put (t, entry + 8, 4, v);
}

GBytes *
tconv_exif_for_output (const guint8 *tiff, gsize size, int width, int height, gboolean rotated)
{
  Tiff  t;
  gsize ifd0 = open_tiff (&t, tiff, size);
  if (ifd0 == 0 || entries (&t, ifd0) == 0)
    return NULL;
  t.d = g_memdup2 (tiff, size);
  gsize o = find (&t, ifd0, TAG_ORIENTATION);
  if (inline_number (&t, o) >= 0 && get (&t, o + 2, 2) == TYPE_SHORT)
    put (&t, o + 8, 2, 1);
  gint64 sub = inline_number (&t, find (&t, ifd0, TAG_EXIF_IFD));
  if (sub > 0)
    {
      set_dimension (&t, find (&t, (gsize) sub, TAG_PIXEL_X), (guint32) width);
      set_dimension (&t, find (&t, (gsize) sub, TAG_PIXEL_Y), (guint32) height);
    }
  gsize next = ifd0 + 2 + 12 * (gsize) entries (&t, ifd0);
  if (rotated && next + 4 <= t.n)
    put (&t, next, 4, 0);
  return g_bytes_new_take (t.d, size);
}
