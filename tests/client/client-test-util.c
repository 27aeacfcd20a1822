/* client-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "client-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "client-test-util.h"

void
client_test_store_result_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

GAsyncResult *
client_test_wait (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_main_context_iteration (NULL, FALSE);
      if (*slot == NULL)
        g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }

  return *slot;
}

gboolean
client_test_run_until (gboolean (*condition) (gpointer),
                       gpointer   data,
                       guint      timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!condition (data) && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }

  return condition (data);
}

TesseraClient *
client_test_new_user (TesseraTestServer *server,
                      const char        *username,
                      const char        *password)
{
  g_autoptr(TesseraClient) client = tessera_client_new (tessera_test_server_get_url (server));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;

  CLIENT_TEST_WAIT (result, tessera_client_sign_up_async, client, username, password, NULL);
  g_assert_true (tessera_client_sign_up_finish (client, result, &error));
  g_assert_no_error (error);

  CLIENT_TEST_WAIT (result2, tessera_client_sign_in_async, client, username, password, NULL);
  g_assert_true (tessera_client_sign_in_finish (client, result2, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_client_get_signed_in (client));

  return g_steal_pointer (&client);
}

GFile *
client_test_write_file (const char *dir,
                        const char *name,
                        GBytes     *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

GFile *
client_test_write_big_file (const char *dir,
                            const char *name,
                            goffset     size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *chunk = g_malloc (1024 * 1024);
  FILE *out;
  goffset written = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  out = fopen (path, "wb");
  g_assert_nonnull (out);

  /* A JPEG signature, then bytes that differ per file. */
  for (gsize i = 0; i < 1024 * 1024; i++)
    chunk[i] = (guint8) g_random_int ();
  chunk[0] = 0xff; chunk[1] = 0xd8; chunk[2] = 0xff;

  while (written < size)
    {
      gsize n = (gsize) MIN (size - written, 1024 * 1024);

      g_assert_cmpuint (fwrite (chunk, 1, n, out), ==, n);
      written += n;
      chunk[3 + (written / (1024 * 1024)) % 1000] ^= 0x5a;
    }
  g_assert_cmpint (fclose (out), ==, 0);

  return g_file_new_for_path (path);
}

void
client_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            client_test_rm_rf (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

const char *
client_test_cli_path (void)
{
  const char *path = g_getenv ("TESSERA_CLI");

  return path ? path : TESSERA_CLI_PATH;
}
