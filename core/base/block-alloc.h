/* tconv — the engine's float buffers, reused rather than faulted in again. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Zeroed float buffers from a small per-thread cache of freed ones (NULL when out of
 * memory); free with tconv_block_free, which may keep the block for the next alloc
 * (a thread's cached blocks outlive it, shared with later threads).
 * tconv_block_cache_clear returns this thread's and the shared cached blocks to the
 * system. */
float *tconv_block_alloc0       (gsize floats);
float *tconv_block_alloc        (gsize floats); /* not zeroed */
void   tconv_block_free         (float *data);
void   tconv_block_cache_clear  (void);

G_END_DECLS
