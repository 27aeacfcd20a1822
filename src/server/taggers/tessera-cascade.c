/* tessera-cascade.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The evaluator follows OpenCV 4's cv::CascadeClassifier for Haar cascades
 * in the "new" XML format, so the same cascade finds the same boxes:
 *
 *  - scales 1, f, f^2 ... while the window fits; the image is resized by
 *    1/scale and the window keeps its trained size (OpenCV 4 scales the
 *    image, not the features);
 *  - windows step by 2 pixels below scale 2 and by 1 above, and a window
 *    rejected by the very first stage skips the next position;
 *  - variance normalisation over the window shrunk by one pixel, rejecting
 *    flat windows (area / sqrt(area * sqsum - sum^2) >= 0.1);
 *  - stage thresholds lowered by 1e-5 as OpenCV reads them;
 *  - groupRectangles with eps 0.2.
 */

#define G_LOG_DOMAIN "tessera-cascade"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tessera-cascade.h"
#include "tessera-error.h"

#define MAX_RECTS 3
#define STAGE_THRESHOLD_EPS 1e-5f

typedef struct
{
  int   x, y, width, height;
  float weight;
} CascadeRect;

typedef struct
{
  CascadeRect rects[MAX_RECTS];
  int         n_rects;
  gboolean    tilted;
} CascadeFeature;

typedef struct
{
  int   left;       /* > 0: a node of the same tree; <= 0: leaf -left */
  int   right;
  int   feature;
  float threshold;
} CascadeNode;

typedef struct
{
  guint node_ofs;
  guint n_nodes;
  guint leaf_ofs;
} CascadeTree;

typedef struct
{
  guint tree_ofs;
  guint n_trees;
  float threshold;
} CascadeStage;

struct _TesseraCascade
{
  int     width;
  int     height;
  GArray *features;   /* CascadeFeature */
  GArray *nodes;      /* CascadeNode */
  GArray *leaves;     /* float */
  GArray *trees;      /* CascadeTree */
  GArray *stages;     /* CascadeStage */
  guint   has_tilted : 1;
};

static void
cascade_free (TesseraCascade *self)
{
  g_clear_pointer (&self->features, g_array_unref);
  g_clear_pointer (&self->nodes, g_array_unref);
  g_clear_pointer (&self->leaves, g_array_unref);
  g_clear_pointer (&self->trees, g_array_unref);
  g_clear_pointer (&self->stages, g_array_unref);
}

TesseraCascade *
tessera_cascade_ref (TesseraCascade *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
tessera_cascade_unref (TesseraCascade *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) cascade_free);
}

/* Parsing */

typedef struct
{
  TesseraCascade *cascade;
  GPtrArray      *stack;        /* element names, outermost first */
  GString        *text;
  gboolean        seen_cascade;
  gboolean        is_haar;
  gboolean        has_feature_type;
} ParseState;

static const char *
ancestor (ParseState *state,
          guint       up)
{
  if (up >= state->stack->len)
    return NULL;

  return g_ptr_array_index (state->stack, state->stack->len - 1 - up);
}

static gboolean
path_ends_with (ParseState *state,
                guint       n,
                ...)
{
  va_list args;
  gboolean ret = TRUE;

  if (state->stack->len < n)
    return FALSE;

  va_start (args, n);
  for (guint i = 0; i < n; i++)
    {
      const char *name = va_arg (args, const char *);

      if (g_strcmp0 (ancestor (state, n - 1 - i), name) != 0)
        {
          ret = FALSE;
          break;
        }
    }
  va_end (args);

  return ret;
}

static gboolean
parse_numbers (const char  *text,
               double      *out,
               guint        max,
               guint       *n_out,
               GError     **error)
{
  const char *p = text;
  guint n = 0;

  for (;;)
    {
      char *end;
      double value;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;

      value = g_ascii_strtod (p, &end);
      if (end == p || !isfinite (value))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: “%.20s” is not a number", p);
          return FALSE;
        }
      if (n == max)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: more than %u numbers where %u were expected", max, max);
          return FALSE;
        }
      out[n++] = value;
      p = end;
    }

  *n_out = n;
  return TRUE;
}

