/* test-local.c: the local tagger on real photographs, and its stages' small pieces
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The photographs come from Debian's darknet and opencv-doc packages
 * (tools/fetch-test-images.sh, TESSERA_TEST_IMAGES); without them those
 * tests skip. The truth table below is what a person sees in each picture;
 * /local/quality prints precision and recall per tag over it (the figures
 * in docs/tagging.md) and holds them above a floor.
 */

#define G_LOG_DOMAIN "test-local"

#include "config.h"

#include <glib/gstdio.h>
#include <vips/vips.h>

#include "tessera-colour.h"
#include "tessera-error.h"
#include "tessera-exif.h"
#include "tessera-faces.h"
#include "tessera-ocr.h"
#include "tessera-tagger-local.h"
#include "tessera-taggers.h"
#include "tessera-taggers-private.h"

static TesseraTagger *shared_tagger;
static GHashTable *tagged;   /* path -> TesseraImageRecord */

static const char *
images_dir (void)
{
  const char *dir = g_getenv ("TESSERA_TEST_IMAGES");

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  return dir;
}

static TesseraTagger *
get_tagger (void)
{
  if (shared_tagger == NULL)
    {
      g_autoptr(GError) error = NULL;

      shared_tagger = tessera_tagger_new_by_name ("local", NULL, &error);
      g_assert_no_error (error);
      g_assert_true (TESSERA_IS_TAGGER_LOCAL (shared_tagger));
    }
  return shared_tagger;
}

static gboolean
tag_vips (VipsImage           *image,
          GFile               *original,
          TesseraImageRecord  *record,
          GError             **error)
{
  return tessera_tagger_tag (get_tagger (), original, image, record, NULL, error);
}

/* Tags a picture of the collection once per run, as on-object-created
 * would: decoded, auto-rotated. Returns: (transfer none) (nullable) */
static TesseraImageRecord *
tag_picture (const char *name)
{
  const char *dir = images_dir ();
  g_autofree char *path = NULL;
  TesseraImageRecord *record;

  if (dir == NULL)
    return NULL;
  if (tagged == NULL)
    tagged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) tessera_image_record_free);
  if ((record = g_hash_table_lookup (tagged, name)))
    return record;

  path = g_build_filename (dir, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;

  {
    g_autoptr(TesseraVipsImage) loaded = vips_image_new_from_file (path, NULL);
    g_autoptr(TesseraVipsImage) rotated = NULL;
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (loaded);
    g_assert_cmpint (vips_autorot (loaded, &rotated, NULL), ==, 0);
    record = tessera_image_record_new ();
    g_assert_true (tag_vips (rotated, file, record, &error));
    g_assert_no_error (error);
  }

  g_hash_table_insert (tagged, g_strdup (name), record);
  return record;
}

