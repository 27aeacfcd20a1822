/* tessera-server-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-server-config"

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "tessera-error.h"
#include "tessera-server-config.h"
#include "tessera-util.h"

typedef enum
{
  KEY_STRING,
  KEY_UINT,
  KEY_INT64,
  KEY_DOUBLE,
} KeyType;

typedef struct
{
  const char *group;
  const char *key;
  KeyType     type;
  gsize       offset;
  const char *default_value;
  double      min;
  double      max;
} KeyInfo;

#define FIELD(name) G_STRUCT_OFFSET (TesseraServerConfig, name)

/* Every key, in the order the generated file lists them. */
static const KeyInfo keys[] = {
  { "server", "public-url", KEY_STRING, FIELD (public_url), "", 0, 0 },
  { "server", "workers", KEY_UINT, FIELD (workers), "2", 1, 64 },
  { "server", "http-threads", KEY_UINT, FIELD (http_threads), "4", 1, 256 },
  { "s3", "bucket", KEY_STRING, FIELD (bucket), "tessera", 0, 0 },
  { "s3", "region", KEY_STRING, FIELD (region), "us-east-1", 0, 0 },
  { "s3", "access-key-id", KEY_STRING, FIELD (access_key_id), "", 0, 0 },
  { "s3", "secret-access-key", KEY_STRING, FIELD (secret_access_key), "", 0, 0 },
  { "limits", "max-upload-size", KEY_INT64, FIELD (max_upload_size), "52428800", 1, (double) (G_GINT64_CONSTANT (1) << 42) },
  { "limits", "max-pixels", KEY_INT64, FIELD (max_pixels), "100000000", 1, 1e12 },
  { "limits", "max-body-size", KEY_INT64, FIELD (max_body_size), "65536", 256, 64 * 1024 * 1024 },
  { "urls", "upload-expires", KEY_UINT, FIELD (upload_expires), "900", 1, 7 * 24 * 3600 },
  { "urls", "url-expires", KEY_UINT, FIELD (url_expires), "3600", 1, 7 * 24 * 3600 },
  { "tokens", "issuer", KEY_STRING, FIELD (token_issuer), "", 0, 0 },
  { "tokens", "id-token-lifetime", KEY_INT64, FIELD (id_token_lifetime), "3600", 1, 366 * 24 * 3600 },
  { "tokens", "refresh-token-lifetime", KEY_INT64, FIELD (refresh_token_lifetime), "2592000", 1, 10 * 366 * 24 * 3600.0 },
  { "signin", "max-failures", KEY_UINT, FIELD (signin_max_failures), "5", 1, 1000000 },
  { "signin", "max-failures-per-address", KEY_UINT, FIELD (signin_max_failures_per_address), "20", 1, 1000000 },
  { "signin", "window", KEY_UINT, FIELD (signin_window), "300", 1, 366 * 24 * 3600 },
  { "trash", "retention", KEY_INT64, FIELD (trash_retention), "2592000", 0, 10 * 366 * 24 * 3600.0 },
  { "trash", "purge-interval", KEY_UINT, FIELD (purge_interval), "3600", 1, 366 * 24 * 3600 },
  { "jobs", "max-attempts", KEY_UINT, FIELD (job_max_attempts), "5", 1, 1000 },
  { "jobs", "retry-base", KEY_UINT, FIELD (job_retry_base), "2", 0, 24 * 3600 },
  { "jobs", "debug-delay-ms", KEY_UINT, FIELD (job_debug_delay_ms), "0", 0, 3600 * 1000 },
  { "tagger", "name", KEY_STRING, FIELD (tagger_name), "local", 0, 0 },
  { "tagger", "threshold", KEY_DOUBLE, FIELD (tagger_threshold), "0.5", 0, 1 },
};

void
tessera_server_config_free (TesseraServerConfig *config)
{
  if (config == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i].type == KEY_STRING)
      g_free (G_STRUCT_MEMBER (char *, config, keys[i].offset));

  g_free (config->path);
  g_clear_pointer (&config->key_file, g_key_file_unref);
  g_free (config);
}