static void
on_start_element (GMarkupParseContext  *context,
                  const char           *element_name,
                  const char          **attribute_names,
                  const char          **attribute_values,
                  gpointer              user_data,
                  GError              **error)
{
  ParseState *state = user_data;
  TesseraCascade *self = state->cascade;

  g_ptr_array_add (state->stack, g_strdup (element_name));
  g_string_truncate (state->text, 0);

  if (g_str_equal (element_name, "cascade"))
    state->seen_cascade = TRUE;

  if (!g_str_equal (element_name, "_"))
    return;

  if (path_ends_with (state, 3, "cascade", "stages", "_"))
    {
      CascadeStage stage = { self->trees->len, 0, 0.f };

      g_array_append_val (self->stages, stage);
    }
  else if (path_ends_with (state, 4, "stages", "_", "weakClassifiers", "_"))
    {
      CascadeTree tree = { self->nodes->len, 0, self->leaves->len };

      if (self->stages->len == 0)
        return;
      g_array_append_val (self->trees, tree);
      g_array_index (self->stages, CascadeStage, self->stages->len - 1).n_trees++;
    }
  else if (path_ends_with (state, 3, "cascade", "features", "_"))
    {
      CascadeFeature feature = { 0 };

      g_array_append_val (self->features, feature);
    }
}

static void
on_end_element (GMarkupParseContext  *context,
                const char           *element_name,
                gpointer              user_data,
                GError              **error)
{
  ParseState *state = user_data;
  TesseraCascade *self = state->cascade;
  const char *text = state->text->str;
  double values[64];
  guint n = 0;

  if (path_ends_with (state, 2, "cascade", "featureType"))
    {
      state->has_feature_type = TRUE;
      state->is_haar = g_str_equal (g_strstrip (state->text->str), "HAAR");
    }
  else if (path_ends_with (state, 2, "cascade", "width")
           || path_ends_with (state, 2, "cascade", "height"))
    {
      if (!parse_numbers (text, values, 1, &n, error))
        goto out;
      if (n != 1 || values[0] < 1 || values[0] > 1024)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: bad window %s", element_name);
          goto out;
        }
      if (g_str_equal (element_name, "width"))
        self->width = (int) values[0];
      else
        self->height = (int) values[0];
    }
  else if (path_ends_with (state, 3, "stages", "_", "stageThreshold"))
    {
      if (!parse_numbers (text, values, 1, &n, error))
        goto out;
      if (n != 1 || self->stages->len == 0)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: bad stage threshold");
          goto out;
        }
      g_array_index (self->stages, CascadeStage, self->stages->len - 1).threshold =
        (float) values[0] - STAGE_THRESHOLD_EPS;
    }
  else if (path_ends_with (state, 3, "weakClassifiers", "_", "internalNodes"))
    {
      CascadeTree *tree;

      if (!parse_numbers (text, values, G_N_ELEMENTS (values), &n, error))
        goto out;
      if (n == 0 || n % 4 != 0 || self->trees->len == 0)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: internal nodes come in fours (categorical features are not supported)");
          goto out;
        }
      tree = &g_array_index (self->trees, CascadeTree, self->trees->len - 1);
      for (guint i = 0; i < n; i += 4)
        {
          CascadeNode node = {
            (int) values[i], (int) values[i + 1], (int) values[i + 2], (float) values[i + 3]
          };

          g_array_append_val (self->nodes, node);
          tree->n_nodes++;
        }
    }
  else if (path_ends_with (state, 3, "weakClassifiers", "_", "leafValues"))
    {
      if (!parse_numbers (text, values, G_N_ELEMENTS (values), &n, error))
        goto out;
      for (guint i = 0; i < n; i++)
        {
          float leaf = (float) values[i];

          g_array_append_val (self->leaves, leaf);
        }
    }
  else if (path_ends_with (state, 4, "features", "_", "rects", "_"))
    {
      CascadeFeature *feature;
      CascadeRect *rect;

      if (!parse_numbers (text, values, 5, &n, error))
        goto out;
      if (n != 5 || self->features->len == 0)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: a rectangle is “x y width height weight”");
          goto out;
        }
      feature = &g_array_index (self->features, CascadeFeature, self->features->len - 1);
      if (feature->n_rects == MAX_RECTS)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: more than %d rectangles in a feature", MAX_RECTS);
          goto out;
        }
      rect = &feature->rects[feature->n_rects++];
      rect->x = (int) values[0];
      rect->y = (int) values[1];
      rect->width = (int) values[2];
      rect->height = (int) values[3];
      rect->weight = (float) values[4];
    }
  else if (path_ends_with (state, 3, "features", "_", "tilted"))
    {
      if (!parse_numbers (text, values, 1, &n, error))
        goto out;
      if (n == 1 && values[0] != 0 && self->features->len > 0)
        {
          g_array_index (self->features, CascadeFeature, self->features->len - 1).tilted = TRUE;
          self->has_tilted = TRUE;
        }
    }

