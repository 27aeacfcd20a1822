/* tessera-tagger-local.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each stage is a unit of its own (tessera-faces, tessera-ocr,
 * tessera-colour, tessera-exif); this object owns what they load once
 * (cascades, Tesseract) and runs them in turn. A failing stage does not
 * stop the others: its labels are simply missing, and its error is
 * returned once the others have run.
 */

#define G_LOG_DOMAIN "tessera-taggers"

#include "config.h"

#include "tessera-colour.h"
#include "tessera-error.h"
#include "tessera-exif.h"
#include "tessera-faces.h"
#include "tessera-ocr.h"
#include "tessera-tagger-local.h"
#include "tessera-taggers-private.h"

#define CONFIG_GROUP "tagger"

struct _TesseraTaggerLocal
{
  GObject              parent_instance;
  TesseraFaceDetector *faces;
  TesseraOcr          *ocr;    /* NULL: no text stage */
};

static void tagger_iface_init (TesseraTaggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraTaggerLocal, tessera_tagger_local, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_TAGGER, tagger_iface_init))

/* Keeps the first stage's error (named after its stage) and logs the rest;
 * takes @error. */
static void
keep_first_error (GError     **first,
                  GError     **error,
                  const char  *stage)
{
  g_assert (error != NULL && *error != NULL);

  g_debug ("Tagger stage %s failed: %s", stage, (*error)->message);
  if (*first == NULL)
    {
      g_prefix_error (error, "%s: ", stage);
      *first = g_steal_pointer (error);
    }
  else
    g_clear_error (error);
}

#define WORKING_SIDE MAX (TESSERA_FACES_DETAIL_SIDE, TESSERA_OCR_MAX_SIDE)

static VipsImage *
make_working_copy (VipsImage  *image,
                   GError    **error)
{
  g_autoptr(TesseraVipsImage) small = NULL;
  int longest = MAX (vips_image_get_width (image), vips_image_get_height (image));
  VipsImage *copy;

  if (longest <= WORKING_SIDE)
    return g_object_ref (image);

  if (vips_resize (image, &small, (double) WORKING_SIDE / longest, NULL) != 0
      || (copy = vips_image_copy_memory (small)) == NULL)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE,
                   "Cannot shrink the picture: %s", vips_error_buffer ());
      vips_error_clear ();
      return NULL;
    }

  return copy;
}

static gboolean
tessera_tagger_local_tag (TesseraTagger       *tagger,
                          GFile               *original,
                          VipsImage           *image,
                          TesseraImageRecord  *record,
                          GCancellable        *cancellable,
                          GError             **error)
{
  TesseraTaggerLocal *self = TESSERA_TAGGER_LOCAL (tagger);
  g_autofree guint8 *grey_data = NULL;
  g_autoptr(TesseraVipsImage) working = NULL;
  GError *first = NULL;
  GError *local_error = NULL;
  TesseraGrey grey = { 0 };
  gint64 t0 = g_get_monotonic_time (), t1, t2, t3, t4, t5;

  if (!tessera_exif_tag (original, image, record, &local_error))
    keep_first_error (&first, &local_error, "exif");
  t1 = g_get_monotonic_time ();

  /* Every stage looks at 1600 px at most: shrink once, in memory, rather
   * than have each stage resample (and decode) the full picture. */
  working = make_working_copy (image, &local_error);
  if (working == NULL)
    {
      g_clear_error (&first);
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (!tessera_colour_tag (working, record, &local_error))
    keep_first_error (&first, &local_error, "colour");
  t2 = t3 = t4 = t5 = g_get_monotonic_time ();

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto cancelled;

  /* One grey copy serves faces (which shrink it further) and text. */
  grey_data = tessera_grey_from_vips (working, MAX (TESSERA_FACES_DETAIL_SIDE, TESSERA_OCR_MAX_SIDE),
                                      &grey, &local_error);
  t3 = t4 = g_get_monotonic_time ();
  if (grey_data == NULL)
    keep_first_error (&first, &local_error, "grey");
  else
    {
      if (!tessera_face_detector_tag (self->faces, &grey, record, &local_error))
        keep_first_error (&first, &local_error, "faces");
      t4 = g_get_monotonic_time ();

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto cancelled;

      if (self->ocr != NULL && !tessera_ocr_tag (self->ocr, &grey, record, &local_error))
        keep_first_error (&first, &local_error, "text");
    }
  t5 = g_get_monotonic_time ();

  g_debug ("Stages in ms: exif %.1f, shrink and colour %.1f, grey %.1f, faces %.1f, text %.1f",
           (t1 - t0) / 1000., (t2 - t1) / 1000., (t3 - t2) / 1000.,
           (t4 - t3) / 1000., (t5 - t4) / 1000.);

  if (first != NULL)
    {
      g_propagate_error (error, first);
      return FALSE;
    }
  return TRUE;

cancelled:
  g_clear_error (&first);
  return FALSE;
}

static void
tagger_iface_init (TesseraTaggerInterface *iface)
{
  iface->tag = tessera_tagger_local_tag;
}

static void
tessera_tagger_local_finalize (GObject *object)
{
  TesseraTaggerLocal *self = (TesseraTaggerLocal *) object;

  g_clear_pointer (&self->faces, tessera_face_detector_free);
  g_clear_pointer (&self->ocr, tessera_ocr_free);

  G_OBJECT_CLASS (tessera_tagger_local_parent_class)->finalize (object);
}

static void
tessera_tagger_local_class_init (TesseraTaggerLocalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_tagger_local_finalize;
}

static void
tessera_tagger_local_init (TesseraTaggerLocal *self)
{
}

TesseraTagger *
tessera_tagger_local_new (GKeyFile  *config,
                          GError   **error)
{
  g_autoptr(TesseraTaggerLocal) self = NULL;
  g_autofree char *cascade_dir = NULL;
  g_autoptr(GError) ocr_error = NULL;
  gboolean text = TRUE;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (config != NULL)
    {
      cascade_dir = g_key_file_get_string (config, CONFIG_GROUP, "cascade-dir", NULL);
      if (g_key_file_has_key (config, CONFIG_GROUP, "text", NULL))
        {
          GError *bad = NULL;

          text = g_key_file_get_boolean (config, CONFIG_GROUP, "text", &bad);
          if (bad != NULL)
            {
              g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "[tagger] text: %s", bad->message);
              g_error_free (bad);
              return NULL;
            }
        }
    }

  self = g_object_new (TESSERA_TYPE_TAGGER_LOCAL, NULL);
  self->faces = tessera_face_detector_new (cascade_dir, error);
  if (self->faces == NULL)
    return NULL;

  if (text)
    {
      self->ocr = tessera_ocr_new (&ocr_error);
      if (self->ocr == NULL)
        g_warning ("No text stage: %s", ocr_error->message);
    }

  return TESSERA_TAGGER (g_steal_pointer (&self));
}
