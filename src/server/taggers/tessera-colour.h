/* tessera-colour.h: dominant colours, tone and shape
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <vips/vips.h>

#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_COLOUR_SOURCE "local/colour"

typedef enum
{
  TESSERA_COLOUR_RED,
  TESSERA_COLOUR_ORANGE,
  TESSERA_COLOUR_YELLOW,
  TESSERA_COLOUR_GREEN,
  TESSERA_COLOUR_BLUE,
  TESSERA_COLOUR_PURPLE,
  TESSERA_COLOUR_PINK,
  TESSERA_COLOUR_BROWN,
  TESSERA_COLOUR_BLACK,
  TESSERA_COLOUR_WHITE,
  TESSERA_COLOUR_GRAY,
  TESSERA_N_COLOURS
} TesseraColour;

typedef struct
{
  double fraction[TESSERA_N_COLOURS];  /* of the pixels, sums to 1 */
  double mean_luma;                    /* 0..1 */
  double mean_saturation;              /* 0..1 */
  double chromatic_fraction;           /* pixels with visible colour */
} TesseraColourStats;

const char    *tessera_colour_to_string      (TesseraColour              colour);

/* The palette entry an sRGB pixel belongs to. */
TesseraColour  tessera_colour_classify       (guint8                     r,
                                              guint8                     g,
                                              guint8                     b);

gboolean       tessera_colour_stats_compute  (VipsImage                 *image,
                                              TesseraColourStats        *stats,
                                              GError                   **error);

/* Adds colour names, "black and white", "dark"/"bright" and the shape
 * (landscape, portrait orientation, square, panorama) to @record. */
gboolean       tessera_colour_tag            (VipsImage                 *image,
                                              TesseraImageRecord        *record,
                                              GError                   **error);

G_END_DECLS