out:
  g_ptr_array_set_size (state->stack, state->stack->len - 1);
  g_string_truncate (state->text, 0);
}

static void
on_text (GMarkupParseContext  *context,
         const char           *text,
         gsize                 text_len,
         gpointer              user_data,
         GError              **error)
{
  ParseState *state = user_data;

  /* Only leaf elements carry numbers; bound what we keep. */
  if (state->text->len + text_len > 64 * 1024)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cascade: element text too long");
      return;
    }
  g_string_append_len (state->text, text, text_len);
}

static gboolean
rect_inside_window (const TesseraCascade *self,
                    const CascadeRect    *r,
                    gboolean              tilted)
{
  if (r->width < 0 || r->height < 0 || r->x < 0 || r->y < 0)
    return FALSE;

  if (!tilted)
    return r->x + r->width <= self->width && r->y + r->height <= self->height;

  /* A tilted rectangle runs down-right by width and down-left by height. */
  return r->x - r->height >= 0
         && r->x + r->width <= self->width
         && r->y + r->width + r->height <= self->height;
}

static gboolean
cascade_validate (TesseraCascade  *self,
                  GError         **error)
{
  if (self->width <= 0 || self->height <= 0 || self->stages->len == 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cascade: no window size or no stages");
      return FALSE;
    }

  for (guint i = 0; i < self->features->len; i++)
    {
      const CascadeFeature *f = &g_array_index (self->features, CascadeFeature, i);

      if (f->n_rects < 1)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: feature %u has no rectangle", i);
          return FALSE;
        }
      for (int r = 0; r < f->n_rects; r++)
        {
          if (!rect_inside_window (self, &f->rects[r], f->tilted))
            {
              g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Cascade: feature %u leaves the %dx%d window", i,
                           self->width, self->height);
              return FALSE;
            }
        }
    }

  for (guint i = 0; i < self->trees->len; i++)
    {
      const CascadeTree *t = &g_array_index (self->trees, CascadeTree, i);
      guint next_leaf = (i + 1 < self->trees->len)
        ? g_array_index (self->trees, CascadeTree, i + 1).leaf_ofs
        : self->leaves->len;

      if (t->n_nodes == 0 || next_leaf - t->leaf_ofs != t->n_nodes + 1)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: weak classifier %u needs one more leaf than nodes", i);
          return FALSE;
        }
      for (guint k = 0; k < t->n_nodes; k++)
        {
          const CascadeNode *node = &g_array_index (self->nodes, CascadeNode, t->node_ofs + k);
          int children[2] = { node->left, node->right };

          if (node->feature < 0 || (guint) node->feature >= self->features->len)
            {
              g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Cascade: feature index %d out of range", node->feature);
              return FALSE;
            }
          for (guint c = 0; c < 2; c++)
            {
              /* A child node must come later, so evaluation always ends. */
              if ((children[c] > 0 && ((guint) children[c] >= t->n_nodes || (guint) children[c] <= k))
                  || (children[c] <= 0 && (guint) -children[c] > t->n_nodes))
                {
                  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                               "Cascade: weak classifier %u has a bad child index", i);
                  return FALSE;
                }
            }
        }
    }

  for (guint i = 0; i < self->stages->len; i++)
    {
      if (g_array_index (self->stages, CascadeStage, i).n_trees == 0)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cascade: stage %u is empty", i);
          return FALSE;
        }
    }

  return TRUE;
}

