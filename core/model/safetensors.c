#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "safetensors.h"
#include "tconv-error.h"

static void
st_tensor_free (gpointer p)
{
  TconvStTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

void
tconv_safetensors_free (TconvSafetensors *st)
{
  if (st == NULL)
    return;
  g_hash_table_unref (st->tensors);
  g_hash_table_unref (st->metadata);
  g_free (st);
}

int
tconv_json_depth (const char *text, gsize len)
{
  int      depth = 0, max = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          depth++;
          max = MAX (max, depth);
        }
      else if ((c == '}' || c == ']') && --depth < 0)
        return G_MAXINT;
    }
  return depth == 0 && !in_string ? max : G_MAXINT;
}

float
tconv_half_to_float (guint16 h)
{
  int   sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;

  if (exp == 0)
    v = ldexpf ((float) mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = ldexpf ((float) (mant | 0x400), exp - 25);
  return sign ? -v : v;
}

static float
bf16_to_float (guint16 b)
{
  guint32 bits = (guint32) b << 16;
  float   v;
  memcpy (&v, &bits, sizeof v);
  return v;
}

typedef struct
{
  const char *name;
  int         size;
} Dtype;

static const Dtype DTYPES[] = { { "F32", 4 }, { "F16", 2 }, { "BF16", 2 } };

typedef struct
{
  TconvStTensor *t;
  guint64        begin, end;
  int            dtype;
} Span;

static int
span_cmp (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

#define FAIL(...)                                                                            \
  do                                                                                         \
    {                                                                                        \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, __VA_ARGS__);                      \
      goto out;                                                                              \
    }                                                                                        \
  while (0)

/* Validates one tensor entry of the header; fills span (data not yet read). */
static gboolean
parse_entry (const char *what, const char *name, JsonNode *node, guint64 data_len, Span *span,
             GError **error)
{
  TconvStTensor *t = g_new0 (TconvStTensor, 1);
  JsonObject    *o;
  JsonArray     *shape, *offsets;
  const char    *dtype;
  gsize          bytes;

  t->name = g_strdup (name);
  span->t = t;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    FAIL ("%s: tensor \"%s\": entry is not an object", what, name);
  o = json_node_get_object (node);
  if (!json_object_has_member (o, "dtype")
      || json_node_get_value_type (json_object_get_member (o, "dtype")) != G_TYPE_STRING)
    FAIL ("%s: tensor \"%s\": missing dtype", what, name);
  dtype = json_object_get_string_member (o, "dtype");
  span->dtype = -1;
  for (guint i = 0; i < G_N_ELEMENTS (DTYPES); i++)
    if (g_str_equal (dtype, DTYPES[i].name))
      span->dtype = i;
  if (span->dtype < 0)
    FAIL ("%s: tensor \"%s\": unsupported dtype \"%s\" (F32, F16 and BF16 are)", what, name,
          dtype);

  if (!json_object_has_member (o, "shape") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "shape")))
    FAIL ("%s: tensor \"%s\": missing shape", what, name);
  shape = json_object_get_array_member (o, "shape");
  t->n_dims = json_array_get_length (shape);
  if (t->n_dims < 1 || t->n_dims > 4)
    FAIL ("%s: tensor \"%s\": %d dimensions; 1 to 4 are supported", what, name, t->n_dims);
  t->numel = 1;
  for (int i = 0; i < t->n_dims; i++)
    {
      JsonNode *d = json_array_get_element (shape, i);
      if (json_node_get_value_type (d) != G_TYPE_INT64 || json_node_get_int (d) < 1
          || json_node_get_int (d) > G_MAXINT)
        FAIL ("%s: tensor \"%s\": shape[%d] is not a positive integer", what, name, i);
      t->shape[i] = json_node_get_int (d);
      if (!g_size_checked_mul (&t->numel, t->numel, t->shape[i]) || t->numel > G_MAXINT)
        FAIL ("%s: tensor \"%s\": shape is too large", what, name);
    }

  if (!json_object_has_member (o, "data_offsets")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "data_offsets")))
    FAIL ("%s: tensor \"%s\": missing data_offsets", what, name);
  offsets = json_object_get_array_member (o, "data_offsets");
  if (json_array_get_length (offsets) != 2
      || json_node_get_value_type (json_array_get_element (offsets, 0)) != G_TYPE_INT64
      || json_node_get_value_type (json_array_get_element (offsets, 1)) != G_TYPE_INT64)
    FAIL ("%s: tensor \"%s\": data_offsets must be two integers", what, name);
  gint64 b = json_array_get_int_element (offsets, 0), e = json_array_get_int_element (offsets, 1);
  if (b < 0 || e < b || (guint64) e > data_len)
    FAIL ("%s: tensor \"%s\": data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
          "] lie outside the data area of %" G_GUINT64_FORMAT " bytes",
          what, name, b, e, data_len);
  bytes = t->numel * DTYPES[span->dtype].size;
  if ((guint64) (e - b) != bytes)
    FAIL ("%s: tensor \"%s\": shape needs %" G_GSIZE_FORMAT " bytes of %s but data_offsets "
          "hold %" G_GINT64_FORMAT, what, name, bytes, dtype, e - b);
  span->begin = b;
  span->end = e;
  return TRUE;
