/* tessera-tagger-clarifai.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * POST {url}/v2/users/{user}/apps/{app}/models/general-image-recognition/
 * versions/{version}/outputs with "Authorization: Key …" and the picture
 * as base64 (our bucket is private, so Clarifai cannot fetch a URL). Only a
 * downscaled JPEG is sent: the original may be 50 MiB, and the model looks
 * at a few hundred pixels anyway.
 *
 * tag() runs in a worker thread, so a synchronous SoupSession of its own
 * per call is simplest and thread-safe.
 */

#define G_LOG_DOMAIN "tessera-clarifai"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "tessera-error.h"
#include "tessera-tagger-clarifai.h"
#include "tessera-taggers-private.h"
#include "tessera-util.h"

#define CONFIG_GROUP           "tagger"
#define DEFAULT_URL            "https://api.clarifai.com"
#define DEFAULT_USER           "clarifai"
#define DEFAULT_APP            "main"
/* general-image-recognition's published version. */
#define DEFAULT_MODEL_VERSION  "aa7f35c01e0642fda5cf400f543e7c40"
#define DEFAULT_THRESHOLD      0.9
#define DEFAULT_ATTEMPTS       4
#define DEFAULT_BACKOFF_MS     500
#define MAX_BACKOFF_MS         30000
#define UPLOAD_SIDE            512
#define MAX_KEY_BYTES          512
#define MAX_RESPONSE_BYTES     (4 * 1024 * 1024)
#define STATUS_SUCCESS         10000

struct _TesseraTaggerClarifai
{
  GObject  parent_instance;
  char    *endpoint;
  char    *key;
  double   threshold;
  guint    attempts;
  guint    backoff_ms;
};

static void tagger_iface_init (TesseraTaggerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraTaggerClarifai, tessera_tagger_clarifai, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_TAGGER, tagger_iface_init))

static void
forget_key (char *key)
{
  if (key == NULL)
    return;
  explicit_bzero (key, strlen (key));
  g_free (key);
}

static char *
encode_picture (VipsImage  *image,
                GError    **error)
{
  g_autoptr(TesseraVipsImage) thumb = NULL;
  g_autoptr(TesseraVipsImage) flat = NULL;
  g_autoptr(TesseraVipsImage) srgb = NULL;
  VipsImage *current;
  void *buffer = NULL;
  size_t length = 0;
  char *encoded;

  if (vips_thumbnail_image (image, &thumb, UPLOAD_SIDE, NULL) != 0)
    goto fail;
  current = thumb;
  if (vips_image_hasalpha (current))
    {
      if (vips_flatten (current, &flat, NULL) != 0)
        goto fail;
      current = flat;
    }
  if (vips_colourspace (current, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0
      || vips_jpegsave_buffer (srgb, &buffer, &length, "Q", 85, "strip", TRUE, NULL) != 0)
    goto fail;

  encoded = g_base64_encode (buffer, length);
  g_free (buffer);
  return encoded;

fail:
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNPROCESSABLE,
               "Cannot make the picture to send: %s", vips_error_buffer ());
  vips_error_clear ();
  return NULL;
}

static GBytes *
build_body (const char *base64)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize length = 0;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "inputs");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "image");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "base64");
  json_builder_add_string_value (builder, base64);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

typedef enum
{
  OUTCOME_OK,
  OUTCOME_RETRY,
  OUTCOME_FAIL,
} Outcome;

/* Reads Clarifai's answer: the status object says what happened, whatever
 * the HTTP status. */
