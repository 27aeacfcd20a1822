/* test-util.c: tag names, base64url and ISO 8601 times from tessera-util
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-util"

#include "config.h"

#include <string.h>

#include "tessera-error.h"
#include "tessera-util.h"

static void
assert_tag (const char *raw,
            const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tag = tessera_tag_normalize (raw, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (tag, ==, expected);
}

static void
assert_tag_refused (const char *raw)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tag = tessera_tag_normalize (raw, &error);

  g_assert_null (tag);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
  g_assert_cmpuint (tessera_error_to_http_status (error), ==, 400);
}

static void
test_tag_normalize (void)
{
  g_autoptr(GString) longest = g_string_new (NULL);
  g_autoptr(GString) too_long = NULL;
  g_autoptr(GString) wide = g_string_new (NULL);

  assert_tag ("dog", "dog");
  assert_tag ("  Dog \t\n", "dog");
  assert_tag ("HOT DOG", "hot dog");
  assert_tag ("ÉTÉ", "été");
  /* "e" + COMBINING ACUTE ACCENT composes to the one code point U+00E9. */
  assert_tag ("caf\x65\xcc\x81", "caf\xc3\xa9");
  assert_tag ("caf\xc3\xa9", "caf\xc3\xa9");

  assert_tag_refused ("");
  assert_tag_refused ("   \t ");
  assert_tag_refused ("cats,dogs");
  assert_tag_refused ("tab\there");
  assert_tag_refused ("bell\x07");
  assert_tag_refused ("del\x7f");
  assert_tag_refused ("line\nbreak");
  assert_tag_refused ("\xff\xfe not utf-8");
  assert_tag_refused (NULL);

  /* 64 characters pass, 65 do not; characters, not bytes. */
  for (guint i = 0; i < TESSERA_TAG_MAX_CHARS; i++)
    g_string_append_c (longest, 'a');
  assert_tag (longest->str, longest->str);
  too_long = g_string_new (longest->str);
  g_string_append_c (too_long, 'a');
  assert_tag_refused (too_long->str);

  for (guint i = 0; i < TESSERA_TAG_MAX_CHARS; i++)
    g_string_append (wide, "é");
  assert_tag (wide->str, wide->str);
  g_string_append (wide, "é");
  assert_tag_refused (wide->str);
}

static void
test_tags_normalize (void)
{
  const char *raw[] = { "Dog", " dog ", "CAT", "cafe\xcc\x81", "caf\xc3\xa9", NULL };
  const char *bad[] = { "dog", "a,b", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) tags = tessera_tags_normalize (raw, &error);
  g_auto(GStrv) none = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (tags);
  g_assert_cmpuint (g_strv_length (tags), ==, 3);
  g_assert_cmpstr (tags[0], ==, "dog");
  g_assert_cmpstr (tags[1], ==, "cat");
  g_assert_cmpstr (tags[2], ==, "caf\xc3\xa9");

  none = tessera_tags_normalize (bad, &error);
  g_assert_null (none);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
}

static void
test_base64url (void)
{
  /* Bytes whose standard base64 has '+', '/' and padding. */
  const guint8 data[] = { 0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f };
  g_autofree char *encoded = tessera_base64url_encode (data, sizeof data);
  g_autofree guint8 *decoded = NULL;
  gsize length = 0;

  g_assert_cmpstr (encoded, ==, "-_-_AD4_");
  decoded = tessera_base64url_decode (encoded, &length);
  g_assert_cmpmem (decoded, length, data, sizeof data);

  for (gsize n = 0; n < 40; n++)
    {
      g_autofree guint8 *bytes = g_malloc (n + 1);
      g_autofree char *text = NULL;
      g_autofree guint8 *back = NULL;
      gsize back_length = 0;

      for (gsize i = 0; i < n; i++)
        bytes[i] = (guint8) g_test_rand_int_range (0, 256);

      text = tessera_base64url_encode (bytes, n);
      g_assert_null (strpbrk (text, "+/="));
      back = tessera_base64url_decode (text, &back_length);
      g_assert_cmpmem (back, back_length, bytes, n);
    }

  /* Standard base64's characters and impossible lengths are refused. */
  g_assert_null (tessera_base64url_decode ("ab+c", &length));
  g_assert_null (tessera_base64url_decode ("ab/c", &length));
  g_assert_null (tessera_base64url_decode ("abc=", &length));
  g_assert_null (tessera_base64url_decode ("abcde", &length));
  g_assert_null (tessera_base64url_decode (NULL, &length));
}

static void
test_iso8601 (void)
{
  g_autofree char *epoch = tessera_time_to_iso8601 (0);
  g_autofree char *millis = tessera_time_to_iso8601 (1440938160123);
  g_autofree char *now_text = NULL;
  gint64 now = tessera_now_ms ();

  g_assert_cmpstr (epoch, ==, "1970-01-01T00:00:00.000Z");
  g_assert_cmpstr (millis, ==, "2015-08-30T12:36:00.123Z");

  g_assert_cmpint (tessera_time_from_iso8601 ("2015-08-30T12:36:00.123Z"), ==, 1440938160123);
  g_assert_cmpint (tessera_time_from_iso8601 ("2015-08-30T14:36:00.123+02:00"), ==, 1440938160123);
  g_assert_cmpint (tessera_time_from_iso8601 ("2015-08-30T12:36:00Z"), ==, 1440938160000);

  /* A round trip keeps the milliseconds. */
  now_text = tessera_time_to_iso8601 (now);
  g_assert_cmpint (tessera_time_from_iso8601 (now_text), ==, now);

  g_assert_cmpint (tessera_time_from_iso8601 (NULL), ==, -1);
  g_assert_cmpint (tessera_time_from_iso8601 ("yesterday"), ==, -1);
  g_assert_cmpint (tessera_time_from_iso8601 ("2015-02-30T00:00:00Z"), ==, -1);
}

static void
test_ids (void)
{
  g_autofree char *id = tessera_id_new ();
  g_autofree char *other = tessera_id_new ();
  g_autofree char *token = tessera_random_token (32);
  g_autofree char *hash = tessera_sha256_hex ("abc", -1);

  g_assert_true (tessera_id_is_valid (id));
  g_assert_cmpstr (id, !=, other);
  g_assert_false (tessera_id_is_valid ("not-a-uuid"));
  g_assert_false (tessera_id_is_valid (NULL));
  /* 32 bytes are 43 base64url characters. */
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_cmpstr (hash, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/util/tag-normalize", test_tag_normalize);
  g_test_add_func ("/util/tags-normalize", test_tags_normalize);
  g_test_add_func ("/util/base64url", test_base64url);
  g_test_add_func ("/util/iso8601", test_iso8601);
  g_test_add_func ("/util/ids", test_ids);

  return g_test_run ();
}
