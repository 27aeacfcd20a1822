/* tessera-tagger-local.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each stage is a unit of its own (tessera-faces, tessera-ocr,
 * tessera-colour, tessera-exif); this object owns what they load (cascades,
 * Tesseract) and runs them in turn. A failing stage does not stop the
 * others: its labels are simply missing, and its error is returned once the
 * others have run.
 *
 * Creating the tagger is cheap (it only checks the cascades are there): the
 * models are loaded by the first job that needs them, in the worker thread,
 * so an idle server stays small. The cascades are parsed once and shared
 * read-only by every job; Tesseract's engine is not reentrant, so each job
 * running at the same time gets its own, made on first use and kept for the
 * next job (as many as there are workers, no more).
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

/* The cascades the face stage loads (tessera-faces.c). */
static const char *const cascade_files[] = {
  "haarcascade_frontalface_alt2.xml",
  "haarcascade_eye.xml",
  "haarcascade_eye_tree_eyeglasses.xml",
  "haarcascade_smile.xml",
};

struct _TesseraTaggerLocal
{
  GObject              parent_instance;
  char                *cascade_dir;   /* NULL: the default */
  gboolean             text;          /* FALSE: no text stage */

  GMutex               lock;          /* guards the fields below */
  TesseraFaceDetector *faces;         /* loaded by the first job */
  GPtrArray           *idle_ocr;      /* TesseraOcr no job is using */
  gboolean             ocr_failed;    /* Tesseract would not load: no text stage */
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

/* The face detector, loaded by the first caller; the others wait for it.
 * It stays until the tagger goes, and jobs use it at the same time. */
static TesseraFaceDetector *
get_face_detector (TesseraTaggerLocal  *self,
                   GError             **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->faces == NULL)
    self->faces = tessera_face_detector_new (self->cascade_dir, error);

  return self->faces;
}

/* A Tesseract engine for this job alone: an idle one, or a new one.
 * Returns NULL when there is no text stage. */
static TesseraOcr *
take_ocr (TesseraTaggerLocal *self)
{
  g_autoptr(GError) error = NULL;
  TesseraOcr *ocr;

  if (!self->text)
    return NULL;

  g_mutex_lock (&self->lock);
  if (self->ocr_failed)
    ocr = NULL;
  else if (self->idle_ocr->len > 0)
    ocr = g_ptr_array_steal_index_fast (self->idle_ocr, self->idle_ocr->len - 1);
  else
    {
      /* Loading takes a while: let other jobs take and give back theirs. */
      g_mutex_unlock (&self->lock);
      ocr = tessera_ocr_new (&error);
      g_mutex_lock (&self->lock);
      if (ocr == NULL && !self->ocr_failed)
        {
          g_warning ("No text stage: %s", error->message);
          self->ocr_failed = TRUE;
        }
    }
  g_mutex_unlock (&self->lock);

  return ocr;
}

static void
give_back_ocr (TesseraTaggerLocal *self,
               TesseraOcr         *ocr)
{
  if (ocr == NULL)
    return;

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->idle_ocr, ocr);
  g_mutex_unlock (&self->lock);
}

/* The face stage of one job, which may run in a thread of its own while
 * the text is read: it tags a record of its own, merged into the job's
 * once both are done, and the grey picture is only read. (Text stays on
 * the job's thread: Tesseract run from a new thread per job cost twice
 * the CPU, its per-thread buffers made anew each time.) */
typedef struct
{
  TesseraFaceDetector *faces;
  const TesseraGrey   *grey;
  TesseraImageRecord  *record;
  GError              *error;
  gboolean             ok;
  gint64               duration;
} FaceStage;

static gpointer
run_face_stage (gpointer data)
{
  FaceStage *stage = data;
  gint64 start = g_get_monotonic_time ();

  stage->ok = tessera_face_detector_tag (stage->faces, stage->grey, stage->record, &stage->error);
  stage->duration = g_get_monotonic_time () - start;

  return NULL;
}

/* The text stage of one job. */
typedef struct
{
  TesseraTaggerLocal *self;
  const TesseraGrey  *grey;
  TesseraImageRecord *record;
  GError             *error;
  gboolean            ok;
  gint64              duration;
} TextStage;

static gpointer
run_text_stage (gpointer data)
{
  TextStage *stage = data;
  gint64 start = g_get_monotonic_time ();
  TesseraOcr *ocr = take_ocr (stage->self);

  stage->ok = ocr == NULL || tessera_ocr_tag (ocr, stage->grey, stage->record, &stage->error);
  give_back_ocr (stage->self, ocr);
  stage->duration = g_get_monotonic_time () - start;

  return NULL;
}