static Outcome
read_response (TesseraTaggerClarifai  *self,
               guint                   http_status,
               GBytes                 *body,
               TesseraImageRecord     *record,
               GError                **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = NULL, *status = NULL;
  gint64 code = -1;
  const char *description = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  if (length > 0 && json_parser_load_from_data (parser, data, length, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      root = json_node_get_object (json_parser_get_root (parser));
      if (json_object_has_member (root, "status")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "status")))
        {
          status = json_object_get_object_member (root, "status");
          if (json_object_has_member (status, "code"))
            code = json_object_get_int_member (status, "code");
          if (json_object_has_member (status, "description")
              && JSON_NODE_HOLDS_VALUE (json_object_get_member (status, "description")))
            description = json_object_get_string_member (status, "description");
        }
    }

  if (http_status == 429 || http_status >= 500)
    {
      g_set_error (error, TESSERA_ERROR,
                   http_status == 429 ? TESSERA_ERROR_RATE_LIMITED : TESSERA_ERROR_UNAVAILABLE,
                   "Clarifai answered HTTP %u (status %" G_GINT64_FORMAT ": %s)",
                   http_status, code, description ? description : "no description");
      return OUTCOME_RETRY;
    }
  if (http_status == 401 || http_status == 403)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED,
                   "Clarifai refused the key: HTTP %u (status %" G_GINT64_FORMAT ": %s)",
                   http_status, code, description ? description : "no description");
      return OUTCOME_FAIL;
    }
  if (http_status >= 400)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Clarifai rejected the request: HTTP %u (status %" G_GINT64_FORMAT ": %s)",
                   http_status, code, description ? description : "no description");
      return OUTCOME_FAIL;
    }
  if (code != STATUS_SUCCESS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                   "Clarifai failed: status %" G_GINT64_FORMAT " (%s)",
                   code, description ? description : "no description");
      return OUTCOME_RETRY;
    }

  /* outputs[0].data.concepts[{name, value}] */
  {
    JsonArray *outputs, *concepts;
    JsonObject *output, *output_data;

    if (!json_object_has_member (root, "outputs")
        || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "outputs"))
        || json_array_get_length (outputs = json_object_get_array_member (root, "outputs")) == 0
        || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (outputs, 0))
        || !(output = json_array_get_object_element (outputs, 0))
        || !json_object_has_member (output, "data")
        || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (output, "data")))
      {
        g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                     "Clarifai's answer has no outputs[0].data");
        return OUTCOME_FAIL;
      }
    output_data = json_object_get_object_member (output, "data");
    if (!json_object_has_member (output_data, "concepts"))
      return OUTCOME_OK;   /* nothing recognised */
    if (!JSON_NODE_HOLDS_ARRAY (json_object_get_member (output_data, "concepts")))
      {
        g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                     "Clarifai's concepts are not a list");
        return OUTCOME_FAIL;
      }
    concepts = json_object_get_array_member (output_data, "concepts");
    for (guint i = 0; i < json_array_get_length (concepts); i++)
      {
        JsonNode *node = json_array_get_element (concepts, i);
        JsonObject *concept;
        JsonNode *name_node, *value_node;
        g_autofree char *name = NULL;
        double value;

        if (!JSON_NODE_HOLDS_OBJECT (node))
          continue;
        concept = json_node_get_object (node);
        name_node = json_object_get_member (concept, "name");
        value_node = json_object_get_member (concept, "value");
        if (name_node == NULL || value_node == NULL
            || json_node_get_value_type (name_node) != G_TYPE_STRING
            || !JSON_NODE_HOLDS_VALUE (value_node))
          continue;
        value = json_node_get_double (value_node);
        if (!(value >= self->threshold) || value > 1.0)
          continue;
        name = tessera_tag_normalize (json_node_get_string (name_node), NULL);
        if (name != NULL)
          tessera_image_record_add_label (record, name, value, TESSERA_CLARIFAI_SOURCE);
      }
  }

  return OUTCOME_OK;
}

/* Sleeps @ms, waking early when @cancellable fires. */
static gboolean
wait_cancellable (guint          ms,
                  GCancellable  *cancellable,
                  GError       **error)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gint64 left;

  while ((left = end - g_get_monotonic_time ()) > 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (left, 50000));
    }

  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static gboolean
