/* tessera-exif.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-exif"

#include "config.h"

#include <string.h>

#include "tessera-error.h"
#include "tessera-exif.h"
#include "tessera-taggers-private.h"

void
tessera_exif_clear (TesseraExif *exif)
{
  g_return_if_fail (exif != NULL);

  g_clear_pointer (&exif->make, g_free);
  g_clear_pointer (&exif->model, g_free);
  g_clear_pointer (&exif->date_taken, g_free);
  memset (exif, 0, sizeof *exif);
}

/* libvips writes each EXIF entry as "VALUE (READABLE, FORMAT, N components,
 * M bytes)"; the value is what comes before the last parenthesis. */
static char *
exif_value (VipsImage  *image,
            const char *field)
{
  const char *text = NULL;
  const char *paren;
  g_autofree char *value = NULL;

  if (vips_image_get_typeof (image, field) == 0
      || vips_image_get_string (image, field, &text) != 0
      || text == NULL)
    {
      vips_error_clear ();
      return NULL;
    }

  paren = g_strrstr (text, " (");
  value = paren ? g_strndup (text, paren - text) : g_strdup (text);
  g_strstrip (value);
  if (*value == '\0' || !g_utf8_validate (value, -1, NULL))
    return NULL;

  return g_steal_pointer (&value);
}

char *
tessera_exif_normalize_make (const char *make)
{
  g_autoptr(GString) word = g_string_new (NULL);

  if (make == NULL)
    return NULL;

  /* The first word, letters and digits only. */
  for (const char *p = make; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (word, g_ascii_tolower (*p));
      else if (word->len > 0)
        break;
    }

  if (word->len < 2)
    return NULL;

  return g_string_free (g_steal_pointer (&word), FALSE);
}

void
tessera_exif_read (VipsImage   *image,
                   TesseraExif *exif)
{
  g_autofree char *date = NULL;
  g_autofree char *flash = NULL;
  g_autofree char *orientation = NULL;
  g_autofree char *lat = NULL;
  g_autofree char *lon = NULL;
  int y, mo, d, h, mi, s;

  g_return_if_fail (VIPS_IS_IMAGE (image));
  g_return_if_fail (exif != NULL);

  memset (exif, 0, sizeof *exif);

  exif->make = exif_value (image, "exif-ifd0-Make");
  exif->model = exif_value (image, "exif-ifd0-Model");

  date = exif_value (image, "exif-ifd2-DateTimeOriginal");
  if (date == NULL)
    date = exif_value (image, "exif-ifd0-DateTime");
  if (date != NULL
      && sscanf (date, "%4d:%2d:%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6
      && y >= 1900 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31
      && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s <= 60)
    {
      exif->date_taken = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s);
      exif->year = y;
    }

  /* Bit 0 of the Flash value is "fired". */
  flash = exif_value (image, "exif-ifd2-Flash");
  if (flash != NULL && g_ascii_isdigit (flash[0]))
    {
      exif->has_flash = TRUE;
      exif->flash_fired = (g_ascii_strtoull (flash, NULL, 10) & 1) != 0;
    }

  if (vips_image_get_typeof (image, VIPS_META_ORIENTATION) != 0)
    {
      int o = 0;

      if (vips_image_get_int (image, VIPS_META_ORIENTATION, &o) == 0 && o >= 1 && o <= 8)
        exif->orientation = o;
      vips_error_clear ();
    }
  if (exif->orientation == 0 && (orientation = exif_value (image, "exif-ifd0-Orientation")))
    {
      guint64 o = g_ascii_strtoull (orientation, NULL, 10);

      if (o >= 1 && o <= 8)
        exif->orientation = (int) o;
    }

  lat = exif_value (image, "exif-ifd3-GPSLatitude");
  lon = exif_value (image, "exif-ifd3-GPSLongitude");
  exif->has_gps = lat != NULL && lon != NULL;
}

static JsonObject *
exif_to_json (const TesseraExif *exif)
{
  JsonObject *object = json_object_new ();

  if (exif->make)
    json_object_set_string_member (object, "make", exif->make);
  if (exif->model)
    json_object_set_string_member (object, "model", exif->model);
  if (exif->date_taken)
    json_object_set_string_member (object, "dateTaken", exif->date_taken);
  if (exif->orientation)
    json_object_set_int_member (object, "orientation", exif->orientation);
  json_object_set_boolean_member (object, "gps", exif->has_gps);
  if (exif->has_flash)
    json_object_set_boolean_member (object, "flash", exif->flash_fired);

  return object;
}

gboolean
tessera_exif_tag (GFile               *original,
                  VipsImage           *image,
                  TesseraImageRecord  *record,
                  GError             **error)
{
  g_autoptr(TesseraVipsImage) header = NULL;
  g_autofree char *make_tag = NULL;
  TesseraExif exif;
  const char *path;
  GDateTime *now;
  int this_year;

  g_return_val_if_fail (original == NULL || G_IS_FILE (original), FALSE);
  g_return_val_if_fail (VIPS_IS_IMAGE (image), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  path = original ? g_file_peek_path (original) : NULL;
  if (path != NULL)
    {
      /* Only the header is read; the pixels stay on disk. */
      header = vips_image_new_from_file (path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
      if (header == NULL)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE,
                       "Cannot read the image's header: %s", vips_error_buffer ());
          vips_error_clear ();
          return FALSE;
        }
    }

  tessera_exif_read (header ? header : image, &exif);

  now = g_date_time_new_now_utc ();
  this_year = g_date_time_get_year (now);
  g_date_time_unref (now);

  make_tag = tessera_exif_normalize_make (exif.make);
  if (make_tag != NULL)
    tessera_image_record_add_label (record, make_tag, 1.0, TESSERA_EXIF_SOURCE);
  /* A camera whose clock was never set says 1970 or 2000-01-01; a year in
   * the future is plainly wrong. Neither is a fact worth a tag. */
  if (exif.year > 1970 && exif.year <= this_year
      && !(exif.date_taken && g_str_has_prefix (exif.date_taken, "2000-01-01")))
    {
      g_autofree char *year = g_strdup_printf ("%d", exif.year);

      tessera_image_record_add_label (record, year, 1.0, TESSERA_EXIF_SOURCE);
    }
  if (exif.flash_fired)
    tessera_image_record_add_label (record, "flash", 1.0, TESSERA_EXIF_SOURCE);
  if (exif.has_gps)
    tessera_image_record_add_label (record, "geotagged", 1.0, TESSERA_EXIF_SOURCE);

  if (record->metadata == NULL)
    record->metadata = json_object_new ();
  json_object_set_object_member (record->metadata, "exif", exif_to_json (&exif));

  tessera_exif_clear (&exif);
  return TRUE;
}
