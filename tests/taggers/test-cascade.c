/* test-cascade.c: our Viola–Jones evaluator, piece by piece and against OpenCV
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-cascade"

#include "config.h"

#include <glib/gstdio.h>
#include <sys/wait.h>
#include <string.h>
#include <vips/vips.h>

#include "tessera-cascade.h"
#include "tessera-error.h"
#include "tessera-faces.h"
#include "tessera-taggers-private.h"

static char *
cascade_path (const char *name)
{
  return g_build_filename (HAARCASCADES_DIR, name, NULL);
}

static guint8 *
random_grey (int      width,
             int      height,
             GRand   *rand,
             TesseraGrey *grey)
{
  guint8 *data = g_malloc ((gsize) width * height);

  for (int i = 0; i < width * height; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  grey->data = data;
  grey->width = width;
  grey->height = height;
  grey->stride = width;

  return data;
}

/* The integral images against their definitions, pixel by pixel. */
static void
test_integral_definition (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  const int sizes[][2] = { { 1, 1 }, { 7, 3 }, { 3, 9 }, { 13, 11 } };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      int w = sizes[k][0], h = sizes[k][1], s = w + 1;
      TesseraGrey grey;
      g_autofree guint8 *data = random_grey (w, h, rand, &grey);
      g_autofree gint32 *sum = g_new (gint32, (w + 1) * (h + 1));
      g_autofree guint32 *sqsum = g_new (guint32, (w + 1) * (h + 1));
      g_autofree gint32 *tilted = g_new (gint32, (w + 1) * (h + 1));

      tessera_integral_compute (&grey, sum, sqsum, tilted);

      for (int Y = 0; Y <= h; Y++)
        for (int X = 0; X <= w; X++)
          {
            gint64 es = 0, esq = 0, et = 0;

            for (int y = 0; y < h; y++)
              for (int x = 0; x < w; x++)
                {
                  int v = data[y * w + x];

                  if (x < X && y < Y)
                    es += v, esq += v * v;
                  if (y < Y && ABS (x - X + 1) <= Y - y - 1)
                    et += v;
                }
            g_assert_cmpint (sum[Y * s + X], ==, es);
            g_assert_cmpuint (sqsum[Y * s + X], ==, (guint32) esq);
            g_assert_cmpint (tilted[Y * s + X], ==, et);
          }
    }
}

static void
test_resize (void)
{
  guint8 src_data[4 * 4];
  guint8 dst[2 * 2];
  TesseraGrey src = { src_data, 4, 4, 4 };

  /* A halving samples between pixel pairs: the mean of each 2x2 block. */
  for (int i = 0; i < 16; i++)
    src_data[i] = (guint8) (i * 10);
  tessera_grey_resize (&src, dst, 2, 2);
  g_assert_cmpint (dst[0], ==, (0 + 10 + 40 + 50 + 2) / 4);
  g_assert_cmpint (dst[3], ==, (100 + 110 + 140 + 150 + 2) / 4);

  /* Same size is a copy. */
  {
    guint8 same[16];

    tessera_grey_resize (&src, same, 4, 4);
    g_assert_cmpmem (same, 16, src_data, 16);
  }
}

static void
test_group_rectangles (void)
{
  g_autoptr(GArray) boxes = g_array_new (FALSE, FALSE, sizeof (TesseraDetection));
  TesseraDetection cluster[] = {
    { 100, 100, 50, 50, 1 }, { 102, 98, 52, 52, 1 }, { 98, 101, 49, 49, 1 },
    { 101, 100, 50, 51, 1 }, { 99, 99, 51, 50, 1 },
  };
  TesseraDetection lonely = { 400, 10, 40, 40, 1 };
  TesseraDetection pair[] = { { 300, 300, 30, 30, 1 }, { 301, 300, 30, 30, 1 } };
  const TesseraDetection *g;

  g_array_append_vals (boxes, cluster, G_N_ELEMENTS (cluster));
  g_array_append_val (boxes, lonely);
  g_array_append_vals (boxes, pair, G_N_ELEMENTS (pair));

  /* Only the cluster of five has more than three members. */
  tessera_group_rectangles (boxes, 3, 0.2);
  g_assert_cmpuint (boxes->len, ==, 1);
  g = &g_array_index (boxes, TesseraDetection, 0);
  g_assert_cmpint (g->x, ==, 100);
  g_assert_cmpint (g->y, ==, 100);
  g_assert_cmpint (g->width, ==, 50);
  g_assert_cmpint (g->height, ==, 50);
  g_assert_cmpint (g->neighbours, ==, 5);
}

