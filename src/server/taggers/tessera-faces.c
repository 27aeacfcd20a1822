/* tessera-faces.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-faces"

#include "config.h"

#include <math.h>

#include "tessera-error.h"
#include "tessera-faces.h"
#include "tessera-taggers-private.h"

/* The rule, measured on the labelled photographs (docs/tagging.md): the
 * frontal-face cascade with more than 3 neighbours finds every face we have
 * but also fires on fur and foliage; a face is believed when an eye is found
 * inside its upper half or when many windows agree on it. */
#define FACE_MIN_NEIGHBOURS     3
#define FACE_MIN_SIDE           24
#define FACE_STRONG_NEIGHBOURS  12
#define EYE_MIN_NEIGHBOURS      2
#define SMILE_MIN_NEIGHBOURS    20
#define PORTRAIT_MIN_FRACTION   0.25   /* of the picture's shorter side */

struct _TesseraFaceDetector
{
  TesseraCascade *face;
  TesseraCascade *eye;
  TesseraCascade *smile;
};

void
tessera_face_detector_free (TesseraFaceDetector *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->face, tessera_cascade_unref);
  g_clear_pointer (&self->eye, tessera_cascade_unref);
  g_clear_pointer (&self->smile, tessera_cascade_unref);
  g_free (self);
}

static TesseraCascade *
load_cascade (const char  *dir,
              const char  *name,
              GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return tessera_cascade_new_from_file (path, error);
}

TesseraFaceDetector *
tessera_face_detector_new (const char  *cascade_dir,
                           GError     **error)
{
  g_autoptr(TesseraFaceDetector) self = g_new0 (TesseraFaceDetector, 1);

  if (cascade_dir == NULL)
    cascade_dir = HAARCASCADES_DIR;

  if (!(self->face = load_cascade (cascade_dir, "haarcascade_frontalface_alt2.xml", error))
      || !(self->eye = load_cascade (cascade_dir, "haarcascade_eye.xml", error))
      || !(self->smile = load_cascade (cascade_dir, "haarcascade_smile.xml", error)))
    return NULL;

  return g_steal_pointer (&self);
}

/* A view of part of @grey. */
static TesseraGrey
grey_region (const TesseraGrey *grey,
             int                x,
             int                y,
             int                width,
             int                height)
{
  TesseraGrey region;

  x = CLAMP (x, 0, grey->width - 1);
  y = CLAMP (y, 0, grey->height - 1);
  width = CLAMP (width, 1, grey->width - x);
  height = CLAMP (height, 1, grey->height - y);

  region.data = grey->data + (gsize) y * grey->stride + x;
  region.width = width;
  region.height = height;
  region.stride = grey->stride;

  return region;
}

static int
count_in_region (TesseraCascade    *cascade,
                 const TesseraGrey *region,
                 int                min_neighbours,
                 int                min_side,
                 int                max_side)
{
  TesseraDetectParams params = TESSERA_DETECT_PARAMS_INIT;
  g_autoptr(GArray) found = NULL;
  int win_w, win_h;

  tessera_cascade_get_window (cascade, &win_w, &win_h);
  if (region->width < win_w || region->height < win_h)
    return 0;

  params.min_neighbours = min_neighbours;
  params.min_width = params.min_height = min_side;
  params.max_width = params.max_height = max_side;
  found = tessera_cascade_detect (cascade, region, &params);

  return found ? (int) found->len : 0;
}

GArray *
tessera_face_detector_detect (TesseraFaceDetector *self,
                              const TesseraGrey   *grey)
{
  TesseraDetectParams params = TESSERA_DETECT_PARAMS_INIT;
  g_autoptr(GArray) candidates = NULL;
  GArray *faces;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (grey != NULL, NULL);

  faces = g_array_new (FALSE, FALSE, sizeof (TesseraFace));
  if (grey->width < FACE_MIN_SIDE || grey->height < FACE_MIN_SIDE)
    return faces;

  params.min_neighbours = FACE_MIN_NEIGHBOURS;
  params.min_width = params.min_height = FACE_MIN_SIDE;
  candidates = tessera_cascade_detect (self->face, grey, &params);

  for (guint i = 0; i < candidates->len; i++)
    {
      const TesseraDetection *d = &g_array_index (candidates, TesseraDetection, i);
      TesseraFace face = { d->x, d->y, d->width, d->height, d->neighbours, 0, FALSE };
      TesseraGrey upper = grey_region (grey, d->x, d->y, d->width, d->height * 6 / 10);
      TesseraGrey lower = grey_region (grey, d->x, d->y + d->height / 2, d->width, d->height / 2);

      face.n_eyes = count_in_region (self->eye, &upper, EYE_MIN_NEIGHBOURS,
                                     MAX (d->width / 8, 1), d->width / 2);
      if (face.n_eyes == 0 && face.neighbours < FACE_STRONG_NEIGHBOURS)
        {
          g_debug ("Face candidate %dx%d at %d,%d (%d neighbours) has no eye: dropped",
                   d->width, d->height, d->x, d->y, d->neighbours);
          continue;
        }
      face.smile = count_in_region (self->smile, &lower, SMILE_MIN_NEIGHBOURS,
                                    MAX (d->width / 4, 1), d->width) > 0;
      g_array_append_val (faces, face);
    }

  return faces;
}