out:
  return FALSE;
}

static gboolean
read_tensor (const char *what, Span *s, const guint8 *data, GError **error)
{
  TconvStTensor *t = s->t;
  const guint8  *p = data + s->begin;

  t->data = g_try_new (float, MAX (t->numel, 1));
  if (t->data == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("%s: no memory for tensor \"%s\""),
                   what, t->name);
      return FALSE;
    }
  for (gsize i = 0; i < t->numel; i++)
    {
      float v;
      if (s->dtype == 0)
        {
          guint32 bits;
          memcpy (&bits, p + 4 * i, 4); /* the data area need not be aligned */
          bits = GUINT32_FROM_LE (bits);
          memcpy (&v, &bits, sizeof v);
        }
      else
        {
          guint16 h;
          memcpy (&h, p + 2 * i, 2);
          h = GUINT16_FROM_LE (h);
          v = s->dtype == 1 ? tconv_half_to_float (h) : bf16_to_float (h);
        }
      if (!isfinite (v))
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                       "%s: tensor \"%s\" holds a NaN or infinite value at index %" G_GSIZE_FORMAT,
                       what, t->name, i);
          return FALSE;
        }
      t->data[i] = v;
    }
  return TRUE;
}

#define REFUSE(...) TCONV_FAIL (error, TCONV_ERROR_MODEL, FALSE, __VA_ARGS__)

/* The header's JSON object (*root), parsed into `parser`; *header_len is its length. */
static gboolean
header_object (const guint8 *bytes, gsize len, const char *what, JsonParser *parser,
               guint64 *header_len, JsonObject **root, GError **error)
{
  g_autoptr (GError) json_error = NULL;
  const char *header = (const char *) bytes + 8;

  if (len < 8)
    REFUSE ("%s: file is %" G_GSIZE_FORMAT " bytes long, too short for a safetensors header",
            what, len);
  memcpy (header_len, bytes, 8);
  *header_len = GUINT64_FROM_LE (*header_len);
  if (*header_len < 2 || *header_len > TCONV_SAFETENSORS_MAX_HEADER || *header_len > len - 8)
    REFUSE ("%s: header length %" G_GUINT64_FORMAT " is impossible for a file of %" G_GSIZE_FORMAT
            " bytes", what, *header_len, len);
  if (!g_utf8_validate (header, *header_len, NULL))
    REFUSE ("%s: header is not valid UTF-8 text", what);
  if (tconv_json_depth (header, *header_len) > TCONV_SAFETENSORS_MAX_DEPTH)
    REFUSE ("%s: header JSON is unbalanced or nested too deeply", what);
  if (!json_parser_load_from_data (parser, header, *header_len, &json_error))
    REFUSE ("%s: header is not valid JSON: %s", what, json_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    REFUSE ("%s: header is not a JSON object", what);
  *root = json_node_get_object (json_parser_get_root (parser));
  return TRUE;
}

/* __metadata__: an object of strings, copied into st->metadata. */
static gboolean
read_metadata (TconvSafetensors *st, JsonNode *node, const char *what, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    REFUSE ("%s: __metadata__ is not an object", what);
  JsonObject *meta = json_node_get_object (node);
  g_autoptr (GList) keys = json_object_get_members (meta);
  for (GList *k = keys; k; k = k->next)
    {
      JsonNode *v = json_object_get_member (meta, k->data);
      if (json_node_get_value_type (v) != G_TYPE_STRING)
        REFUSE ("%s: __metadata__ value \"%s\" is not a string", what, (char *) k->data);
      g_hash_table_insert (st->metadata, g_strdup (k->data), g_strdup (json_node_get_string (v)));
    }
  return TRUE;
}

/* Overlapping tensors would alias memory a crafted file could exploit; refuse them. */
static gboolean
check_overlaps (GArray *spans, const char *what, GError **error)
{
  g_array_sort (spans, span_cmp);
  for (guint i = 1; i < spans->len; i++)
    {
      Span *a = &g_array_index (spans, Span, i - 1), *b = &g_array_index (spans, Span, i);
      if (b->begin < a->end)
        REFUSE ("%s: tensors \"%s\" and \"%s\" overlap in the data area", what, a->t->name,
                b->t->name);
    }
  return TRUE;
}

/* Every member of the header: the metadata, or a tensor entry (its span, not yet read). */
static gboolean
read_entries (TconvSafetensors *st, JsonObject *root, guint64 data_len, GArray *spans,
              const char *what, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (root);
  for (GList *m = members; m; m = m->next)
    {
      const char *name = m->data;
      JsonNode   *node = json_object_get_member (root, name);
      if (g_str_equal (name, "__metadata__"))
        {
          if (!read_metadata (st, node, what, error))
            return FALSE;
          continue;
        }
      Span     span = { 0 };
      gboolean ok = parse_entry (what, name, node, data_len, &span, error);
      g_array_append_val (spans, span); /* freed by the caller, read or not */
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

TconvSafetensors *
tconv_safetensors_parse (const guint8 *bytes, gsize len, const char *what, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  GArray     *spans = g_array_new (FALSE, TRUE, sizeof (Span));
  guint64     header_len = 0;
  JsonObject *root = NULL;
  gboolean    ok = header_object (bytes, len, what, parser, &header_len, &root, error);
  TconvSafetensors *st = g_new0 (TconvSafetensors, 1);

  st->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, st_tensor_free);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ok = ok && read_entries (st, root, len - 8 - header_len, spans, what, error)
       && check_overlaps (spans, what, error);
  for (guint i = 0; ok && i < spans->len; i++)
    {
      Span *s = &g_array_index (spans, Span, i);
      ok = read_tensor (what, s, bytes + 8 + header_len, error);
      if (ok)
        {
          g_hash_table_insert (st->tensors, s->t->name, s->t);
          s->t = NULL; /* owned by the table now */
        }
    }
  for (guint i = 0; i < spans->len; i++)
    if (g_array_index (spans, Span, i).t)
      st_tensor_free (g_array_index (spans, Span, i).t);
  g_array_free (spans, TRUE);
  if (!ok)
    g_clear_pointer (&st, tconv_safetensors_free);
  return st;
}

GMappedFile *
tconv_safetensors_map (const char *path, GError **error)
{
  g_autofree char *base = g_path_get_basename (path);
  GError          *io_error = NULL;
  GMappedFile     *file = g_mapped_file_new (path, FALSE, &io_error);

  if (file == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("cannot read %s: %s"), path,
                   io_error->message);
      g_error_free (io_error);
      return NULL;
    }
  if (g_mapped_file_get_length (file) > TCONV_SAFETENSORS_MAX_FILE)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, _("%s: file is larger than %d MB"), base,
                   (int) (TCONV_SAFETENSORS_MAX_FILE >> 20));
      g_mapped_file_unref (file);
      return NULL;
    }
  return file;
}