TesseraCascade *
tessera_cascade_new_from_data (const char  *xml,
                               gssize       length,
                               GError     **error)
{
  static const GMarkupParser parser = { on_start_element, on_end_element, on_text, NULL, NULL };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) text = g_string_new (NULL);
  TesseraCascade *self;
  ParseState state = { 0 };

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_atomic_rc_box_new0 (TesseraCascade);
  self->features = g_array_new (FALSE, TRUE, sizeof (CascadeFeature));
  self->nodes = g_array_new (FALSE, TRUE, sizeof (CascadeNode));
  self->leaves = g_array_new (FALSE, TRUE, sizeof (float));
  self->trees = g_array_new (FALSE, TRUE, sizeof (CascadeTree));
  self->stages = g_array_new (FALSE, TRUE, sizeof (CascadeStage));

  state.cascade = self;
  state.stack = stack;
  state.text = text;

  context = g_markup_parse_context_new (&parser, 0, &state, NULL);
  if (!g_markup_parse_context_parse (context, xml, length, error)
      || !g_markup_parse_context_end_parse (context, error))
    goto fail;

  if (!state.seen_cascade)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cascade: no <cascade> element (only OpenCV's new format is read)");
      goto fail;
    }
  if (state.has_feature_type && !state.is_haar)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cascade: only Haar features are supported");
      goto fail;
    }
  if (!cascade_validate (self, error))
    goto fail;

  return self;

fail:
  tessera_cascade_unref (self);
  return NULL;
}

TesseraCascade *
tessera_cascade_new_from_file (const char  *path,
                               GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  TesseraCascade *self;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  self = tessera_cascade_new_from_data (contents, length, error);
  if (self == NULL)
    g_prefix_error (error, "%s: ", path);

  return self;
}

void
tessera_cascade_get_window (TesseraCascade *self,
                            int            *width,
                            int            *height)
{
  g_return_if_fail (self != NULL);

  if (width)
    *width = self->width;
  if (height)
    *height = self->height;
}

guint
tessera_cascade_get_n_stages (TesseraCascade *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->stages->len;
}

gboolean
tessera_cascade_has_tilted (TesseraCascade *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->has_tilted;
}

/* Images */

void
tessera_integral_compute (const TesseraGrey *grey,
                          gint32            *sum,
                          guint32           *sqsum,
                          gint32            *tilted)
{
  int w, h, s;

  g_return_if_fail (grey != NULL && sum != NULL && sqsum != NULL);
  g_return_if_fail ((gint64) grey->width * grey->height <= TESSERA_CASCADE_MAX_PIXELS);

  w = grey->width;
  h = grey->height;
  s = w + 1;

  memset (sum, 0, sizeof *sum * s);
  memset (sqsum, 0, sizeof *sqsum * s);
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = grey->data + (gsize) y * grey->stride;
      gint32 rs = 0;
      guint32 rsq = 0;

      sum[(y + 1) * s] = 0;
      sqsum[(y + 1) * s] = 0;
      for (int x = 0; x < w; x++)
        {
          rs += row[x];
          rsq += (guint32) row[x] * row[x];
          sum[(y + 1) * s + x + 1] = sum[y * s + x + 1] + rs;
          sqsum[(y + 1) * s + x + 1] = sqsum[y * s + x + 1] + rsq;
        }
    }

  if (tilted == NULL)
    return;

  /* T(X, Y) sums the pixels (x, y) with y < Y and |x - X + 1| <= Y - y - 1:
   * an upward triangle whose apex is pixel (X - 1, Y - 1). Then
   * T(X, Y) = T(X-1, Y-1) + T(X+1, Y-1) - T(X, Y-2) + I(X-1, Y-1) + I(X-1, Y-2),
   * and just outside the image's columns T(-1, Y-1) = T(0, Y-2) and
   * T(W+1, Y-1) = T(W, Y-2) (the triangles lose their outer edge). */
