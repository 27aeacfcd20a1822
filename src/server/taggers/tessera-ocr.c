/* tessera-ocr.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ocr"

#include "config.h"

#include <string.h>

#include "tessera-error.h"
#include "tessera-ocr.h"

#ifdef TESSERA_HAVE_TESSERACT
/* capi.h declares TessBaseAPICreate() without (void). */
# pragma GCC diagnostic push
# pragma GCC diagnostic ignored "-Wstrict-prototypes"
# include <tesseract/capi.h>
# include <leptonica/allheaders.h>
# pragma GCC diagnostic pop
#endif

#ifdef TESSERA_HAVE_OPENMP
# include <omp.h>
#endif

/* Measured on the labelled pictures (docs/tagging.md). */
#define WORD_MIN_CONFIDENCE   80.0   /* Tesseract's 0..100 */
#define TEXT_MIN_LETTERS      6      /* one lone short word is usually noise */
#define DEADLINE_MS           4000
#define DOCUMENT_MIN_WORDS    12
#define DOCUMENT_MIN_EXTENT   0.45
#define MAX_TEXT_BYTES        4096

struct _TesseraOcr
{
  GMutex       lock;
#ifdef TESSERA_HAVE_TESSERACT
  TessBaseAPI *api;
#endif
};

void
tessera_ocr_free (TesseraOcr *self)
{
  if (self == NULL)
    return;

#ifdef TESSERA_HAVE_TESSERACT
  if (self->api != NULL)
    {
      TessBaseAPIEnd (self->api);
      TessBaseAPIDelete (self->api);
    }
#endif
  g_mutex_clear (&self->lock);
  g_free (self);
}

TesseraOcr *
tessera_ocr_new (GError **error)
{
#ifdef TESSERA_HAVE_TESSERACT
  g_autoptr(TesseraOcr) self = g_new0 (TesseraOcr, 1);

  g_mutex_init (&self->lock);

  /* Debian's Tesseract is built with OpenMP and runs parts of the LSTM on
   * 4 threads per picture (spinning while idle), while jobs already run in
   * parallel. OMP_THREAD_LIMIT would say so, but libgomp reads it when it
   * is loaded, before main(); making every parallel region inactive is the
   * equivalent we can still do at run time. */
#ifdef TESSERA_HAVE_OPENMP
  omp_set_max_active_levels (0);
#endif

  /* Leptonica reports every odd box on stderr; our errors say enough. */
  setMsgSeverity (L_SEVERITY_NONE);

  self->api = TessBaseAPICreate ();
  if (TessBaseAPIInit3 (self->api, NULL, "eng") != 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                   "Tesseract cannot load its English data (tesseract-ocr-eng)");
      return NULL;
    }
  /* Scene text is scattered: find as many words as possible, any order. */
  TessBaseAPISetPageSegMode (self->api, PSM_SPARSE_TEXT);
  TessBaseAPISetVariable (self->api, "debug_file", "/dev/null");

  return g_steal_pointer (&self);
#else
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
               "Built without Tesseract");
  return NULL;
#endif
}

void
tessera_ocr_result_clear (TesseraOcrResult *result)
{
  g_return_if_fail (result != NULL);

  g_clear_pointer (&result->words, g_ptr_array_unref);
  memset (result, 0, sizeof *result);
}

gboolean
tessera_ocr_word_is_plausible (const char *word)
{
  glong n_chars = 0, n_letters = 0;

  if (word == NULL || !g_utf8_validate (word, -1, NULL))
    return FALSE;

  for (const char *p = word; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      n_chars++;
      if (g_unichar_isalpha (c))
        n_letters++;
    }

  return n_chars >= 3 && n_letters * 4 >= n_chars * 3;
}

