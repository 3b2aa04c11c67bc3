/* Colour for the engine: BT.601 Y'CbCr as the SRCNN/FSRCNN papers, and the interleaved
 * pixels <-> planes conversions of a tile. */
#include "color.h"
#include "engine.h"

static const double YCBCR[3][3] = { { 65.481, 128.553, 24.966 },
                                    { -37.797, -74.203, 112.0 },
                                    { 112.0, -93.786, -18.214 } };
static const double YCBCR_OFFSET[3] = { 16.0, 128.0, 128.0 };

void
tconv_rgb_to_ycbcr (const float rgb[3], float ycbcr[3])
{
  for (int i = 0; i < 3; i++)
    ycbcr[i] = (float) ((YCBCR_OFFSET[i] + YCBCR[i][0] * rgb[0] + YCBCR[i][1] * rgb[1]
                         + YCBCR[i][2] * rgb[2])
                        / 255.0);
}

void
tconv_ycbcr_to_rgb (const float ycbcr[3], float rgb[3])
{
  static double inv[3][3];
  static gsize  ready = 0;

  if (g_once_init_enter (&ready))
    {
      const double(*m)[3] = YCBCR;
      double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                   - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                   + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          {
            /* cofactor of m[j][i], transposed: inverse = adj / det */
            int    r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            double cof = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
            inv[i][j] = cof / det * 255.0;
          }
      g_once_init_leave (&ready, 1);
    }
  double d[3];
  for (int i = 0; i < 3; i++)
    d[i] = ycbcr[i] - YCBCR_OFFSET[i] / 255.0;
  for (int i = 0; i < 3; i++)
    rgb[i] = (float) (inv[i][0] * d[0] + inv[i][1] * d[1] + inv[i][2] * d[2]);
}

/* Colour is resampled premultiplied by alpha, the standard for resampling: a pixel's
 * colour weighs as much as it is seen, so the colour left under fully transparent pixels
 * (what an eraser leaves) cannot bleed into the visible edge.  Straight alpha in and out;
 * below this alpha the colour is unknowable and written as 0. */
#define ALPHA_EPSILON 1e-6f

/* Pixel i of the interleaved `pixels`, colour premultiplied into `px`. */
static inline const float *
premultiplied (const float *pixels, gsize i, int ch, float px[4])
{
  const float *p = pixels + i * ch;
  if (ch != 2 && ch != 4)
    return p;
  for (int c = 0; c < ch - 1; c++)
    px[c] = p[c] * p[ch - 1];
  px[ch - 1] = p[ch - 1];
  return px;
}

/* Interleaved pixels (ch channels) -> the network's input planes and the side planes
 * (chroma, alpha), colour premultiplied.  One loop per colour case. */
void
tconv_split_pixels (const TconvModel *model, const float *pixels, int ch, TconvTensor *net,
              TconvTensor *side)
{
  const gsize plane = (gsize) net->w * net->h;
  const int   net_c = net->c, gray = ch <= 2, has_alpha = ch == 2 || ch == 4;
  float      *n0 = net->data, px[4];

  if (model->color == TCONV_COLOR_ALL || (!gray && model->color != TCONV_COLOR_Y))
    for (gsize i = 0; i < plane; i++) /* the model's channels are the image's first ones */
      {
        const float *p = premultiplied (pixels, i, ch, px);
        for (int c = 0; c < net_c; c++)
          n0[c * plane + i] = p[c];
      }
  else if (gray) /* gray is its own Y; an rgb model sees it on all three channels */
    for (gsize i = 0; i < plane; i++)
      {
        const float v = premultiplied (pixels, i, ch, px)[0];
        for (int c = 0; c < net_c; c++)
          n0[c * plane + i] = v;
      }
  else
    for (gsize i = 0; i < plane; i++)
      {
        float ycc[3];
        tconv_rgb_to_ycbcr (premultiplied (pixels, i, ch, px), ycc);
        n0[i] = ycc[0];
        side->data[i] = ycc[1];
        side->data[plane + i] = ycc[2];
      }
  if (has_alpha && side->c)
    for (gsize i = 0; i < plane; i++)
      side->data[(side->c - 1) * plane + i] = pixels[i * ch + ch - 1];
}