#define T(X, Y) tilted[(Y) * s + (X)]
#define I(X, Y) (((X) < 0 || (X) >= w) ? 0 : (gint32) grey->data[(gsize) (Y) * grey->stride + (X)])
  memset (tilted, 0, sizeof *tilted * s);
  for (int Y = 1; Y <= h; Y++)
    {
      for (int X = 0; X <= w; X++)
        {
          gint32 tl, tr, tm, v;

          tl = X >= 1 ? T (X - 1, Y - 1) : (Y >= 2 ? T (0, Y - 2) : 0);
          tr = X + 1 <= w ? T (X + 1, Y - 1) : (Y >= 2 ? T (w, Y - 2) : 0);
          tm = Y >= 2 ? T (X, Y - 2) : 0;
          v = tl + tr - tm + I (X - 1, Y - 1);
          if (Y >= 2)
            v += I (X - 1, Y - 2);
          T (X, Y) = v;
        }
    }
#undef T
#undef I
}

void
tessera_grey_resize (const TesseraGrey *src,
                     guint8            *dst,
                     int                dst_width,
                     int                dst_height)
{
  g_autofree int *xofs = NULL;
  g_autofree int *xalpha = NULL;
  g_autofree gint32 *row0 = NULL;
  g_autofree gint32 *row1 = NULL;
  double scale_x, scale_y;

  g_return_if_fail (src != NULL && dst != NULL);
  g_return_if_fail (dst_width > 0 && dst_height > 0);

  /* Like cv::resize given a size: each axis scales by its own ratio. */
  scale_x = (double) src->width / dst_width;
  scale_y = (double) src->height / dst_height;

  if (dst_width == src->width && dst_height == src->height)
    {
      for (int y = 0; y < dst_height; y++)
        memcpy (dst + (gsize) y * dst_width, src->data + (gsize) y * src->stride, dst_width);
      return;
    }

  xofs = g_new (int, dst_width);
  xalpha = g_new (int, dst_width);
  row0 = g_new (gint32, dst_width);
  row1 = g_new (gint32, dst_width);

  for (int x = 0; x < dst_width; x++)
    {
      double fx = (x + 0.5) * scale_x - 0.5;
      int sx = (int) floor (fx);
      double a = fx - sx;

      if (sx < 0)
        sx = 0, a = 0;
      if (sx >= src->width - 1)
        sx = src->width - 1, a = 0;
      xofs[x] = sx;
      xalpha[x] = (int) lround (a * 256);
    }

  for (int y = 0; y < dst_height; y++)
    {
      double fy = (y + 0.5) * scale_y - 0.5;
      int sy = (int) floor (fy);
      double b = fy - sy;
      int beta;
      const guint8 *r0, *r1;

      if (sy < 0)
        sy = 0, b = 0;
      if (sy >= src->height - 1)
        sy = src->height - 1, b = 0;
      beta = (int) lround (b * 256);
      r0 = src->data + (gsize) sy * src->stride;
      r1 = beta ? r0 + src->stride : r0;

      for (int x = 0; x < dst_width; x++)
        {
          int sx = xofs[x], a = xalpha[x];

          row0[x] = r0[sx] * (256 - a) + (a ? r0[sx + 1] * a : 0);
          row1[x] = r1[sx] * (256 - a) + (a ? r1[sx + 1] * a : 0);
        }
      for (int x = 0; x < dst_width; x++)
        {
          gint32 v = row0[x] * (256 - beta) + row1[x] * beta;

          dst[(gsize) y * dst_width + x] = (guint8) CLAMP ((v + (1 << 15)) >> 16, 0, 255);
        }
    }
}

/* Evaluation */

/* A node with its feature's rectangles resolved to offsets in this
 * scale's integral images: one load per node in the inner loop instead of
 * a node, then a feature (about a third of the scan's time went there).
 * The arithmetic is unchanged, so results stay bit-exact with OpenCV. */
typedef struct
{
  int   ofs[MAX_RECTS][4];
  float weight[MAX_RECTS];
  float threshold;
  int   left;
  int   right;
  int   tilted;
} OptNode;