static gboolean
set_invalid (GError           **error,
             const char        *path,
             const KeyInfo     *info,
             const char        *value,
             const char        *why)
{
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
               "%s: [%s] %s = “%s”: %s",
               path, info->group, info->key, value, why);
  return FALSE;
}

static gboolean
parse_value (TesseraServerConfig  *config,
             const KeyInfo        *info,
             const char           *value,
             GError              **error)
{
  g_autofree char *why = NULL;

  switch (info->type)
    {
    case KEY_STRING:
      G_STRUCT_MEMBER (char *, config, info->offset) = g_strdup (value);
      return TRUE;

    case KEY_UINT:
    case KEY_INT64:
      {
        gint64 n;

        if (!g_ascii_string_to_signed (value, 10, (gint64) info->min, (gint64) info->max, &n, NULL))
          {
            why = g_strdup_printf ("expected a whole number from %.0f to %.0f",
                                   info->min, info->max);
            return set_invalid (error, config->path, info, value, why);
          }
        if (info->type == KEY_UINT)
          G_STRUCT_MEMBER (guint, config, info->offset) = (guint) n;
        else
          G_STRUCT_MEMBER (gint64, config, info->offset) = n;
        return TRUE;
      }

    case KEY_DOUBLE:
      {
        char *end = NULL;
        double d;

        errno = 0;
        d = g_ascii_strtod (value, &end);
        if (errno != 0 || end == value || *end != '\0' || !(d >= info->min && d <= info->max))
          {
            why = g_strdup_printf ("expected a number from %g to %g", info->min, info->max);
            return set_invalid (error, config->path, info, value, why);
          }
        G_STRUCT_MEMBER (double, config, info->offset) = d;
        return TRUE;
      }

    default:
      g_assert_not_reached ();
    }
}

static gboolean
bucket_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  /* S3's rules, so a form made for S3 names the same bucket. */
  if (len < 3 || len > 63)
    return FALSE;
  if (!g_ascii_islower (name[0]) && !g_ascii_isdigit (name[0]))
    return FALSE;
  if (!g_ascii_islower (name[len - 1]) && !g_ascii_isdigit (name[len - 1]))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-' && *p != '.')
      return FALSE;
  return strstr (name, "..") == NULL;
}

static gboolean
credential_is_valid (const char *text)
{
  /* They end up in SigV4 credential scopes and form fields. */
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '_' && *p != '=' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
validate (TesseraServerConfig  *config,
          GError              **error)
{
  if (config->public_url[0] != '\0')
    {
      g_autoptr(GUri) uri = g_uri_parse (config->public_url, G_URI_FLAGS_NONE, NULL);
      gsize len;

      if (uri == NULL ||
          (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
           g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
          g_uri_get_host (uri) == NULL || g_uri_get_query (uri) != NULL)
        return set_invalid (error, config->path, &keys[0], config->public_url,
                            "expected an http:// or https:// URL");

      /* The URLs built from it append "/<bucket>/<key>". */
      len = strlen (config->public_url);
      while (len > 0 && config->public_url[len - 1] == '/')
        config->public_url[--len] = '\0';
    }
  else
    g_clear_pointer (&config->public_url, g_free);

  if (!bucket_name_is_valid (config->bucket))
    return set_invalid (error, config->path, &keys[3], config->bucket,
                        "expected an S3 bucket name (3 to 63 of a-z 0-9 . -)");
  if (config->region[0] == '\0' || !credential_is_valid (config->region))
    return set_invalid (error, config->path, &keys[4], config->region,
                        "expected a region name such as us-east-1");
  if (!credential_is_valid (config->access_key_id))
    return set_invalid (error, config->path, &keys[5], config->access_key_id,
                        "expected letters and digits");
  if (!credential_is_valid (config->secret_access_key))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "%s: [s3] secret-access-key: expected letters, digits and + - _ = .",
                   config->path);
      return FALSE;
    }
  if (config->tagger_name[0] == '\0')
    return set_invalid (error, config->path, &keys[G_N_ELEMENTS (keys) - 2], "",
                        "expected a tagger name (local, none, clarifai, rekognition)");

  return TRUE;
}