static void
test_load_cascades (void)
{
  const char *names[] = {
    "haarcascade_frontalface_alt2.xml", "haarcascade_frontalface_default.xml",
    "haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml", "haarcascade_smile.xml",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = cascade_path (names[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraCascade) cascade = tessera_cascade_new_from_file (path, &error);
      int w = 0, h = 0;

      g_assert_no_error (error);
      g_assert_nonnull (cascade);
      tessera_cascade_get_window (cascade, &w, &h);
      g_assert_cmpint (w, >=, 10);
      g_assert_cmpint (h, >=, 10);
      g_assert_cmpuint (tessera_cascade_get_n_stages (cascade), >=, 10);
    }
}

static void
test_bad_cascades (void)
{
  const char *bad[] = {
    "",
    "not xml at all",
    "<opencv_storage><cascade><width>20</width><height>20</height></cascade></opencv_storage>",
    /* a node pointing to a feature that does not exist */
    "<opencv_storage><cascade><featureType>HAAR</featureType><width>20</width><height>20</height>"
    "<stages><_><stageThreshold>0.5</stageThreshold><weakClassifiers><_>"
    "<internalNodes>0 -1 7 0.1</internalNodes><leafValues>0.1 0.9</leafValues></_>"
    "</weakClassifiers></_></stages><features><_><rects><_>0 0 4 4 -1.</_></rects>"
    "<tilted>0</tilted></_></features></cascade></opencv_storage>",
    /* a rectangle outside the window */
    "<opencv_storage><cascade><featureType>HAAR</featureType><width>20</width><height>20</height>"
    "<stages><_><stageThreshold>0.5</stageThreshold><weakClassifiers><_>"
    "<internalNodes>0 -1 0 0.1</internalNodes><leafValues>0.1 0.9</leafValues></_>"
    "</weakClassifiers></_></stages><features><_><rects><_>18 0 4 4 -1.</_></rects>"
    "<tilted>0</tilted></_></features></cascade></opencv_storage>",
    /* LBP is another evaluator */
    "<opencv_storage><cascade><featureType>LBP</featureType></cascade></opencv_storage>",
    /* a leaf missing */
    "<opencv_storage><cascade><featureType>HAAR</featureType><width>20</width><height>20</height>"
    "<stages><_><stageThreshold>0.5</stageThreshold><weakClassifiers><_>"
    "<internalNodes>0 -1 0 0.1</internalNodes><leafValues>0.1</leafValues></_>"
    "</weakClassifiers></_></stages><features><_><rects><_>0 0 4 4 -1.</_></rects>"
    "<tilted>0</tilted></_></features></cascade></opencv_storage>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraCascade) cascade = tessera_cascade_new_from_data (bad[i], -1, &error);

      g_assert_null (cascade);
      g_assert_nonnull (error);
      g_test_message ("bad cascade %u: %s", i, error->message);
    }
}

/* Against OpenCV */

static const char *
images_dir (void)
{
  const char *dir = g_getenv ("TESSERA_TEST_IMAGES");

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  return dir;
}

static void
write_pgm (const char        *path,
           const TesseraGrey *grey)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_string_append_printf (out, "P5\n%d %d\n255\n", grey->width, grey->height);
  for (int y = 0; y < grey->height; y++)
    g_string_append_len (out, (const char *) grey->data + (gsize) y * grey->stride, grey->width);
  g_file_set_contents (path, out->str, out->len, &error);
  g_assert_no_error (error);
}