tessera_tagger_clarifai_tag (TesseraTagger       *tagger,
                             GFile               *original,
                             VipsImage           *image,
                             TesseraImageRecord  *record,
                             GCancellable        *cancellable,
                             GError             **error)
{
  TesseraTaggerClarifai *self = TESSERA_TAGGER_CLARIFAI (tagger);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *base64 = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(GError) last_error = NULL;
  guint backoff = self->backoff_ms;

  base64 = encode_picture (image, error);
  if (base64 == NULL)
    return FALSE;
  body = build_body (base64);
  authorization = g_strdup_printf ("Key %s", self->key);

  session = soup_session_new_with_options ("timeout", 60, "idle-timeout", 10, NULL);

  for (guint attempt = 1; attempt <= self->attempts; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, self->endpoint);
      g_autoptr(GBytes) response = NULL;
      g_autoptr(GError) local_error = NULL;
      guint wait_ms = backoff;
      Outcome outcome;

      if (msg == NULL)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Bad Clarifai URL “%s”", self->endpoint);
          return FALSE;
        }
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", authorization);
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Accept", "application/json");
      soup_message_set_request_body_from_bytes (msg, "application/json", body);

      response = soup_session_send_and_read (session, msg, cancellable, &local_error);
      if (response == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_clear_error (&last_error);
          g_set_error (&last_error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                       "Cannot reach Clarifai: %s", local_error->message);
        }
      else if (g_bytes_get_size (response) > MAX_RESPONSE_BYTES)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                       "Clarifai's answer is too large");
          return FALSE;
        }
      else
        {
          guint http_status = soup_message_get_status (msg);

          g_clear_error (&last_error);
          outcome = read_response (self, http_status, response, record, &last_error);
          if (outcome == OUTCOME_OK)
            return TRUE;
          if (outcome == OUTCOME_FAIL)
            {
              g_propagate_error (error, g_steal_pointer (&last_error));
              return FALSE;
            }
          if (http_status == 429)
            {
              const char *retry_after = soup_message_headers_get_one (
                  soup_message_get_response_headers (msg), "Retry-After");
              guint64 seconds = retry_after ? g_ascii_strtoull (retry_after, NULL, 10) : 0;

              if (seconds > 0)
                wait_ms = (guint) MIN ((guint64) MAX_BACKOFF_MS, MAX ((guint64) wait_ms, seconds * 1000));
            }
        }

      g_message ("Clarifai attempt %u of %u failed: %s", attempt, self->attempts,
                 last_error->message);
      if (attempt == self->attempts)
        break;
      if (!wait_cancellable (wait_ms, cancellable, error))
        return FALSE;
      backoff = MIN (backoff * 2, MAX_BACKOFF_MS);
    }

  g_prefix_error (&last_error, "Gave up after %u attempts: ", self->attempts);
  g_propagate_error (error, g_steal_pointer (&last_error));
  return FALSE;
}

static void
tagger_iface_init (TesseraTaggerInterface *iface)
{
  iface->tag = tessera_tagger_clarifai_tag;
}

static void
tessera_tagger_clarifai_finalize (GObject *object)
{
  TesseraTaggerClarifai *self = (TesseraTaggerClarifai *) object;

  g_clear_pointer (&self->endpoint, g_free);
  g_clear_pointer (&self->key, forget_key);

  G_OBJECT_CLASS (tessera_tagger_clarifai_parent_class)->finalize (object);
}

static void
tessera_tagger_clarifai_class_init (TesseraTaggerClarifaiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tessera_tagger_clarifai_finalize;
}

static void
tessera_tagger_clarifai_init (TesseraTaggerClarifai *self)
{
}

/* The key file must be ours alone: a key readable by others is a leaked
 * key, so refuse it rather than use it. */
static char *
read_key_file (const char  *path,
               GError     **error)
{
  char buffer[MAX_KEY_BYTES + 1];
  struct stat st;
  ssize_t n;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cannot open the Clarifai key file %s: %s", path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The Clarifai key file %s is not a regular file", path);
      return NULL;
    }
  if ((st.st_mode & 0077) != 0)
    {
      close (fd);
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_FORBIDDEN,
                   "The Clarifai key file %s has mode %04o; it must be 0600 (chmod 600)",
                   path, (guint) (st.st_mode & 07777));
      return NULL;
    }
  n = read (fd, buffer, sizeof buffer);
  close (fd);
  if (n < 0 || n > MAX_KEY_BYTES)
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Cannot read the Clarifai key file %s (or it is too long)", path);
      return NULL;
    }
  buffer[n] = '\0';
  {
    char *key = g_strdup (g_strstrip (buffer));

    explicit_bzero (buffer, sizeof buffer);
    return key;
  }
}

static gboolean
key_is_sane (const char *key)
{
  if (key == NULL || *key == '\0')
    return FALSE;
  /* It goes into a header: printable ASCII, no spaces. */
  for (const char *p = key; *p; p++)
    if (!g_ascii_isgraph (*p))
      return FALSE;
  return TRUE;
}