gboolean
tessera_ocr_recognize (TesseraOcr         *self,
                       const TesseraGrey  *grey,
                       TesseraOcrResult   *result,
                       GError            **error)
{
#ifdef TESSERA_HAVE_TESSERACT
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree guint8 *small_data = NULL;
  TesseraGrey small;
  TessResultIterator *it;
  ETEXT_DESC *monitor;
  int longest;
  double conf_sum = 0, area = 0;
  int min_x = G_MAXINT, min_y = G_MAXINT, max_x = 0, max_y = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (grey != NULL && grey->data != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  result->words = g_ptr_array_new_with_free_func (g_free);

  if (grey->width < 8 || grey->height < 8)
    return TRUE;

  longest = MAX (grey->width, grey->height);
  if (longest > TESSERA_OCR_MAX_SIDE)
    {
      double down = (double) longest / TESSERA_OCR_MAX_SIDE;

      small.width = MAX (1, (int) (grey->width / down));
      small.height = MAX (1, (int) (grey->height / down));
      small.stride = small.width;
      small_data = g_malloc ((gsize) small.width * small.height);
      tessera_grey_resize (grey, small_data, small.width, small.height);
      small.data = small_data;
      grey = &small;
    }

  locker = g_mutex_locker_new (&self->lock);
  TessBaseAPISetImage (self->api, grey->data, grey->width, grey->height, 1, grey->stride);
  TessBaseAPISetSourceResolution (self->api, 70);
  /* A page of tiny glyphs (a sheet of digits) can keep Tesseract busy for
   * a minute; what it has read by the deadline is what we keep. */
  monitor = TessMonitorCreate ();
  TessMonitorSetDeadlineMSecs (monitor, DEADLINE_MS);
  if (TessBaseAPIRecognize (self->api, monitor) != 0)
    g_debug ("Tesseract stopped at the deadline or failed; keeping what it read");
  TessMonitorDelete (monitor);
  it = TessBaseAPIGetIterator (self->api);
  if (it != NULL)
    {
      do
        {
          const TessPageIterator *page = TessResultIteratorGetPageIteratorConst (it);
          char *text = TessResultIteratorGetUTF8Text (it, RIL_WORD);
          float conf = TessResultIteratorConfidence (it, RIL_WORD);
          int l, t, r, b;

          if (text != NULL
              && conf >= WORD_MIN_CONFIDENCE
              && tessera_ocr_word_is_plausible (g_strstrip (text))
              && TessPageIteratorBoundingBox (page, RIL_WORD, &l, &t, &r, &b))
            {
              g_ptr_array_add (result->words, g_strdup (text));
              result->letters += g_utf8_strlen (text, -1);
              conf_sum += conf / 100.0;
              area += (double) (r - l) * (b - t);
              min_x = MIN (min_x, l);
              min_y = MIN (min_y, t);
              max_x = MAX (max_x, r);
              max_y = MAX (max_y, b);
            }
          if (text != NULL)
            TessDeleteText (text);
        }
      while (TessResultIteratorNext (it, RIL_WORD));
      TessResultIteratorDelete (it);
    }
  TessBaseAPIClear (self->api);

  if (result->words->len > 0)
    {
      double picture = (double) grey->width * grey->height;

      result->mean_confidence = conf_sum / result->words->len;
      result->text_area = MIN (1.0, area / picture);
      result->text_extent = MIN (1.0, (double) (max_x - min_x) * (max_y - min_y) / picture);
    }

  return TRUE;
#else
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE, "Built without Tesseract");
  return FALSE;
#endif
}

gboolean
tessera_ocr_tag (TesseraOcr          *self,
                 const TesseraGrey   *grey,
                 TesseraImageRecord  *record,
                 GError             **error)
{
  TesseraOcrResult result;
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!tessera_ocr_recognize (self, grey, &result, error))
    return FALSE;

  if (result.letters >= TEXT_MIN_LETTERS)
    {
      text = g_string_new (NULL);
      for (guint i = 0; i < result.words->len; i++)
        {
          const char *word = g_ptr_array_index (result.words, i);

          if (text->len + strlen (word) + 1 > MAX_TEXT_BYTES)
            break;
          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append (text, word);
        }

      tessera_image_record_add_label (record, "text", result.mean_confidence, TESSERA_OCR_SOURCE);
      if (result.words->len >= DOCUMENT_MIN_WORDS && result.text_extent >= DOCUMENT_MIN_EXTENT)
        tessera_image_record_add_label (record, "document", result.mean_confidence,
                                        TESSERA_OCR_SOURCE);

      if (record->metadata == NULL)
        record->metadata = json_object_new ();
      json_object_set_string_member (record->metadata, "text", text->str);
    }

  tessera_ocr_result_clear (&result);
  return TRUE;
}
