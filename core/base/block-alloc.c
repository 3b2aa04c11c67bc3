#include <string.h>

#include "block-alloc.h"

/* Float buffers from caches of freed blocks (see block-alloc.h).
 *
 * The engine allocates the same few large tensors for every tile; fresh allocations of
 * that size are mmap()s whose page faults cost more than the convolutions.  Freed blocks
 * wait in a small per-thread cache and are zeroed again on reuse.  A thread that exits
 * (the engine starts its workers per run) leaves its blocks in a shared cache, where the
 * next run's threads find them. */

#define CACHE_BLOCKS 8
#define BLOCK_HEADER 64 /* keeps the data 64-byte aligned */

typedef struct
{
  gsize  floats[CACHE_BLOCKS];
  float *data[CACHE_BLOCKS];
  int    n;
} BlockCache;

static BlockCache shared_cache;
static GMutex     shared_lock;

static void
block_release (float *data)
{
  if (data)
    {
      guint8 *p = (guint8 *) data;
      g_free (p - p[-1]);
    }
}

static gsize
block_floats (const float *data)
{
  return ((const gsize *) ((const guint8 *) data - ((const guint8 *) data)[-1]))[0];
}

/* The tightest fit for `floats`, and not a block twice the size (that one is wanted
 * later), taken out of the cache; NULL when none fits. */
static float *
cache_take (BlockCache *c, gsize floats)
{
  int best = -1;

  for (int i = 0; i < c->n; i++)
    if (c->floats[i] >= floats && c->floats[i] / 2 <= floats
        && (best < 0 || c->floats[i] < c->floats[best]))
      best = i;
  if (best < 0)
    return NULL;
  float *data = c->data[best];
  c->n--;
  c->data[best] = c->data[c->n];
  c->floats[best] = c->floats[c->n];
  return data;
}

/* Keeps the block, dropping the smallest one when full: the large ones are the
 * expensive ones to fault in again. */
static void
cache_put (BlockCache *c, float *data)
{
  if (c->n == CACHE_BLOCKS)
    {
      int small = 0;
      for (int i = 1; i < c->n; i++)
        if (c->floats[i] < c->floats[small])
          small = i;
      if (c->floats[small] > block_floats (data))
        {
          block_release (data);
          return;
        }
      block_release (c->data[small]);
      c->n--;
      c->data[small] = c->data[c->n];
      c->floats[small] = c->floats[c->n];
    }
  c->data[c->n] = data;
  c->floats[c->n] = block_floats (data);
  c->n++;
}

static void
cache_empty (BlockCache *c)
{
  for (int i = 0; i < c->n; i++)
    block_release (c->data[i]);
  c->n = 0;
}

/* a thread's exit: its blocks move to the shared cache */
static void
block_cache_free (gpointer cache)
{
  BlockCache *c = cache;

  g_mutex_lock (&shared_lock);
  for (int i = 0; i < c->n; i++)
    cache_put (&shared_cache, c->data[i]);
  g_mutex_unlock (&shared_lock);
  g_free (c);
}

static GPrivate block_cache = G_PRIVATE_INIT (block_cache_free);

static float *
block_alloc (gsize floats, gboolean zero)
{
  BlockCache *c = g_private_get (&block_cache);
  float      *data = c ? cache_take (c, floats) : NULL;

  if (data == NULL)
    {
      g_mutex_lock (&shared_lock);
      data = cache_take (&shared_cache, floats);
      g_mutex_unlock (&shared_lock);
    }
  if (data)
    {
      if (zero)
        memset (data, 0, floats * sizeof (float));
      return data;
    }
  guint8 *base = zero ? g_try_malloc0 (floats * sizeof (float) + BLOCK_HEADER)
                      : g_try_malloc (floats * sizeof (float) + BLOCK_HEADER);
  if (base == NULL)
    return NULL;
  /* header: the capacity, then (in the byte before the data) the offset back to base */
  guint8 *p = (guint8 *) (((guintptr) base + sizeof (gsize) + 1 + 63) & ~(guintptr) 63);
  *(gsize *) base = floats;
  p[-1] = (guint8) (p - base);
  return (float *) p;
}

float *
tconv_block_alloc0 (gsize floats)
{
  return block_alloc (floats, TRUE);
}

float *
tconv_block_alloc (gsize floats)
{
  return block_alloc (floats, FALSE);
}

void
tconv_block_free (float *data)
{
  BlockCache *c = g_private_get (&block_cache);

  if (data == NULL)
    return;
  if (c == NULL)
    {
      c = g_new0 (BlockCache, 1);
      g_private_set (&block_cache, c);
    }
  cache_put (c, data);
}

void
tconv_block_cache_clear (void)
{
  BlockCache *c = g_private_get (&block_cache);

  if (c)
    cache_empty (c);
  g_mutex_lock (&shared_lock);
  cache_empty (&shared_cache);
  g_mutex_unlock (&shared_lock);
}