/* A path segment the user configured: nothing that changes the URL's shape. */
static gboolean
segment_is_sane (const char *segment)
{
  if (segment == NULL || *segment == '\0')
    return FALSE;
  for (const char *p = segment; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'))
      return FALSE;
  return TRUE;
}

static char *
config_string (GKeyFile   *config,
               const char *key,
               const char *fallback)
{
  char *value = config ? g_key_file_get_string (config, CONFIG_GROUP, key, NULL) : NULL;

  if (value != NULL)
    g_strstrip (value);
  if (value == NULL || *value == '\0')
    {
      g_free (value);
      return g_strdup (fallback);
    }
  return value;
}

TesseraTagger *
tessera_tagger_clarifai_new (GKeyFile  *config,
                             GError   **error)
{
  g_autoptr(TesseraTaggerClarifai) self = NULL;
  g_autofree char *url = config_string (config, "clarifai-url", DEFAULT_URL);
  g_autofree char *user = config_string (config, "clarifai-user", DEFAULT_USER);
  g_autofree char *app = config_string (config, "clarifai-app", DEFAULT_APP);
  g_autofree char *version = config_string (config, "clarifai-model-version", DEFAULT_MODEL_VERSION);
  g_autofree char *key_file = config_string (config, "clarifai-key-file", NULL);
  g_autoptr(GUri) uri = NULL;
  const char *env_key;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (TESSERA_TYPE_TAGGER_CLARIFAI, NULL);
  self->threshold = DEFAULT_THRESHOLD;
  self->attempts = DEFAULT_ATTEMPTS;
  self->backoff_ms = DEFAULT_BACKOFF_MS;

  if (config != NULL && g_key_file_has_key (config, CONFIG_GROUP, "threshold", NULL))
    {
      GError *bad = NULL;

      self->threshold = g_key_file_get_double (config, CONFIG_GROUP, "threshold", &bad);
      if (bad != NULL || !(self->threshold >= 0 && self->threshold <= 1))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "[tagger] threshold must be a number from 0 to 1");
          g_clear_error (&bad);
          return NULL;
        }
    }
  if (config != NULL && g_key_file_has_key (config, CONFIG_GROUP, "clarifai-attempts", NULL))
    {
      int n = g_key_file_get_integer (config, CONFIG_GROUP, "clarifai-attempts", NULL);

      if (n < 1 || n > 10)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "[tagger] clarifai-attempts must be from 1 to 10");
          return NULL;
        }
      self->attempts = n;
    }
  if (config != NULL && g_key_file_has_key (config, CONFIG_GROUP, "clarifai-backoff-ms", NULL))
    {
      int ms = g_key_file_get_integer (config, CONFIG_GROUP, "clarifai-backoff-ms", NULL);

      if (ms < 1 || ms > MAX_BACKOFF_MS)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "[tagger] clarifai-backoff-ms must be from 1 to %d", MAX_BACKOFF_MS);
          return NULL;
        }
      self->backoff_ms = ms;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
      || !segment_is_sane (user) || !segment_is_sane (app) || !segment_is_sane (version))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "[tagger] clarifai-url, -user, -app or -model-version is not valid");
      return NULL;
    }
  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  self->endpoint = g_strdup_printf ("%s/v2/users/%s/apps/%s/models/general-image-recognition"
                                    "/versions/%s/outputs", url, user, app, version);

  env_key = g_getenv ("CLARIFAI_PAT");
  if (env_key == NULL || *env_key == '\0')
    env_key = g_getenv ("CLARIFAI_API_KEY");
  if (env_key != NULL && *env_key != '\0')
    self->key = g_strdup (env_key);
  else if (key_file != NULL)
    {
      self->key = read_key_file (key_file, error);
      if (self->key == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "No Clarifai key: set CLARIFAI_PAT (or CLARIFAI_API_KEY), "
                   "or [tagger] clarifai-key-file to a file of mode 0600");
      return NULL;
    }
  if (!key_is_sane (self->key))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The Clarifai key is empty or has characters a key cannot have");
      return NULL;
    }

  return TESSERA_TAGGER (g_steal_pointer (&self));
}