static inline float
clamp01 (float v)
{
  v = v > 0.0f ? v : 0.0f;
  return v < 1.0f ? v : 1.0f;
}

/* A row of `n` output pixels to their final values in [0, 1].  With alpha, colour is
 * divided by the alpha as resampled, before either is clamped: where a kernel overshoots
 * (alpha 1.05 beside an edge), colour overshoots with it, and the quotient is the colour. */
static void
finish_row (float *q, int n, int ch, gboolean has_alpha)
{
  if (!has_alpha)
    for (int i = 0; i < n * ch; i++)
      q[i] = clamp01 (q[i]);
  else
    for (int x = 0; x < n; x++, q += ch)
      {
        const float a = q[ch - 1];
        for (int c = 0; c < ch - 1; c++)
          q[c] = a > ALPHA_EPSILON ? clamp01 (q[c] / a) : 0.0f;
        q[ch - 1] = clamp01 (a);
      }
}

/* The owned ow x oh span at (rx0, ry0) of the output planes -> interleaved pixels,
 * clamped to [0, 1], colour unpremultiplied; the inverse of split_pixels. */
void
tconv_merge_planes (const TconvModel *model, const TconvTensor *net, const TconvTensor *side, int rx0,
              int ry0, int ow, int oh, int ch, float *outpix, gsize out_row)
{
  const gsize oplane = (gsize) net->w * net->h;
  const int   net_c = net->c, gray = ch <= 2, has_alpha = ch == 2 || ch == 4;

  for (int y = 0; y < oh; y++)
    {
      const gsize  row = (gsize) (ry0 + y) * net->w + rx0;
      const float *n0 = net->data + row;
      float       *q = outpix + (gsize) y * out_row;
      if (model->color == TCONV_COLOR_ALL || (!gray && model->color != TCONV_COLOR_Y))
        for (int c = 0; c < MIN (net_c, ch); c++)
          for (int x = 0; x < ow; x++)
            q[x * ch + c] = n0[c * oplane + x];
      else if (gray)
        for (int x = 0; x < ow; x++)
          {
            float v = 0.0f;
            for (int c = 0; c < net_c; c++)
              v += n0[c * oplane + x];
            q[x * ch] = v / net_c;
          }
      else
        for (int x = 0; x < ow; x++)
          {
            const float ycc[3] = { n0[x], side->data[row + x], side->data[oplane + row + x] };
            tconv_ycbcr_to_rgb (ycc, q + x * ch);
          }
      if (has_alpha && side->c)
        for (int x = 0; x < ow; x++)
          q[x * ch + ch - 1] = side->data[(side->c - 1) * oplane + row + x];
      finish_row (q, ow, ch, has_alpha);
    }
}

void
tconv_planes_from_pixels (const float *pixels, int ch, TconvTensor *net)
{
  const gsize plane = (gsize) net->w * net->h;
  for (int c = 0; c < ch; c++)
    for (gsize i = 0; i < plane; i++)
      net->data[c * plane + i] = pixels[i * ch + c];
}

void
tconv_pixels_from_planes (const TconvTensor *net, int rx0, int ry0, int ow, int oh, float *outpix,
                          gsize out_row)
{
  const gsize plane = (gsize) net->w * net->h;
  for (int y = 0; y < oh; y++)
    for (int c = 0; c < net->c; c++)
      {
        const float *src = net->data + c * plane + (gsize) (ry0 + y) * net->w + rx0;
        float       *dst = outpix + (gsize) y * out_row + c;
        for (int x = 0; x < ow; x++)
          dst[(gsize) x * net->c] = src[x];
      }
}