static char *
random_upper_alnum (gsize n)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  g_autofree guint8 *bytes = g_malloc (n);
  char *text = g_malloc (n + 1);

  if (getentropy (bytes, n) != 0)
    g_error ("getentropy() failed");
  for (gsize i = 0; i < n; i++)
    text[i] = alphabet[bytes[i] % (sizeof alphabet - 1)];
  text[n] = '\0';

  return text;
}

/**
 * tessera_server_config_load:
 * @path: the configuration file; it need not exist
 *
 * Reads @path, taking the default of every missing key. When the file does
 * not exist it is written with every key; when it has no S3 credentials
 * or no token issuer, they are generated and saved (mode 0600: it holds the
 * secret).
 *
 * Returns: (transfer full): the configuration, or %NULL with
 *   %TESSERA_ERROR_INVALID for a value out of range or a file that cannot
 *   be read or written
 */
TesseraServerConfig *
tessera_server_config_load (const char  *path,
                            GError     **error)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean exists;
  gboolean dirty = FALSE;

  g_return_val_if_fail (path != NULL, NULL);

  config = g_new0 (TesseraServerConfig, 1);
  config->path = g_strdup (path);
  config->key_file = g_key_file_new ();

  exists = g_key_file_load_from_file (config->key_file, path,
                                      G_KEY_FILE_KEEP_COMMENTS, &local_error);
  if (!exists && !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "%s: %s", path, local_error->message);
      return NULL;
    }
  g_clear_error (&local_error);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const KeyInfo *info = &keys[i];
      g_autofree char *value = g_key_file_get_value (config->key_file, info->group, info->key, NULL);

      if (value != NULL)
        g_strstrip (value);

      if (value == NULL || (value[0] == '\0' && info->type != KEY_STRING))
        {
          g_free (value);
          value = g_strdup (info->default_value);
          if (!exists)
            g_key_file_set_value (config->key_file, info->group, info->key, value);
        }

      if (!parse_value (config, info, value, error))
        return NULL;
    }

  if (config->access_key_id[0] == '\0')
    {
      g_autofree char *suffix = random_upper_alnum (13);

      g_free (config->access_key_id);
      config->access_key_id = g_strconcat ("TESSERA", suffix, NULL);
      g_key_file_set_string (config->key_file, "s3", "access-key-id", config->access_key_id);
      dirty = TRUE;
    }
  if (config->secret_access_key[0] == '\0')
    {
      g_free (config->secret_access_key);
      config->secret_access_key = tessera_random_token (30);
      g_key_file_set_string (config->key_file, "s3", "secret-access-key", config->secret_access_key);
      dirty = TRUE;
    }

  /* Without a public URL the server's URL changes with its port (the
   * desktop app listens on port 0): an issuer made of it would invalidate
   * every token at each restart. This one is generated once and kept. */
  if (config->token_issuer[0] == '\0')
    {
      g_autofree char *id = tessera_id_new ();

      g_free (config->token_issuer);
      config->token_issuer = g_strconcat ("urn:tessera:", id, NULL);
      g_key_file_set_string (config->key_file, "tokens", "issuer", config->token_issuer);
      dirty = TRUE;
    }

  if (!validate (config, error))
    return NULL;

  if (!exists || dirty)
    {
      g_autofree char *data = g_key_file_to_data (config->key_file, NULL, NULL);

      if (!g_file_set_contents_full (path, data, -1,
                                     G_FILE_SET_CONTENTS_CONSISTENT,
                                     0600, &local_error))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Cannot write %s: %s", path, local_error->message);
          return NULL;
        }
      g_message ("Wrote %s", path);
    }

  return g_steal_pointer (&config);
}
