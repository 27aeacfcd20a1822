/* tessera-cascade.h: a Viola–Jones (Haar) cascade evaluator for OpenCV 4's XML
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A grey image, 8 bits per pixel, rows @stride bytes apart. Borrowed. */
typedef struct
{
  const guint8 *data;
  int           width;
  int           height;
  int           stride;
} TesseraGrey;

/* A detection: a box in the image's pixels and, after grouping, how many
 * raw windows agreed on it (OpenCV's "numDetections"). */
typedef struct
{
  int x;
  int y;
  int width;
  int height;
  int neighbours;
} TesseraDetection;

typedef struct
{
  double scale_factor;    /* > 1; OpenCV's default is 1.1 */
  int    min_neighbours;  /* groups of at most this many windows are dropped */
  int    min_width;       /* 0: no bound */
  int    min_height;
  int    max_width;       /* 0: the image's size */
  int    max_height;
} TesseraDetectParams;

#define TESSERA_DETECT_PARAMS_INIT { 1.1, 3, 0, 0, 0, 0 }

/* Sums are 32-bit as in OpenCV: twice the sum of a picture's pixels must
 * fit, so detection works on pictures of at most 4 megapixels (it is meant
 * for a downscaled copy). */
#define TESSERA_CASCADE_MAX_PIXELS (4 * 1000 * 1000)

typedef struct _TesseraCascade TesseraCascade;

TesseraCascade *tessera_cascade_new_from_file   (const char                *path,
                                                 GError                   **error);
TesseraCascade *tessera_cascade_new_from_data   (const char                *xml,
                                                 gssize                     length,
                                                 GError                   **error);
TesseraCascade *tessera_cascade_ref             (TesseraCascade            *self);
void            tessera_cascade_unref           (TesseraCascade            *self);
void            tessera_cascade_get_window      (TesseraCascade            *self,
                                                 int                       *width,
                                                 int                       *height);
guint           tessera_cascade_get_n_stages    (TesseraCascade            *self);
gboolean        tessera_cascade_has_tilted      (TesseraCascade            *self);

/* Every window the cascade accepts, before grouping (neighbours = 1), as
 * OpenCV's detectMultiScale computes them.
 * Returns: (transfer full) (element-type TesseraDetection) */
GArray         *tessera_cascade_detect_raw      (TesseraCascade            *self,
                                                 const TesseraGrey         *grey,
                                                 const TesseraDetectParams *params);

/* detect_raw followed by tessera_group_rectangles (eps 0.2), like
 * cv::CascadeClassifier::detectMultiScale.
 * Returns: (transfer full) (element-type TesseraDetection) */
GArray         *tessera_cascade_detect          (TesseraCascade            *self,
                                                 const TesseraGrey         *grey,
                                                 const TesseraDetectParams *params);

/* cv::groupRectangles: clusters similar boxes (relative @eps), averages
 * each cluster, keeps clusters of more than @group_threshold boxes and drops
 * small ones inside bigger, better supported ones. In place. */
void            tessera_group_rectangles        (GArray                    *detections,
                                                 int                        group_threshold,
                                                 double                     eps);

/* The integral images, each (width + 1) x (height + 1) with a zero first row
 * and column: @sum (pixels), @sqsum (squares, modulo 2^32 as OpenCV keeps
 * them) and, when not NULL, @tilted (45° rotated sums, Lienhart's RSAT, with
 * OpenCV's definition). */
void            tessera_integral_compute        (const TesseraGrey         *grey,
                                                 gint32                    *sum,
                                                 guint32                   *sqsum,
                                                 gint32                    *tilted);

/* Bilinear resize with OpenCV's pixel-centre convention and fixed-point
 * weights (close to INTER_LINEAR_EXACT); @dst is @dst_width x @dst_height,
 * packed. */
void            tessera_grey_resize             (const TesseraGrey         *src,
                                                 guint8                    *dst,
                                                 int                        dst_width,
                                                 int                        dst_height);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraCascade, tessera_cascade_unref)

G_END_DECLS