typedef struct
{
  const TesseraCascade *cascade;
  const OptNode        *nodes;
  const gint32         *sum;
  const guint32        *sqsum;
  const gint32         *tilted;
  int                   norm_ofs[4];
  double                norm_area;
} Evaluator;

static void
rect_offsets (const CascadeRect *r,
              gboolean           tilted,
              int                stride,
              int                ofs[4])
{
  if (!tilted)
    {
      ofs[0] = r->x + stride * r->y;
      ofs[1] = r->x + r->width + stride * r->y;
      ofs[2] = r->x + stride * (r->y + r->height);
      ofs[3] = r->x + r->width + stride * (r->y + r->height);
    }
  else
    {
      ofs[0] = r->x + stride * r->y;
      ofs[1] = r->x - r->height + stride * (r->y + r->height);
      ofs[2] = r->x + r->width + stride * (r->y + r->width);
      ofs[3] = r->x + r->width - r->height + stride * (r->y + r->width + r->height);
    }
}

#define CALC_SUM(ofs, p) ((p)[(ofs)[0]] - (p)[(ofs)[1]] - (p)[(ofs)[2]] + (p)[(ofs)[3]])

static inline float
node_value (const Evaluator *ev,
            const OptNode   *f,
            int              pos,
            float            norm)
{
  const gint32 *p = (f->tilted ? ev->tilted : ev->sum) + pos;
  float ret;

  ret = f->weight[0] * (float) CALC_SUM (f->ofs[0], p)
        + f->weight[1] * (float) CALC_SUM (f->ofs[1], p);
  if (f->weight[2] != 0.0f)
    ret += f->weight[2] * (float) CALC_SUM (f->ofs[2], p);

  return ret * norm;
}

/* Returns 1 when every stage accepts the window, -stage when a stage
 * rejects it (0 for the first), -1 when the window is too flat to try. */
static int
run_at (const Evaluator *ev,
        int              pos)
{
  const TesseraCascade *c = ev->cascade;
  const CascadeStage *stages = (const CascadeStage *) (gpointer) c->stages->data;
  const CascadeTree *trees = (const CascadeTree *) (gpointer) c->trees->data;
  const OptNode *nodes = ev->nodes;
  const float *leaves = (const float *) (gpointer) c->leaves->data;
  gint32 valsum = CALC_SUM (ev->norm_ofs, ev->sum + pos);
  guint32 valsqsum = CALC_SUM (ev->norm_ofs, ev->sqsum + pos);
  double nf = ev->norm_area * valsqsum - (double) valsum * valsum;
  float norm;

  if (nf <= 0.)
    return -1;
  norm = (float) (1. / sqrt (nf));
  if (!(ev->norm_area * norm < 1e-1))
    return -1;

  for (guint si = 0; si < c->stages->len; si++)
    {
      const CascadeStage *stage = &stages[si];
      float acc = 0.f;

      for (guint ti = stage->tree_ofs; ti < stage->tree_ofs + stage->n_trees; ti++)
        {
          const CascadeTree *tree = &trees[ti];
          int idx = 0;

          do
            {
              const OptNode *node = &nodes[tree->node_ofs + idx];
              float value = node_value (ev, node, pos, norm);

              idx = value < node->threshold ? node->left : node->right;
            }
          while (idx > 0);
          acc += leaves[tree->leaf_ofs - idx];
        }

      if (acc < stage->threshold)
        return -(int) si;
    }

  return 1;
}