static GArray *
opencv_detect (const char *cascade,
               const char *pgm,
               int         min_neighbours,
               int         min_size)
{
  g_autofree char *script = g_build_filename (TAGGERS_TEST_SRCDIR, "opencv-detect.py", NULL);
  g_autofree char *mn = g_strdup_printf ("%d", min_neighbours);
  g_autofree char *ms = g_strdup_printf ("%d", min_size);
  const char *argv[] = { "/usr/bin/python3", script, cascade, pgm, mn, ms, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (TesseraDetection));
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      g_array_unref (boxes);
      return NULL;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("opencv-detect.py failed: %s", err);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      TesseraDetection d = { 0 };

      if (sscanf (lines[i], "%d %d %d %d", &d.x, &d.y, &d.width, &d.height) == 4)
        g_array_append_val (boxes, d);
    }

  return boxes;
}

/* The same box, give or take @tolerance pixels on each edge. */
static gboolean
same_box (const TesseraDetection *a,
          const TesseraDetection *b,
          int                     tolerance)
{
  return ABS (a->x - b->x) <= tolerance
         && ABS (a->y - b->y) <= tolerance
         && ABS (a->x + a->width - b->x - b->width) <= tolerance
         && ABS (a->y + a->height - b->y - b->height) <= tolerance;
}

typedef struct
{
  const char *image;
  const char *cascade;
  int         min_neighbours;
} Comparison;

