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
 * frontal-face cascade with more than 3 neighbours finds the faces but also
 * fires on chessboards, fur and handwriting. The plain eye cascade fires on
 * handwriting too; the eyeglasses eye cascade does not, but misses some real
 * eyes. So a face is believed when the eyeglasses cascade finds an eye in
 * its upper part, or the plain one finds two and many windows agree. Eyes
 * and smiles are looked for in the face cut from a sharper copy of the
 * picture and scaled to FACE_CROP pixels, since at the detection size an
 * eye is smaller than the eye cascade's window. */
#define FACE_MIN_NEIGHBOURS     3
#define FACE_MIN_SIDE           24
#define FACE_STRONG_NEIGHBOURS  8
#define FACE_CROP               160
#define EYE_MIN_NEIGHBOURS      2
#define SMILE_MIN_NEIGHBOURS    40
#define PORTRAIT_MIN_FRACTION   0.25   /* of the picture's shorter side */

struct _TesseraFaceDetector
{
  TesseraCascade *face;
  TesseraCascade *eye;
  TesseraCascade *eye_glasses;
  TesseraCascade *smile;
};

void
tessera_face_detector_free (TesseraFaceDetector *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->face, tessera_cascade_unref);
  g_clear_pointer (&self->eye, tessera_cascade_unref);
  g_clear_pointer (&self->eye_glasses, tessera_cascade_unref);
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
      || !(self->eye_glasses = load_cascade (cascade_dir, "haarcascade_eye_tree_eyeglasses.xml", error))
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

/* Is @a mostly inside @b? Then they are one face seen twice. */
static gboolean
same_face (const TesseraFace *a,
           const TesseraFace *b)
{
  int cx = a->x + a->width / 2, cy = a->y + a->height / 2;

  return cx >= b->x && cx < b->x + b->width && cy >= b->y && cy < b->y + b->height;
}

GArray *
tessera_face_detector_detect (TesseraFaceDetector *self,
                              const TesseraGrey   *grey)
{
  TesseraDetectParams params = TESSERA_DETECT_PARAMS_INIT;
  g_autoptr(GArray) candidates = NULL;
  g_autofree guint8 *small_data = NULL;
  TesseraGrey small = *grey;
  GArray *faces;
  double up = 1.0;
  int longest;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (grey != NULL, NULL);

  faces = g_array_new (FALSE, FALSE, sizeof (TesseraFace));
  longest = MAX (grey->width, grey->height);
  if (longest > TESSERA_FACES_MAX_SIDE)
    {
      up = (double) longest / TESSERA_FACES_MAX_SIDE;
      small.width = MAX (1, (int) lround (grey->width / up));
      small.height = MAX (1, (int) lround (grey->height / up));
      small.stride = small.width;
      small_data = g_malloc ((gsize) small.width * small.height);
      tessera_grey_resize (grey, small_data, small.width, small.height);
      small.data = small_data;
      up = (double) grey->width / small.width;
    }
  if (small.width < FACE_MIN_SIDE || small.height < FACE_MIN_SIDE)
    return faces;

  params.min_neighbours = FACE_MIN_NEIGHBOURS;
  params.min_width = params.min_height = FACE_MIN_SIDE;
  candidates = tessera_cascade_detect (self->face, &small, &params);

  for (guint i = 0; i < candidates->len; i++)
    {
      const TesseraDetection *d = &g_array_index (candidates, TesseraDetection, i);
      TesseraFace face = { 0 };
      guint8 crop_data[FACE_CROP * FACE_CROP];
      TesseraGrey crop = { crop_data, FACE_CROP, FACE_CROP, FACE_CROP };
      TesseraGrey region, upper, lower;
      int eyes_glasses;
      gboolean duplicate = FALSE;

      face.x = (int) (d->x * up);
      face.y = (int) (d->y * up);
      face.width = MIN ((int) (d->width * up), grey->width - face.x);
      face.height = MIN ((int) (d->height * up), grey->height - face.y);
      face.neighbours = d->neighbours;
      if (face.width < 1 || face.height < 1)
        continue;

      region = grey_region (grey, face.x, face.y, face.width, face.height);
      tessera_grey_resize (&region, crop_data, FACE_CROP, FACE_CROP);
      upper = grey_region (&crop, 0, 0, FACE_CROP, FACE_CROP * 6 / 10);
      lower = grey_region (&crop, 0, FACE_CROP / 2, FACE_CROP, FACE_CROP / 2);

      eyes_glasses = count_in_region (self->eye_glasses, &upper, EYE_MIN_NEIGHBOURS,
                                      FACE_CROP / 8, FACE_CROP / 2);
      face.n_eyes = count_in_region (self->eye, &upper, EYE_MIN_NEIGHBOURS,
                                     FACE_CROP / 8, FACE_CROP / 2);
      if (eyes_glasses == 0
          && !(face.n_eyes >= 2 && face.neighbours >= FACE_STRONG_NEIGHBOURS))
        {
          g_debug ("Face candidate %dx%d at %d,%d (%d neighbours, %d eyes) dropped",
                   face.width, face.height, face.x, face.y, face.neighbours, face.n_eyes);
          continue;
        }
      face.n_eyes = MAX (face.n_eyes, eyes_glasses);
      face.smile = count_in_region (self->smile, &lower, SMILE_MIN_NEIGHBOURS,
                                    FACE_CROP / 4, FACE_CROP) > 0;

      /* groupRectangles can leave a face and a bigger box around the same
       * head; keep the better supported one. */
      for (guint k = 0; k < faces->len; k++)
        {
          TesseraFace *other = &g_array_index (faces, TesseraFace, k);

          if (same_face (&face, other) || same_face (other, &face))
            {
              if (face.neighbours > other->neighbours)
                *other = face;
              duplicate = TRUE;
              break;
            }
        }
      if (!duplicate)
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
  double scale, k;
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
  /* 16-bit pictures scale down to 8 bits with the grey conversion. */
  k = vips_image_get_format (current) == VIPS_FORMAT_USHORT ? 1.0 / 257.0 : 1.0;
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
                           const TesseraGrey    *grey,
                           TesseraImageRecord   *record,
                           GError              **error)
{
  g_autoptr(GArray) faces = NULL;
  double best = 0, best_smile = 0;
  int shorter;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (grey != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  faces = tessera_face_detector_detect (self, grey);
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
      /* The smile cascade missed both smiles we have and fired on a
       * robot's grille (docs/tagging.md): a label under the usual tag
       * threshold (0.5), there to be seen, not a tag by default. */
      if (f->smile)
        best_smile = MAX (best_smile, c * 0.45);
    }

  tessera_image_record_add_label (record, "face", best, TESSERA_FACES_SOURCE);
  tessera_image_record_add_label (record, "person", best, TESSERA_FACES_SOURCE);
  if (faces->len >= 3)
    tessera_image_record_add_label (record, "people", best, TESSERA_FACES_SOURCE);
  if (best_smile > 0)
    tessera_image_record_add_label (record, "smile", best_smile, TESSERA_FACES_SOURCE);

  shorter = MIN (grey->width, grey->height);
  if (faces->len == 1
      && g_array_index (faces, TesseraFace, 0).width >= PORTRAIT_MIN_FRACTION * shorter)
    tessera_image_record_add_label (record, "portrait", best, TESSERA_FACES_SOURCE);

  return TRUE;
}
