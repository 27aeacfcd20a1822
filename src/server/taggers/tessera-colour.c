/* tessera-colour.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-colour"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tessera-colour.h"
#include "tessera-error.h"
#include "tessera-taggers-private.h"

/* Counting is done on a thumbnail: colour proportions do not need detail. */
#define THUMB_SIDE            64
#define DOMINANT_FRACTION     0.20   /* of the pixels */
#define MAX_COLOURS           3
#define BW_CHROMATIC_FRACTION 0.005
#define DARK_LUMA             0.22
#define BRIGHT_LUMA           0.72
#define PANORAMA_RATIO        2.0
#define SQUARE_TOLERANCE      0.03

static const char *colour_names[TESSERA_N_COLOURS] = {
  [TESSERA_COLOUR_RED] = "red",
  [TESSERA_COLOUR_ORANGE] = "orange",
  [TESSERA_COLOUR_YELLOW] = "yellow",
  [TESSERA_COLOUR_GREEN] = "green",
  [TESSERA_COLOUR_BLUE] = "blue",
  [TESSERA_COLOUR_PURPLE] = "purple",
  [TESSERA_COLOUR_PINK] = "pink",
  [TESSERA_COLOUR_BROWN] = "brown",
  [TESSERA_COLOUR_BLACK] = "black",
  [TESSERA_COLOUR_WHITE] = "white",
  [TESSERA_COLOUR_GRAY] = "gray",
};

const char *
tessera_colour_to_string (TesseraColour colour)
{
  g_return_val_if_fail (colour < TESSERA_N_COLOURS, NULL);

  return colour_names[colour];
}

static void
to_hsv (guint8  r8,
        guint8  g8,
        guint8  b8,
        double *h,
        double *s,
        double *v)
{
  double r = r8 / 255., g = g8 / 255., b = b8 / 255.;
  double max = MAX (r, MAX (g, b)), min = MIN (r, MIN (g, b));
  double d = max - min;

  *v = max;
  *s = max > 0 ? d / max : 0;
  if (d == 0)
    *h = 0;
  else if (max == r)
    *h = 60 * fmod ((g - b) / d + 6, 6);
  else if (max == g)
    *h = 60 * ((b - r) / d + 2);
  else
    *h = 60 * ((r - g) / d + 4);
}

/* HSV with the hue bands people name; brown is a dark orange and pink a
 * light or magenta red, which hue alone cannot tell. */
TesseraColour
tessera_colour_classify (guint8 r,
                         guint8 g,
                         guint8 b)
{
  double h, s, v;

  to_hsv (r, g, b, &h, &s, &v);

  if (v < 0.18)
    return TESSERA_COLOUR_BLACK;
  if (s < 0.18 || (v - v * s) > 0.92)
    {
      if (v > 0.85)
        return TESSERA_COLOUR_WHITE;
      if (v < 0.30)
        return TESSERA_COLOUR_BLACK;
      return TESSERA_COLOUR_GRAY;
    }

  if (h < 15 || h >= 340)
    {
      if (s < 0.5 && v > 0.75)
        return TESSERA_COLOUR_PINK;
      if (v < 0.45)
        return TESSERA_COLOUR_BROWN;
      return TESSERA_COLOUR_RED;
    }
  if (h < 45)
    return v < 0.6 ? TESSERA_COLOUR_BROWN : TESSERA_COLOUR_ORANGE;
  if (h < 70)
    return v < 0.45 ? TESSERA_COLOUR_BROWN : TESSERA_COLOUR_YELLOW;
  if (h < 165)
    return TESSERA_COLOUR_GREEN;
  if (h < 255)
    return TESSERA_COLOUR_BLUE;
  if (h < 290)
    return TESSERA_COLOUR_PURPLE;
  return v < 0.5 ? TESSERA_COLOUR_PURPLE : TESSERA_COLOUR_PINK;
}