static void
test_against_opencv (void)
{
  /* Faces, crowds, fur and fruit, eyes and smiles; then cascades made of
   * trees and 45° (tilted) features, whatever they find. */
  const Comparison cases[] = {
    { "opencv/messi5.jpg", "haarcascade_frontalface_alt2.xml", 3 },
    { "darknet/person.jpg", "haarcascade_frontalface_alt2.xml", 3 },
    { "opencv/baboon.jpg", "haarcascade_frontalface_alt2.xml", 3 },
    { "opencv/fruits.jpg", "haarcascade_frontalface_alt2.xml", 3 },
    { "darknet/dog.jpg", "haarcascade_frontalface_alt2.xml", 3 },
    { "opencv/basketball1.png", "haarcascade_frontalface_alt2.xml", 3 },
    { "darknet/scream.jpg", "haarcascade_frontalface_alt2.xml", 1 },
    { "opencv/building.jpg", "haarcascade_frontalface_alt2.xml", 1 },
    { "opencv/messi5.jpg", "haarcascade_eye.xml", 3 },
    { "opencv/baboon.jpg", "haarcascade_eye.xml", 3 },
    { "opencv/messi5.jpg", "haarcascade_smile.xml", 10 },
    /* trees and tilted features */
    { "opencv/basketball1.png", "haarcascade_eye_tree_eyeglasses.xml", 1 },
    { "opencv/messi5.jpg", "haarcascade_eye_tree_eyeglasses.xml", 1 },
    { "darknet/person.jpg", "haarcascade_fullbody.xml", 1 },
    { "darknet/kite.jpg", "haarcascade_upperbody.xml", 1 },
    /* no grouping: every raw window */
    { "opencv/messi5.jpg", "haarcascade_frontalface_alt2.xml", 0 },
    { "opencv/basketball1.png", "haarcascade_eye_tree_eyeglasses.xml", 0 },
    { "darknet/person.jpg", "haarcascade_fullbody.xml", 0 },
  };
  const char *dir = images_dir ();
  g_autofree char *tmp = NULL;
  guint total_ours = 0, total_matched = 0, total_theirs = 0;

  if (dir == NULL || !g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no test images (tools/fetch-test-images.sh) or no python3-opencv");
      return;
    }

  tmp = g_dir_make_tmp ("tessera-cascade-XXXXXX", NULL);
  g_assert_nonnull (tmp);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (dir, cases[i].image, NULL);
      g_autofree char *cpath = cascade_path (cases[i].cascade);
      g_autofree char *pgm = g_build_filename (tmp, "grey.pgm", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraVipsImage) image = NULL;
      g_autoptr(TesseraCascade) cascade = NULL;
      g_autoptr(GArray) ours = NULL;
      g_autoptr(GArray) theirs = NULL;
      g_autofree guint8 *data = NULL;
      TesseraDetectParams params = TESSERA_DETECT_PARAMS_INIT;
      TesseraGrey grey;
      guint matched = 0;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_test_message ("%s missing", path);
          continue;
        }
      image = vips_image_new_from_file (path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
      g_assert_nonnull (image);
      data = tessera_grey_from_vips (image, TESSERA_FACES_MAX_SIDE, &grey, &error);
      g_assert_no_error (error);
      write_pgm (pgm, &grey);

      cascade = tessera_cascade_new_from_file (cpath, &error);
      g_assert_no_error (error);
      params.min_neighbours = cases[i].min_neighbours;
      ours = tessera_cascade_detect (cascade, &grey, &params);
      theirs = opencv_detect (cpath, pgm, cases[i].min_neighbours, 0);
      if (theirs == NULL)
        {
          g_unlink (pgm);
          g_rmdir (tmp);
          g_test_skip ("python3-opencv is not installed");
          return;
        }

      /* Every box of ours has a twin in OpenCV's answer and vice versa. */
      for (guint a = 0; a < ours->len; a++)
        for (guint b = 0; b < theirs->len; b++)
          if (same_box (&g_array_index (ours, TesseraDetection, a),
                        &g_array_index (theirs, TesseraDetection, b), 2))
            {
              matched++;
              break;
            }
      g_test_message ("%s %s: ours %u, OpenCV %u, matched %u", cases[i].image,
                      cases[i].cascade, ours->len, theirs->len, matched);
      if (g_getenv ("TESSERA_CASCADE_VERBOSE"))
        {
          for (guint a = 0; a < ours->len; a++)
            {
              TesseraDetection *d = &g_array_index (ours, TesseraDetection, a);
              g_printerr ("  ours   %d %d %d %d (%d)\n", d->x, d->y, d->width, d->height, d->neighbours);
            }
          for (guint b = 0; b < theirs->len; b++)
            {
              TesseraDetection *d = &g_array_index (theirs, TesseraDetection, b);
              g_printerr ("  opencv %d %d %d %d\n", d->x, d->y, d->width, d->height);
            }
        }
      total_ours += ours->len;
      total_theirs += theirs->len;
      total_matched += matched;
      g_unlink (pgm);
    }
  g_rmdir (tmp);

  g_test_message ("all: ours %u, OpenCV %u, matched %u", total_ours, total_theirs, total_matched);
  g_assert_cmpuint (total_theirs, >, 5);
  /* Resizing differs by a rounding here and there, so a borderline window
   * may tip either way; allow one box in twenty. */
  g_assert_cmpuint (total_matched * 20, >=, total_theirs * 19);
  g_assert_cmpuint (total_matched * 20, >=, total_ours * 19);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (VIPS_INIT (argv[0]) != 0)
    g_error ("vips: %s", vips_error_buffer ());

  g_test_add_func ("/cascade/integral", test_integral_definition);
  g_test_add_func ("/cascade/resize", test_resize);
  g_test_add_func ("/cascade/group-rectangles", test_group_rectangles);
  g_test_add_func ("/cascade/load", test_load_cascades);
  g_test_add_func ("/cascade/bad-xml", test_bad_cascades);
  g_test_add_func ("/cascade/against-opencv", test_against_opencv);

  return g_test_run ();
}