GArray *
tessera_cascade_detect_raw (TesseraCascade            *self,
                            const TesseraGrey         *grey,
                            const TesseraDetectParams *params)
{
  TesseraDetectParams defaults = TESSERA_DETECT_PARAMS_INIT;
  g_autoptr(GArray) found = NULL;
  g_autoptr(GArray) scales = NULL;
  g_autofree guint8 *resized = NULL;
  g_autofree gint32 *sum = NULL;
  g_autofree guint32 *sqsum = NULL;
  g_autofree gint32 *tilted = NULL;
  g_autofree OptNode *opt = NULL;
  gsize buf_size;
  int max_w, max_h;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (grey != NULL && grey->data != NULL, NULL);
  g_return_val_if_fail (grey->width > 0 && grey->height > 0 && grey->stride >= grey->width, NULL);
  g_return_val_if_fail ((gint64) grey->width * grey->height <= TESSERA_CASCADE_MAX_PIXELS, NULL);

  if (params == NULL)
    params = &defaults;
  g_return_val_if_fail (params->scale_factor > 1.0, NULL);

  found = g_array_new (FALSE, FALSE, sizeof (TesseraDetection));
  scales = g_array_new (FALSE, FALSE, sizeof (float));

  max_w = params->max_width > 0 ? params->max_width : grey->width;
  max_h = params->max_height > 0 ? params->max_height : grey->height;
  for (double factor = 1; ; factor *= params->scale_factor)
    {
      int ww = (int) lround (self->width * factor);
      int wh = (int) lround (self->height * factor);
      float f = (float) factor;

      if (ww > max_w || wh > max_h)
        break;
      if (ww < params->min_width || wh < params->min_height)
        continue;
      g_array_append_val (scales, f);
    }

  buf_size = (gsize) (grey->width + 1) * (grey->height + 1);
  resized = g_malloc ((gsize) grey->width * grey->height);
  sum = g_new (gint32, buf_size);
  sqsum = g_new (guint32, buf_size);
  if (self->has_tilted)
    tilted = g_new (gint32, buf_size);
  opt = g_new0 (OptNode, MAX (self->nodes->len, 1));

  for (guint si = 0; si < scales->len; si++)
    {
      float scale = g_array_index (scales, float, si);
      int sw = (int) lround (grey->width / scale);
      int sh = (int) lround (grey->height / scale);
      int stride = sw + 1;
      int ystep = scale >= 2 ? 1 : 2;
      int work_w = sw + 1 - self->width;
      int work_h = sh + 1 - self->height;
      int win_w = (int) lround (self->width * scale);
      int win_h = (int) lround (self->height * scale);
      TesseraGrey level = { resized, sw, sh, sw };
      CascadeRect normrect = { 1, 1, self->width - 2, self->height - 2, 0.f };
      Evaluator ev;

      if (sw < self->width || sh < self->height || sw > grey->width || sh > grey->height)
        continue;

      tessera_grey_resize (grey, resized, sw, sh);
      tessera_integral_compute (&level, sum, sqsum, tilted);

      for (guint ni = 0; ni < self->nodes->len; ni++)
        {
          const CascadeNode *n = &g_array_index (self->nodes, CascadeNode, ni);
          const CascadeFeature *f = &g_array_index (self->features, CascadeFeature, n->feature);

          memset (&opt[ni], 0, sizeof opt[ni]);
          opt[ni].tilted = f->tilted;
          opt[ni].threshold = n->threshold;
          opt[ni].left = n->left;
          opt[ni].right = n->right;
          for (int r = 0; r < f->n_rects; r++)
            {
              rect_offsets (&f->rects[r], f->tilted, stride, opt[ni].ofs[r]);
              opt[ni].weight[r] = f->rects[r].weight;
            }
        }

      ev.cascade = self;
      ev.nodes = opt;
      ev.sum = sum;
      ev.sqsum = sqsum;
      ev.tilted = tilted;
      rect_offsets (&normrect, FALSE, stride, ev.norm_ofs);
      ev.norm_area = (double) normrect.width * normrect.height;

      for (int y = 0; y < work_h; y += ystep)
        {
          for (int x = 0; x < work_w; x += ystep)
            {
              int result = run_at (&ev, y * stride + x);

              if (result > 0)
                {
                  TesseraDetection d = {
                    (int) lround (x * scale), (int) lround (y * scale), win_w, win_h, 1
                  };

                  g_array_append_val (found, d);
                }
              if (result == 0)
                x += ystep;
            }
        }
    }

  return g_steal_pointer (&found);
}