guint8 *
tessera_grey_from_vips (VipsImage    *image,
                        int           max_side,
                        TesseraGrey  *grey,
                        GError      **error)
{
  g_autoptr(TesseraVipsImage) flat = NULL;
  g_autoptr(TesseraVipsImage) small = NULL;
  g_autoptr(TesseraVipsImage) mono = NULL;
  g_autoptr(TesseraVipsImage) bytes = NULL;
  VipsImage *current = image;
  int longest;
  double scale;
  guint8 *data;
  size_t size = 0;

  g_return_val_if_fail (VIPS_IS_IMAGE (image), NULL);
  g_return_val_if_fail (grey != NULL, NULL);

  if (vips_image_hasalpha (current))
    {
      if (vips_flatten (current, &flat, NULL) != 0)
        goto vips_fail;
      current = flat;
    }

  longest = MAX (vips_image_get_width (current), vips_image_get_height (current));
  scale = longest > max_side ? (double) max_side / longest : 1.0;
  if (scale < 1.0)
    {
      if (vips_resize (current, &small, scale, NULL) != 0)
        goto vips_fail;
      current = small;
    }

  /* OpenCV's weights (BT.601), so the cascades see what they were trained on. */
  if (vips_image_get_bands (current) >= 3)
    {
      double weights[] = { 0.299, 0.587, 0.114 };
      g_autoptr(TesseraVipsImage) rgb = NULL;
      g_autoptr(TesseraVipsImage) matrix = vips_image_new_matrix_from_array (3, 1, weights, 3);

      if (vips_extract_band (current, &rgb, 0, "n", 3, NULL) != 0
          || vips_recomb (rgb, &mono, matrix, NULL) != 0)
        goto vips_fail;
    }
  else if (vips_extract_band (current, &mono, 0, NULL) != 0)
    goto vips_fail;

  {
    g_autoptr(TesseraVipsImage) scaled = NULL;
    double k = vips_image_get_format (mono) == VIPS_FORMAT_USHORT ? 1.0 / 257.0 : 1.0;

    /* Round to nearest, as OpenCV's fixed-point conversion does. */
    if (vips_linear1 (mono, &scaled, k, 0.5, NULL) != 0
        || vips_cast_uchar (scaled, &bytes, NULL) != 0)
      goto vips_fail;
  }

  data = vips_image_write_to_memory (bytes, &size);
  if (data == NULL)
    goto vips_fail;

  grey->data = data;
  grey->width = vips_image_get_width (bytes);
  grey->height = vips_image_get_height (bytes);
  grey->stride = grey->width;
  g_assert (size == (size_t) grey->width * grey->height);

  return data;

vips_fail:
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE,
               "Cannot make a grey image: %s", vips_error_buffer ());
  vips_error_clear ();
  return NULL;
}

gboolean
tessera_face_detector_tag (TesseraFaceDetector  *self,
                           VipsImage            *image,
                           TesseraImageRecord   *record,
                           GError              **error)
{
  g_autofree guint8 *data = NULL;
  g_autoptr(GArray) faces = NULL;
  TesseraGrey grey;
  double best = 0, best_smile = 0;
  int shorter;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (VIPS_IS_IMAGE (image), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!(data = tessera_grey_from_vips (image, TESSERA_FACES_MAX_SIDE, &grey, error)))
    return FALSE;

  faces = tessera_face_detector_detect (self, &grey);
  if (faces->len == 0)
    return TRUE;

  /* Confidence follows the evidence: eyes confirm a face more than many
   * agreeing windows do. */
  for (guint i = 0; i < faces->len; i++)
    {
      const TesseraFace *f = &g_array_index (faces, TesseraFace, i);
      double c;

      if (f->n_eyes >= 2)
        c = 0.95;
      else if (f->n_eyes == 1)
        c = 0.85;
      else
        c = MIN (0.8, 0.5 + 0.02 * f->neighbours);
      best = MAX (best, c);
      if (f->smile)
        best_smile = MAX (best_smile, c * 0.8);
    }

  tessera_image_record_add_label (record, "face", best, TESSERA_FACES_SOURCE);
  tessera_image_record_add_label (record, "person", best, TESSERA_FACES_SOURCE);
  if (faces->len >= 3)
    tessera_image_record_add_label (record, "people", best, TESSERA_FACES_SOURCE);
  if (best_smile > 0)
    tessera_image_record_add_label (record, "smile", best_smile, TESSERA_FACES_SOURCE);

  shorter = MIN (grey.width, grey.height);
  if (faces->len == 1
      && g_array_index (faces, TesseraFace, 0).width >= PORTRAIT_MIN_FRACTION * shorter)
    tessera_image_record_add_label (record, "portrait", best, TESSERA_FACES_SOURCE);

  return TRUE;
}
