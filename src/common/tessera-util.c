/* tessera-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-util"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

#include "tessera-error.h"
#include "tessera-util.h"

gint64
tessera_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/**
 * tessera_time_to_iso8601:
 *
 * Returns: (transfer full): @ms since the epoch as `2026-11-25T06:00:00.123Z`
 */
char *
tessera_time_to_iso8601 (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  g_autofree char *seconds = NULL;

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");

  seconds = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, (int) (ms % 1000));
}

gint64
tessera_time_from_iso8601 (const char *text)
{
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL)
    return -1;

  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return -1;

  return g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
}

/**
 * tessera_id_new:
 *
 * Returns: (transfer full): a random UUID, as Cognito uses for `sub` and we
 *   use for image ids
 */
char *
tessera_id_new (void)
{
  return g_uuid_string_random ();
}

gboolean
tessera_id_is_valid (const char *id)
{
  return id != NULL && g_uuid_string_is_valid (id);
}

char *
tessera_base64url_encode (const guint8 *data,
                          gsize         length)
{
  g_autofree char *b64 = g_base64_encode (data, length);
  gsize n = strlen (b64);

  for (gsize i = 0; i < n; i++)
    {
      if (b64[i] == '+')
        b64[i] = '-';
      else if (b64[i] == '/')
        b64[i] = '_';
    }
  while (n > 0 && b64[n - 1] == '=')
    b64[--n] = '\0';

  return g_steal_pointer (&b64);
}

/**
 * tessera_base64url_decode:
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL when @text is not
 *   base64url
 */
guint8 *
tessera_base64url_decode (const char *text,
                          gsize      *length)
{
  g_autoptr(GString) s = NULL;

  g_return_val_if_fail (length != NULL, NULL);

  *length = 0;
  if (text == NULL)
    return NULL;

  s = g_string_new (NULL);
  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (s, *p);
      else if (*p == '-')
        g_string_append_c (s, '+');
      else if (*p == '_')
        g_string_append_c (s, '/');
      else
        return NULL;
    }
  if (s->len % 4 == 1)
    return NULL;
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');

  return g_base64_decode (s->str, length);
}

char *
tessera_random_token (gsize n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);

  /* GRand is not a CSPRNG; the kernel's generator is. */
  for (gsize i = 0; i < n_bytes; i += 4)
    {
      guint32 r;

      if (getentropy (&r, sizeof r) != 0)
        g_error ("getentropy() failed");
      memcpy (bytes + i, &r, MIN (4, n_bytes - i));
    }

  return tessera_base64url_encode (bytes, n_bytes);
}

char *
tessera_sha256_hex (const char *data,
                    gssize      length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data,
                                      length < 0 ? strlen (data) : (gsize) length);
}

/**
 * tessera_tag_normalize:
 * @raw: a tag as a person typed it
 *
 * Trims white space, lower-cases and composes (Unicode NFC) a tag name, and
 * refuses what cannot be a tag: empty, longer than %TESSERA_TAG_MAX_CHARS
 * characters, control characters, or a comma (the list separator of
 * `?tags=`).
 *
 * Returns: (transfer full) (nullable): the tag, or %NULL with
 *   %TESSERA_ERROR_INVALID
 */
char *
tessera_tag_normalize (const char  *raw,
                       GError     **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *nfc = NULL;
  g_autofree char *lower = NULL;

  if (raw == NULL || !g_utf8_validate (raw, -1, NULL))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "A tag must be UTF-8 text");
      return NULL;
    }

  copy = g_strstrip (g_strdup (raw));
  nfc = g_utf8_normalize (copy, -1, G_NORMALIZE_NFC);
  lower = g_utf8_strdown (nfc, -1);

  if (*lower == '\0')
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "A tag cannot be empty");
      return NULL;
    }

  if (g_utf8_strlen (lower, -1) > TESSERA_TAG_MAX_CHARS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "A tag can have at most %d characters", TESSERA_TAG_MAX_CHARS);
      return NULL;
    }

  for (const char *p = lower; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == ',' || g_unichar_iscntrl (c))
        {
          g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                               "A tag cannot contain a comma or a control character");
          return NULL;
        }
    }

  return g_steal_pointer (&lower);
}

/**
 * tessera_tags_normalize:
 *
 * Normalises every tag of @raw and drops repeats, keeping the first order.
 *
 * Returns: (transfer full) (nullable): the tags, or %NULL with an error
 */
GStrv
tessera_tags_normalize (const char * const  *raw,
                        GError             **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; raw != NULL && raw[i] != NULL; i++)
    {
      g_autofree char *tag = tessera_tag_normalize (raw[i], error);

      if (tag == NULL)
        return NULL;
      if (g_hash_table_contains (seen, tag))
        continue;
      g_strv_builder_add (builder, tag);
      g_hash_table_add (seen, g_steal_pointer (&tag));
    }

  return g_strv_builder_end (builder);
}

/**
 * tessera_thread_set_background:
 *
 * Lowers the calling thread's scheduling priority (nice 10), once per
 * thread: for work that a person is not waiting on frame by frame
 * (decoding thumbnails, parsing a page of the listing, writing caches), so
 * that on a busy machine the thread drawing the window gets the CPU first.
 * Only where the system can do it for one thread (Linux); elsewhere a
 * no-op.
 */
void
tessera_thread_set_background (void)
{
#ifdef __linux__
  static GPrivate lowered;

  if (g_private_get (&lowered) != NULL)
    return;
  g_private_set (&lowered, GINT_TO_POINTER (1));

  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10) != 0)
    g_debug ("Could not lower the priority of a worker thread: %s", g_strerror (errno));
#endif
}