GArray *
tessera_cascade_detect (TesseraCascade            *self,
                        const TesseraGrey         *grey,
                        const TesseraDetectParams *params)
{
  GArray *found;
  int min_neighbours = params ? params->min_neighbours : 3;

  found = tessera_cascade_detect_raw (self, grey, params);
  if (found != NULL)
    tessera_group_rectangles (found, min_neighbours, 0.2);

  return found;
}

/* Grouping */

static gboolean
similar_rects (const TesseraDetection *a,
               const TesseraDetection *b,
               double                  eps)
{
  double delta = eps * (MIN (a->width, b->width) + MIN (a->height, b->height)) * 0.5;

  return abs (a->x - b->x) <= delta
         && abs (a->y - b->y) <= delta
         && abs (a->x + a->width - b->x - b->width) <= delta
         && abs (a->y + a->height - b->y - b->height) <= delta;
}

static guint
find_root (guint *parent,
           guint  i)
{
  while (parent[i] != i)
    {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }

  return i;
}

void
tessera_group_rectangles (GArray *detections,
                          int     group_threshold,
                          double  eps)
{
  g_autofree guint *parent = NULL;
  g_autofree int *label = NULL;
  g_autofree double *acc = NULL;
  g_autofree int *weight = NULL;
  g_autofree TesseraDetection *avg = NULL;
  guint n, n_classes = 0;
  TesseraDetection *d;

  g_return_if_fail (detections != NULL);

  n = detections->len;
  if (group_threshold <= 0 || n == 0)
    return;

  d = (TesseraDetection *) (gpointer) detections->data;
  parent = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    parent[i] = i;
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      if (similar_rects (&d[i], &d[j], eps))
        {
          guint ri = find_root (parent, i), rj = find_root (parent, j);

          if (ri != rj)
            parent[MAX (ri, rj)] = MIN (ri, rj);
        }

  label = g_new (int, n);
  for (guint i = 0; i < n; i++)
    label[i] = -1;
  for (guint i = 0; i < n; i++)
    {
      guint r = find_root (parent, i);

      if (label[r] < 0)
        label[r] = n_classes++;
      label[i] = label[r];
    }

  acc = g_new0 (double, n_classes * 4);
  weight = g_new0 (int, n_classes);
  avg = g_new0 (TesseraDetection, n_classes);
  for (guint i = 0; i < n; i++)
    {
      int c = label[i];

      acc[c * 4 + 0] += d[i].x;
      acc[c * 4 + 1] += d[i].y;
      acc[c * 4 + 2] += d[i].width;
      acc[c * 4 + 3] += d[i].height;
      weight[c]++;
    }
  for (guint c = 0; c < n_classes; c++)
    {
      /* OpenCV multiplies by a float reciprocal and rounds. */
      float s = 1.f / weight[c];

      avg[c].x = (int) lrintf ((float) acc[c * 4 + 0] * s);
      avg[c].y = (int) lrintf ((float) acc[c * 4 + 1] * s);
      avg[c].width = (int) lrintf ((float) acc[c * 4 + 2] * s);
      avg[c].height = (int) lrintf ((float) acc[c * 4 + 3] * s);
      avg[c].neighbours = weight[c];
    }

  g_array_set_size (detections, 0);
  for (guint i = 0; i < n_classes; i++)
    {
      const TesseraDetection *r1 = &avg[i];
      int n1 = weight[i];
      guint j;

      if (n1 <= group_threshold)
        continue;

      /* Drop a box inside a bigger one that more windows agree on. */
      for (j = 0; j < n_classes; j++)
        {
          const TesseraDetection *r2 = &avg[j];
          int n2 = weight[j];
          int dx, dy;

          if (j == i || n2 <= group_threshold)
            continue;
          dx = (int) lrint (r2->width * eps);
          dy = (int) lrint (r2->height * eps);
          if (r1->x >= r2->x - dx
              && r1->y >= r2->y - dy
              && r1->x + r1->width <= r2->x + r2->width + dx
              && r1->y + r1->height <= r2->y + r2->height + dy
              && (n2 > MAX (3, n1) || n1 < 3))
            break;
        }
      if (j == n_classes)
        g_array_append_val (detections, *r1);
    }
}