/* Tags @image with @image itself, saved as PNG, as the original. */
static gboolean
tag_synthetic (VipsImage           *image,
               TesseraImageRecord  *record,
               GError             **error)
{
  g_autofree char *dir = g_dir_make_tmp ("tessera-local-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "original.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gboolean ret;

  g_assert_cmpint (vips_image_write_to_file (image, path, NULL), ==, 0);
  ret = tag_vips (image, file, record, error);
  g_unlink (path);
  g_rmdir (dir);

  return ret;
}

static const TesseraLabel *
find_label (TesseraImageRecord *record,
            const char         *name)
{
  for (guint i = 0; i < record->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (record->labels, i);

      if (g_str_equal (label->name, name))
        return label;
    }
  return NULL;
}

static void
assert_has (const char *picture,
            const char *tag,
            gboolean    expected)
{
  TesseraImageRecord *record = tag_picture (picture);
  const TesseraLabel *label;

  g_assert_nonnull (record);
  label = find_label (record, tag);
  if (expected && label == NULL)
    g_error ("%s: expected “%s”", picture, tag);
  if (!expected && label != NULL)
    g_error ("%s: did not expect “%s” (%.2f from %s)", picture, tag, label->confidence, label->source);
  if (label)
    {
      g_assert_cmpfloat (label->confidence, >, 0.0);
      g_assert_cmpfloat (label->confidence, <=, 1.0);
    }
}

#define REQUIRE_IMAGES() \
  G_STMT_START { \
    if (images_dir () == NULL) \
      { \
        g_test_skip ("no test photographs: run tools/fetch-test-images.sh"); \
        return; \
      } \
  } G_STMT_END

/* Pieces */

static void
test_colour_classify (void)
{
  g_assert_cmpint (tessera_colour_classify (220, 20, 30), ==, TESSERA_COLOUR_RED);
  g_assert_cmpint (tessera_colour_classify (250, 140, 20), ==, TESSERA_COLOUR_ORANGE);
  g_assert_cmpint (tessera_colour_classify (240, 230, 40), ==, TESSERA_COLOUR_YELLOW);
  g_assert_cmpint (tessera_colour_classify (30, 160, 40), ==, TESSERA_COLOUR_GREEN);
  g_assert_cmpint (tessera_colour_classify (30, 60, 200), ==, TESSERA_COLOUR_BLUE);
  g_assert_cmpint (tessera_colour_classify (120, 40, 180), ==, TESSERA_COLOUR_PURPLE);
  g_assert_cmpint (tessera_colour_classify (250, 160, 190), ==, TESSERA_COLOUR_PINK);
  g_assert_cmpint (tessera_colour_classify (120, 70, 30), ==, TESSERA_COLOUR_BROWN);
  g_assert_cmpint (tessera_colour_classify (10, 10, 12), ==, TESSERA_COLOUR_BLACK);
  g_assert_cmpint (tessera_colour_classify (250, 250, 248), ==, TESSERA_COLOUR_WHITE);
  g_assert_cmpint (tessera_colour_classify (128, 128, 130), ==, TESSERA_COLOUR_GRAY);
}

static void
test_exif_make (void)
{
  const char *cases[][2] = {
    { "OLYMPUS OPTICAL CO.,LTD", "olympus" },
    { "NIKON CORPORATION", "nikon" },
    { "Canon", "canon" },
    { "PENTAX             ", "pentax" },
    { "  FUJIFILM", "fujifilm" },
    { "motorola", "motorola" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *make = tessera_exif_normalize_make (cases[i][0]);

      g_assert_cmpstr (make, ==, cases[i][1]);
    }
  g_assert_null (tessera_exif_normalize_make (NULL));
  g_assert_null (tessera_exif_normalize_make ("  ,. "));
}

static void
test_ocr_word (void)
{
  g_assert_true (tessera_ocr_word_is_plausible ("PARKING"));
  g_assert_true (tessera_ocr_word_is_plausible ("Café"));
  g_assert_false (tessera_ocr_word_is_plausible ("ab"));
  g_assert_false (tessera_ocr_word_is_plausible ("1234"));
  g_assert_false (tessera_ocr_word_is_plausible ("|||-"));
  g_assert_false (tessera_ocr_word_is_plausible ("\xff\xfe"));
}

/* Synthetic pictures whose answer is certain */

static VipsImage *
solid (int    width,
       int    height,
       double r,
       double g,
       double b)
{
  double ink[] = { r, g, b };
  g_autoptr(TesseraVipsImage) black = NULL;
  g_autoptr(TesseraVipsImage) painted = NULL;
  VipsImage *out = NULL;

  g_assert_cmpint (vips_black (&black, width, height, "bands", 3, NULL), ==, 0);
  g_assert_cmpint (vips_linear (black, &painted, (double[]) { 1, 1, 1 }, ink, 3, NULL), ==, 0);
  g_assert_cmpint (vips_cast_uchar (painted, &out, NULL), ==, 0);

  return out;
}

static void
test_colour_and_shape (void)
{
  struct {
    int w, h;
    double r, g, b;
    const char *expected[4];
    const char *not_expected[4];
  } cases[] = {
    { 300, 100, 220, 20, 30, { "red", "landscape", "panorama" }, { "black and white", "square" } },
    { 100, 300, 30, 60, 200, { "blue", "portrait orientation", "panorama" }, { "landscape" } },
    { 200, 200, 128, 128, 128, { "gray", "square", "black and white" }, { "red", "dark", "bright" } },
    { 400, 300, 10, 10, 10, { "black", "dark", "landscape", "black and white" }, { "bright", "panorama" } },
    { 300, 400, 250, 250, 250, { "white", "bright", "portrait orientation" }, { "dark" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraVipsImage) image = solid (cases[i].w, cases[i].h, cases[i].r, cases[i].g, cases[i].b);
      g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
      g_autoptr(GError) error = NULL;

      g_assert_true (tessera_colour_tag (image, record, &error));
      g_assert_no_error (error);
      for (guint k = 0; k < 4 && cases[i].expected[k]; k++)
        {
          const TesseraLabel *label = find_label (record, cases[i].expected[k]);

          if (label == NULL)
            g_error ("case %u: expected %s", i, cases[i].expected[k]);
          g_assert_cmpstr (label->source, ==, TESSERA_COLOUR_SOURCE);
        }
      for (guint k = 0; k < 4 && cases[i].not_expected[k]; k++)
        if (find_label (record, cases[i].not_expected[k]))
          g_error ("case %u: did not expect %s", i, cases[i].not_expected[k]);
    }
}

/* A failing stage (here EXIF: the original is gone) leaves the others'
 * labels and says what failed. */
static void
test_stage_failure_keeps_the_rest (void)
{
  g_autoptr(TesseraVipsImage) image = solid (300, 100, 220, 20, 30);
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
  g_autoptr(GFile) gone = g_file_new_for_path ("/nonexistent/tessera/original.jpg");
  g_autoptr(GError) error = NULL;

  g_assert_false (tag_vips (image, gone, record, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE);
  g_assert_true (g_str_has_prefix (error->message, "exif: "));
  g_assert_nonnull (find_label (record, "red"));
  g_assert_nonnull (find_label (record, "panorama"));
  g_assert_null (find_label (record, "face"));
}

/* Pictures too small for any stage still get an honest answer. */
static void
test_tiny_pictures (void)
{
  const int sizes[][2] = { { 1, 1 }, { 3, 40 }, { 40, 3 }, { 25, 25 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(TesseraVipsImage) image = solid (sizes[i][0], sizes[i][1], 200, 200, 200);
      g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
      g_autoptr(GError) error = NULL;

      g_assert_true (tag_synthetic (image, record, &error));
      g_assert_no_error (error);
      g_assert_null (find_label (record, "face"));
      g_assert_null (find_label (record, "text"));
    }
}

/* Grey with alpha, 16-bit: the stages convert rather than misread. */
static void
test_unusual_formats (void)
{
  g_autoptr(TesseraVipsImage) grey = NULL;
  g_autoptr(TesseraVipsImage) with_alpha = NULL;
  g_autoptr(TesseraVipsImage) wide = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (vips_black (&grey, 64, 48, "bands", 1, NULL), ==, 0);
  g_assert_cmpint (vips_bandjoin_const1 (grey, &with_alpha, 255, NULL), ==, 0);
  g_assert_cmpint (vips_cast_ushort (with_alpha, &wide, NULL), ==, 0);

  g_assert_true (tag_synthetic (wide, record, &error));
  g_assert_no_error (error);
  g_assert_nonnull (find_label (record, "black"));
  g_assert_nonnull (find_label (record, "black and white"));
  g_assert_nonnull (find_label (record, "landscape"));
}

/* 8 and 16 bits, RGB, grey and alpha all give the same grey. */
static void
test_grey_conversion (void)
{
  g_autoptr(TesseraVipsImage) rgb8 = solid (50, 40, 200, 100, 50);
  g_autoptr(TesseraVipsImage) rgb16 = NULL;
  g_autoptr(TesseraVipsImage) scaled = NULL;
  g_autoptr(TesseraVipsImage) with_alpha = NULL;
  VipsImage *inputs[3];
  guint8 expected = (guint8) (0.299 * 200 + 0.587 * 100 + 0.114 * 50 + 0.5);

  g_assert_cmpint (vips_linear1 (rgb8, &scaled, 257.0, 0.0, NULL), ==, 0);
  g_assert_cmpint (vips_cast_ushort (scaled, &rgb16, NULL), ==, 0);
  g_assert_cmpint (vips_bandjoin_const1 (rgb8, &with_alpha, 255, NULL), ==, 0);
  inputs[0] = rgb8;
  inputs[1] = rgb16;
  inputs[2] = with_alpha;

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      TesseraGrey grey;

      data = tessera_grey_from_vips (inputs[i], 720, &grey, &error);
      g_assert_no_error (error);
      g_assert_cmpint (grey.width, ==, 50);
      g_assert_cmpint (grey.height, ==, 40);
      g_assert_cmpint (ABS (grey.data[20 * grey.stride + 25] - expected), <=, 1);
    }
}

static void
test_bad_cascade_dir (void)
{
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  TesseraTagger *tagger;

  g_key_file_set_string (config, "tagger", "cascade-dir", "/nonexistent");
  tagger = tessera_tagger_new_by_name ("local", config, &error);
  g_assert_null (tagger);
  g_assert_nonnull (error);

  g_clear_error (&error);
  g_assert_null (tessera_tagger_new_by_name ("none", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (tessera_tagger_new_by_name ("astrology", NULL, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
}

/* Photographs */

static void
test_faces (void)
{
  const char *with_faces[] = { "opencv/messi5.jpg", "opencv/basketball1.png", "opencv/basketball2.png" };
  const char *without[] = {
    "opencv/baboon.jpg", "opencv/fruits.jpg", "opencv/building.jpg", "darknet/dog.jpg",
    "darknet/horses.jpg", "darknet/giraffe.jpg", "darknet/eagle.jpg", "opencv/chicky_512.png",
    "opencv/left01.jpg", "opencv/left07.jpg", "opencv/left14.jpg", "opencv/box_in_scene.png",
  };

  REQUIRE_IMAGES ();

  for (guint i = 0; i < G_N_ELEMENTS (with_faces); i++)
    {
      assert_has (with_faces[i], "face", TRUE);
      assert_has (with_faces[i], "person", TRUE);
      /* One person each: not "people". */
      assert_has (with_faces[i], "people", FALSE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (without); i++)
    {
      assert_has (without[i], "face", FALSE);
      assert_has (without[i], "person", FALSE);
    }
}

/* Three real faces side by side are people; one of them alone is not. */
static void
test_people (void)
{
  g_autofree char *path = NULL;
  g_autoptr(TesseraVipsImage) messi = NULL;
  g_autoptr(TesseraVipsImage) face = NULL;
  g_autoptr(TesseraVipsImage) three = NULL;
  g_autoptr(TesseraImageRecord) one_record = tessera_image_record_new ();
  g_autoptr(TesseraImageRecord) three_record = tessera_image_record_new ();
  g_autoptr(GError) error = NULL;
  VipsImage *row[3];

  REQUIRE_IMAGES ();

  path = g_build_filename (images_dir (), "opencv", "messi5.jpg", NULL);
  messi = vips_image_new_from_file (path, NULL);
  g_assert_nonnull (messi);
  g_assert_cmpint (vips_crop (messi, &face, 170, 30, 170, 180, NULL), ==, 0);
  row[0] = row[1] = row[2] = face;
  g_assert_cmpint (vips_arrayjoin (row, &three, 3, "across", 3, NULL), ==, 0);

  g_assert_true (tag_synthetic (face, one_record, &error));
  g_assert_no_error (error);
  g_assert_nonnull (find_label (one_record, "face"));
  g_assert_null (find_label (one_record, "people"));

  g_assert_true (tag_synthetic (three, three_record, &error));
  g_assert_no_error (error);
  g_assert_nonnull (find_label (three_record, "face"));
  g_assert_nonnull (find_label (three_record, "people"));
  g_assert_null (find_label (three_record, "portrait"));
}

static void
test_text (void)
{
  const char *with_text[] = {
    "text/scenetext01.jpg", "text/scenetext02.jpg", "text/scenetext05.jpg", "text/scenetext06.jpg",
    "opencv/imageTextN.png",
  };
  const char *without[] = {
    "opencv/baboon.jpg", "opencv/fruits.jpg", "darknet/horses.jpg", "darknet/eagle.jpg",
    "darknet/giraffe.jpg", "darknet/dog.jpg", "opencv/chicky_512.png", "opencv/digits.png",
  };
  TesseraImageRecord *record;
  const char *text = NULL;

  REQUIRE_IMAGES ();

  for (guint i = 0; i < G_N_ELEMENTS (with_text); i++)
    assert_has (with_text[i], "text", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (without); i++)
    assert_has (without[i], "text", FALSE);

  /* The words are kept for search, not as tags. */
  record = tag_picture ("text/scenetext01.jpg");
  g_assert_nonnull (record->metadata);
  text = json_object_get_string_member_with_default (record->metadata, "text", NULL);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "PARKING"));
  assert_has ("text/scenetext01.jpg", "parking", FALSE);
  assert_has ("text/scenetext01.jpg", "document", FALSE);

  /* A page of text is a document; a street sign is not. */
  assert_has ("opencv/imageTextN.png", "document", TRUE);
  assert_has ("text/scenetext02.jpg", "document", FALSE);
}

static void
test_colours_on_photographs (void)
{
  REQUIRE_IMAGES ();

  assert_has ("opencv/left01.jpg", "black and white", TRUE);
  assert_has ("opencv/basketball1.png", "black and white", TRUE);
  assert_has ("opencv/fruits.jpg", "black and white", FALSE);
  assert_has ("opencv/leuvenB.jpg", "black and white", FALSE);
  assert_has ("opencv/squirrel_cls.jpg", "green", TRUE);
  assert_has ("opencv/starry_night.jpg", "blue", TRUE);
  assert_has ("opencv/rubberwhale1.png", "orange", TRUE);
  assert_has ("opencv/LinuxLogo.jpg", "dark", TRUE);
  assert_has ("opencv/cards.png", "bright", TRUE);
  assert_has ("darknet/horses.jpg", "landscape", TRUE);
  assert_has ("darknet/scream.jpg", "portrait orientation", TRUE);
  assert_has ("opencv/baboon.jpg", "square", TRUE);
  assert_has ("opencv/imageTextN.png", "panorama", TRUE);
  assert_has ("darknet/horses.jpg", "panorama", FALSE);
}

static void
test_exif (void)
{
  TesseraImageRecord *record;
  JsonObject *exif;

  REQUIRE_IMAGES ();

  assert_has ("text/scenetext02.jpg", "flash", TRUE);
  assert_has ("text/scenetext02.jpg", "minolta", TRUE);
  assert_has ("text/scenetext02.jpg", "2002", TRUE);
  assert_has ("text/scenetext01.jpg", "flash", FALSE);
  assert_has ("opencv/leuvenA.jpg", "geotagged", TRUE);
  assert_has ("opencv/leuvenA.jpg", "apple", TRUE);
  assert_has ("opencv/board.jpg", "olympus", TRUE);
  assert_has ("opencv/board.jpg", "geotagged", FALSE);

  record = tag_picture ("opencv/leuvenA.jpg");
  exif = json_object_get_object_member (record->metadata, "exif");
  g_assert_nonnull (exif);
  g_assert_cmpstr (json_object_get_string_member (exif, "make"), ==, "Apple");
  g_assert_cmpstr (json_object_get_string_member (exif, "model"), ==, "iPhone 6");
  g_assert_cmpstr (json_object_get_string_member (exif, "dateTaken"), ==, "2019-04-14T13:46:10");
  g_assert_cmpint (json_object_get_int_member (exif, "orientation"), ==, 1);
  g_assert_true (json_object_get_boolean_member (exif, "gps"));

  /* No EXIF, no camera facts. */
  record = tag_picture ("opencv/messi5.jpg");
  exif = json_object_get_object_member (record->metadata, "exif");
  g_assert_false (json_object_has_member (exif, "make"));
  g_assert_false (json_object_get_boolean_member (exif, "gps"));
  for (guint i = 0; i < record->labels->len; i++)
    g_assert_cmpstr (((TesseraLabel *) g_ptr_array_index (record->labels, i))->source, !=,
                     TESSERA_EXIF_SOURCE);
}

/* What a person sees in each picture, for the tags we can judge. */
typedef struct
{
  const char *picture;
  const char *truth;   /* the tags that are true, comma-separated */
} Truth;

static const char *judged_tags[] = { "face", "person", "people", "smile", "portrait", "text", "document",
                                     "black and white", "flash", "geotagged" };

static const Truth truth[] = {
  { "opencv/messi5.jpg", "face,person,text" },
  { "opencv/basketball1.png", "face,person,smile,black and white" },
  { "opencv/basketball2.png", "face,person,smile,black and white" },
  { "opencv/ml.png", "face,portrait" },   /* a cartoon robot: a face, not a person */
  { "darknet/person.jpg", "person" },
  { "darknet/kite.jpg", "person,people" },
  { "darknet/scream.jpg", "face,person,portrait" },
  { "darknet/dog.jpg", "" },
  { "darknet/eagle.jpg", "" },
  { "darknet/giraffe.jpg", "" },
  { "darknet/horses.jpg", "" },
  { "opencv/baboon.jpg", "" },
  { "opencv/fruits.jpg", "" },
  { "opencv/building.jpg", "" },
  { "opencv/chicky_512.png", "" },
  { "opencv/squirrel_cls.jpg", "" },
  { "opencv/starry_night.jpg", "" },
  { "opencv/butterfly.jpg", "" },
  { "opencv/apple.jpg", "" },
  { "opencv/orange.jpg", "" },
  { "opencv/home.jpg", "" },
  { "opencv/leuvenA.jpg", "geotagged" },
  { "opencv/leuvenB.jpg", "geotagged" },
  { "opencv/board.jpg", "" },
  { "opencv/left01.jpg", "black and white" },
  { "opencv/left07.jpg", "black and white,text" },
  { "opencv/left14.jpg", "black and white" },
  { "opencv/box_in_scene.png", "black and white" },
  { "opencv/digits.png", "black and white" },
  { "opencv/sudoku.png", "black and white" },
  { "opencv/imageTextN.png", "black and white,text,document" },
  { "opencv/imageTextR.png", "black and white,text,document" },
  { "opencv/text_defocus.jpg", "black and white,text" },
  { "opencv/text_motion.jpg", "black and white,text" },
  { "opencv/licenseplate_motion.jpg", "" },
  { "text/scenetext01.jpg", "text" },
  { "text/scenetext02.jpg", "text,flash" },
  { "text/scenetext03.jpg", "text" },
  { "text/scenetext04.jpg", "text" },
  { "text/scenetext05.jpg", "text" },
  { "text/scenetext06.jpg", "text" },
};

static void
test_quality (void)
{
  guint tp[G_N_ELEMENTS (judged_tags)] = { 0 };
  guint fp[G_N_ELEMENTS (judged_tags)] = { 0 };
  guint fn[G_N_ELEMENTS (judged_tags)] = { 0 };
  guint tn[G_N_ELEMENTS (judged_tags)] = { 0 };

  REQUIRE_IMAGES ();

  for (guint i = 0; i < G_N_ELEMENTS (truth); i++)
    {
      TesseraImageRecord *record = tag_picture (truth[i].picture);
      g_auto(GStrv) true_tags = g_strsplit (truth[i].truth, ",", -1);

      g_assert_nonnull (record);
      for (guint t = 0; t < G_N_ELEMENTS (judged_tags); t++)
        {
          gboolean is_true = g_strv_contains ((const char * const *) true_tags, judged_tags[t]);
          gboolean said = find_label (record, judged_tags[t]) != NULL;

          if (said && is_true)
            tp[t]++;
          else if (said)
            {
              fp[t]++;
              g_test_message ("false %s: %s", judged_tags[t], truth[i].picture);
            }
          else if (is_true)
            {
              fn[t]++;
              g_test_message ("missed %s: %s", judged_tags[t], truth[i].picture);
            }
          else
            tn[t]++;
        }
    }

  g_test_message ("%u pictures", (guint) G_N_ELEMENTS (truth));
  g_test_message ("| tag | true pos. | false pos. | missed | true neg. | precision | recall |");
  for (guint t = 0; t < G_N_ELEMENTS (judged_tags); t++)
    {
      g_autofree char *precision = tp[t] + fp[t] ? g_strdup_printf ("%.2f", (double) tp[t] / (tp[t] + fp[t])) : g_strdup ("n/a");
      g_autofree char *recall = tp[t] + fn[t] ? g_strdup_printf ("%.2f", (double) tp[t] / (tp[t] + fn[t])) : g_strdup ("n/a");

      g_test_message ("| %s | %u | %u | %u | %u | %s | %s |", judged_tags[t],
                      tp[t], fp[t], fn[t], tn[t], precision, recall);
    }

  /* Floors a regression would break: no false faces or text on these
   * pictures, and most of what is there found. */
  g_assert_cmpuint (fp[0], ==, 0);              /* face */
  g_assert_cmpuint (tp[0], >=, 4);
  g_assert_cmpuint (fp[5], <=, 1);              /* text */
  g_assert_cmpuint (tp[5] * 2, >=, tp[5] + fn[5]);
  g_assert_cmpuint (fp[7], ==, 0);              /* black and white */
  g_assert_cmpuint (fn[7], ==, 0);
  g_assert_cmpuint (fp[8] + fn[8], ==, 0);      /* flash */
  g_assert_cmpuint (fp[9] + fn[9], ==, 0);      /* geotagged */
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (VIPS_INIT (argv[0]) != 0)
    g_error ("vips: %s", vips_error_buffer ());

  g_test_add_func ("/local/unit/colour-classify", test_colour_classify);
  g_test_add_func ("/local/unit/exif-make", test_exif_make);
  g_test_add_func ("/local/unit/ocr-word", test_ocr_word);
  g_test_add_func ("/local/colour-and-shape", test_colour_and_shape);
  g_test_add_func ("/local/stage-failure-keeps-the-rest", test_stage_failure_keeps_the_rest);
  g_test_add_func ("/local/tiny-pictures", test_tiny_pictures);
  g_test_add_func ("/local/unusual-formats", test_unusual_formats);
  g_test_add_func ("/local/unit/grey-conversion", test_grey_conversion);
  g_test_add_func ("/local/bad-cascade-dir", test_bad_cascade_dir);
  g_test_add_func ("/local/photographs/faces", test_faces);
  g_test_add_func ("/local/photographs/people", test_people);
  g_test_add_func ("/local/photographs/text", test_text);
  g_test_add_func ("/local/photographs/colours", test_colours_on_photographs);
  g_test_add_func ("/local/photographs/exif", test_exif);
  g_test_add_func ("/local/photographs/quality", test_quality);

  status = g_test_run ();

  g_clear_pointer (&tagged, g_hash_table_unref);
  g_clear_object (&shared_tagger);
  return status;
}