TconvSafetensors *
tconv_safetensors_load (const char *path, GError **error)
{
  g_autoptr (GMappedFile) file = tconv_safetensors_map (path, error);
  g_autofree char *base = g_path_get_basename (path);

  if (file == NULL)
    return NULL;
  return tconv_safetensors_parse ((const guint8 *) g_mapped_file_get_contents (file),
                                  g_mapped_file_get_length (file), base, error);
}

gboolean
tconv_safetensors_save (const char *path, const char *const *names,
                        const TconvTensor *const *tensors, int n, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *header = NULL;
  guint64          offset = 0, header_len;

  json_builder_begin_object (b);
  for (int i = 0; i < n; i++)
    {
      const TconvTensor *t = tensors[i];
      guint64            bytes = tconv_tensor_numel (t) * sizeof (float);
      json_builder_set_member_name (b, names[i]);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, t->n);
      json_builder_add_int_value (b, t->c);
      json_builder_add_int_value (b, t->h);
      json_builder_add_int_value (b, t->w);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, offset);
      json_builder_add_int_value (b, offset + bytes);
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += bytes;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, NULL);
  header_len = GUINT64_TO_LE ((guint64) strlen (header));
  g_string_append_len (out, (const char *) &header_len, 8);
  g_string_append (out, header);
  for (int i = 0; i < n; i++)
    for (gsize j = 0; j < tconv_tensor_numel (tensors[i]); j++)
      {
        guint32 bits;
        memcpy (&bits, &tensors[i]->data[j], 4);
        bits = GUINT32_TO_LE (bits);
        g_string_append_len (out, (const char *) &bits, 4);
      }
  /* g_file_set_contents writes a temporary file and renames it: never half-written. */
  GError *io_error = NULL;
  if (!g_file_set_contents (path, out->str, out->len, &io_error))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("cannot write %s: %s"), path,
                   io_error->message);
      g_error_free (io_error);
      return FALSE;
    }
  return TRUE;
}