gboolean
tessera_colour_stats_compute (VipsImage           *image,
                              TesseraColourStats  *stats,
                              GError             **error)
{
  g_autoptr(TesseraVipsImage) thumb = NULL;
  g_autoptr(TesseraVipsImage) flat = NULL;
  g_autoptr(TesseraVipsImage) bytes = NULL;
  g_autofree guint8 *data = NULL;
  VipsImage *current = image;
  size_t size = 0;
  int w, h, bands;
  double scale;
  gsize n, chromatic = 0;

  g_return_val_if_fail (VIPS_IS_IMAGE (image), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  memset (stats, 0, sizeof *stats);

  scale = (double) THUMB_SIDE / MAX (vips_image_get_width (image), vips_image_get_height (image));
  if (scale < 1.0)
    {
      if (vips_resize (current, &thumb, scale, NULL) != 0)
        goto vips_fail;
      current = thumb;
    }
  if (vips_image_hasalpha (current))
    {
      double white[] = { 255, 255, 255 };
      VipsArrayDouble *background = vips_array_double_new (white, 3);
      int status = vips_flatten (current, &flat, "background", background, NULL);

      vips_area_unref (VIPS_AREA (background));
      if (status != 0)
        goto vips_fail;
      current = flat;
    }
  if (vips_image_get_format (current) == VIPS_FORMAT_USHORT)
    {
      g_autoptr(TesseraVipsImage) shifted = NULL;

      if (vips_rshift_const1 (current, &shifted, 8, NULL) != 0
          || vips_cast_uchar (shifted, &bytes, NULL) != 0)
        goto vips_fail;
    }
  else if (vips_cast_uchar (current, &bytes, NULL) != 0)
    goto vips_fail;

  data = vips_image_write_to_memory (bytes, &size);
  if (data == NULL)
    goto vips_fail;

  w = vips_image_get_width (bytes);
  h = vips_image_get_height (bytes);
  bands = vips_image_get_bands (bytes);
  n = (gsize) w * h;
  g_assert (size == n * bands);

  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = data + i * bands;
      guint8 r = p[0], g = bands >= 3 ? p[1] : p[0], b = bands >= 3 ? p[2] : p[0];
      TesseraColour c = tessera_colour_classify (r, g, b);
      double hh, s, v;

      to_hsv (r, g, b, &hh, &s, &v);
      stats->fraction[c] += 1;
      stats->mean_luma += (0.299 * r + 0.587 * g + 0.114 * b) / 255.;
      stats->mean_saturation += s;
      /* Visible colour: channels apart by more than JPEG's chroma noise
       * leaves on a grey picture. */
      if (MAX (r, MAX (g, b)) - MIN (r, MIN (g, b)) >= 16)
        chromatic++;
    }

  for (guint c = 0; c < TESSERA_N_COLOURS; c++)
    stats->fraction[c] /= n;
  stats->mean_luma /= n;
  stats->mean_saturation /= n;
  stats->chromatic_fraction = (double) chromatic / n;

  return TRUE;

vips_fail:
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE,
               "Cannot read the colours: %s", vips_error_buffer ());
  vips_error_clear ();
  return FALSE;
}

static void
tag_shape (VipsImage          *image,
           TesseraImageRecord *record)
{
  double w = vips_image_get_width (image), h = vips_image_get_height (image);
  double ratio = w / h;

  if (ratio >= PANORAMA_RATIO || ratio <= 1 / PANORAMA_RATIO)
    tessera_image_record_add_label (record, "panorama", 1.0, TESSERA_COLOUR_SOURCE);

  if (fabs (ratio - 1) <= SQUARE_TOLERANCE)
    tessera_image_record_add_label (record, "square", 1.0, TESSERA_COLOUR_SOURCE);
  else if (ratio > 1)
    tessera_image_record_add_label (record, "landscape", 1.0, TESSERA_COLOUR_SOURCE);
  else
    tessera_image_record_add_label (record, "portrait orientation", 1.0, TESSERA_COLOUR_SOURCE);
}

gboolean
tessera_colour_tag (VipsImage           *image,
                    TesseraImageRecord  *record,
                    GError             **error)
{
  TesseraColourStats stats;
  gboolean mono;
  guint order[TESSERA_N_COLOURS];

  g_return_val_if_fail (VIPS_IS_IMAGE (image), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  tag_shape (image, record);

  if (!tessera_colour_stats_compute (image, &stats, error))
    return FALSE;

  mono = stats.chromatic_fraction < BW_CHROMATIC_FRACTION;
  if (mono)
    tessera_image_record_add_label (record, "black and white",
                                    1.0 - stats.chromatic_fraction * 20,
                                    TESSERA_COLOUR_SOURCE);

  if (stats.mean_luma < DARK_LUMA)
    tessera_image_record_add_label (record, "dark",
                                    MIN (0.95, 0.6 + (DARK_LUMA - stats.mean_luma) * 3),
                                    TESSERA_COLOUR_SOURCE);
  else if (stats.mean_luma > BRIGHT_LUMA)
    tessera_image_record_add_label (record, "bright",
                                    MIN (0.95, 0.6 + (stats.mean_luma - BRIGHT_LUMA) * 3),
                                    TESSERA_COLOUR_SOURCE);

  /* The largest shares, as long as each is a real share of the picture. */
  for (guint c = 0; c < TESSERA_N_COLOURS; c++)
    order[c] = c;
  for (guint i = 1; i < TESSERA_N_COLOURS; i++)
    for (guint j = i; j > 0 && stats.fraction[order[j]] > stats.fraction[order[j - 1]]; j--)
      {
        guint t = order[j];

        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  for (guint i = 0; i < MAX_COLOURS; i++)
    {
      TesseraColour c = order[i];
      double f = stats.fraction[c];

      if (f < DOMINANT_FRACTION)
        break;
      tessera_image_record_add_label (record, colour_names[c], MIN (0.95, 0.5 + f),
                                      TESSERA_COLOUR_SOURCE);
    }

  return TRUE;
}