static void
merge_record (TesseraImageRecord *into,
              TesseraImageRecord *from)
{
  for (guint i = 0; i < from->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (from->labels, i);

      tessera_image_record_add_label (into, label->name, label->confidence, label->source);
    }

  if (from->metadata != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (from->metadata);

      if (into->metadata == NULL)
        into->metadata = json_object_new ();
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (into->metadata, l->data,
                                json_node_copy (json_object_get_member (from->metadata, l->data)));
    }
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
  g_autoptr(TesseraImageRecord) face_record = tessera_image_record_new ();
  g_autoptr(TesseraImageRecord) text_record = tessera_image_record_new ();
  TesseraFaceDetector *faces;
  FaceStage face = { NULL, NULL, face_record, NULL, TRUE, 0 };
  TextStage text = { self, NULL, text_record, NULL, TRUE, 0 };
  GThread *face_thread = NULL;
  GError *first = NULL;
  GError *local_error = NULL;
  TesseraGrey grey = { 0 };
  gint64 t0 = g_get_monotonic_time (), tl, t1, t2, t3, t4, t5;

  /* Models come on the first job; a face detector that cannot load is
   * this job's error, and the next job tries again. */
  faces = get_face_detector (self, &local_error);
  if (faces == NULL)
    keep_first_error (&first, &local_error, "faces");
  tl = g_get_monotonic_time ();

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
      /* Faces and text are the two costly stages and share nothing but the
       * grey picture: with a second core, the faces are looked for beside
       * the text, so a lone upload waits for the slower of the two rather
       * than both. (A busy server gains nothing and loses nothing.) */
      face.faces = faces;
      face.grey = text.grey = &grey;
      if (faces != NULL && self->text && g_get_num_processors () > 1)
        face_thread = g_thread_try_new ("tessera-faces", run_face_stage, &face, NULL);

      if (self->text)
        run_text_stage (&text);
      t4 = g_get_monotonic_time ();

      if (face_thread != NULL)
        g_thread_join (face_thread);
      else if (faces != NULL && !g_cancellable_is_cancelled (cancellable))
        run_face_stage (&face);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_clear_error (&face.error);
          g_clear_error (&text.error);
          goto cancelled;
        }

      /* In the order the stages ran in before they ran side by side. */
      merge_record (record, face_record);
      merge_record (record, text_record);
      if (!face.ok)
        keep_first_error (&first, &face.error, "faces");
      if (!text.ok)
        keep_first_error (&first, &text.error, "text");
    }
  t5 = g_get_monotonic_time ();

  /* faces and text: each stage's own time (they overlap); all: the stages
   * after colour, together. */
  g_debug ("Stages in ms: load %.1f, exif %.1f, colour %.1f, grey %.1f, faces %.1f, text %.1f, "
           "grey to the end %.1f",
           (tl - t0) / 1000., (t1 - tl) / 1000., (t2 - t1) / 1000., (t3 - t2) / 1000.,
           face.duration / 1000., text.duration / 1000., (t5 - t2) / 1000.);

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
  g_clear_pointer (&self->idle_ocr, g_ptr_array_unref);
  g_clear_pointer (&self->cascade_dir, g_free);
  g_mutex_clear (&self->lock);

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
  g_mutex_init (&self->lock);
  self->idle_ocr = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_ocr_free);
}

TesseraTagger *
tessera_tagger_local_new (GKeyFile  *config,
                          GError   **error)
{
  g_autoptr(TesseraTaggerLocal) self = NULL;
  g_autofree char *cascade_dir = NULL;
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

  /* A wrong directory is a configuration error: say so at start-up, not
   * on the first upload. Parsing waits for the first job. */
  for (guint i = 0; i < G_N_ELEMENTS (cascade_files); i++)
    {
      g_autofree char *path = g_build_filename (cascade_dir ? cascade_dir : HAARCASCADES_DIR,
                                                cascade_files[i], NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "[tagger] cascade-dir: no %s (install opencv-data)", path);
          return NULL;
        }
    }

  self = g_object_new (TESSERA_TYPE_TAGGER_LOCAL, NULL);
  self->cascade_dir = g_steal_pointer (&cascade_dir);
  self->text = text;

  return TESSERA_TAGGER (g_steal_pointer (&self));
}
