/* tessera-account.c
 *
 * The account is two small facts in a config file (which server, which
 * user) and one secret, the refresh token, kept in the Secret Service.
 * The password is never stored: a refresh token can be revoked, a password
 * is reused elsewhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-account"

#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "tessera-account.h"
#include "tessera-client.h"

struct _TesseraAccount
{
  GObject   parent_instance;

  char     *config_path;
  char     *fallback_path;
  char     *server_url;
  char     *username;
  gboolean  keyring_unavailable;
};

G_DEFINE_FINAL_TYPE (TesseraAccount, tessera_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_USERNAME,
  PROP_USES_KEYRING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const SecretSchema *
tessera_account_get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID, SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
tessera_account_finalize (GObject *object)
{
  TesseraAccount *self = (TesseraAccount *)object;

  g_clear_pointer (&self->config_path, g_free);
  g_clear_pointer (&self->fallback_path, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->username, g_free);

  G_OBJECT_CLASS (tessera_account_parent_class)->finalize (object);
}

static void
tessera_account_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TesseraAccount *self = TESSERA_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_USES_KEYRING:
      g_value_set_boolean (value, tessera_account_get_uses_keyring (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_account_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TesseraAccount *self = TESSERA_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      tessera_account_set_server_url (self, g_value_get_string (value));
      break;
    case PROP_USERNAME:
      tessera_account_set_username (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_account_class_init (TesseraAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_account_finalize;
  object_class->get_property = tessera_account_get_property;
  object_class->set_property = tessera_account_set_property;

  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TesseraAccount:uses-keyring:
   *
   * %FALSE once the Secret Service turned out to be missing and the token
   * went to a private file instead.
   */
  properties[PROP_USES_KEYRING] =
    g_param_spec_boolean ("uses-keyring", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_account_init (TesseraAccount *self)
{
  self->config_path = g_build_filename (g_get_user_config_dir (), "tessera", "account.ini", NULL);
  self->fallback_path = g_build_filename (g_get_user_config_dir (), "tessera", "refresh-token", NULL);
  /* For headless machines and tests that want the file on purpose. */
  self->keyring_unavailable = g_strcmp0 (g_getenv ("TESSERA_NO_KEYRING"), "1") == 0;
}

/**
 * tessera_account_new:
 *
 * Returns: (transfer full): an account stored under the user's config
 *   dir; call tessera_account_load() to read it
 */
TesseraAccount *
tessera_account_new (void)
{
  return g_object_new (TESSERA_TYPE_ACCOUNT, NULL);
}

const char *
tessera_account_get_config_path (TesseraAccount *self)
{
  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), NULL);

  return self->config_path;
}

/**
 * tessera_account_load:
 *
 * Reads the config file. A missing file is not an error: the account is
 * then empty.
 */
gboolean
tessera_account_load (TesseraAccount  *self,
                      GError         **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *server_url = NULL;
  g_autofree char *username = NULL;

  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), FALSE);

  if (!g_key_file_load_from_file (key_file, self->config_path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                   "Could not read %s: %s", self->config_path, local_error->message);
      return FALSE;
    }

  server_url = g_key_file_get_string (key_file, "account", "server", NULL);
  username = g_key_file_get_string (key_file, "account", "username", NULL);
  tessera_account_set_server_url (self, server_url);
  tessera_account_set_username (self, username);

  return TRUE;
}

/**
 * tessera_account_save:
 *
 * Writes the config file atomically. It holds no secret.
 */
gboolean
tessera_account_save (TesseraAccount  *self,
                      GError         **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), FALSE);

  if (self->server_url != NULL)
    g_key_file_set_string (key_file, "account", "server", self->server_url);
  if (self->username != NULL)
    g_key_file_set_string (key_file, "account", "username", self->username);
  data = g_key_file_to_data (key_file, &length, NULL);

  dir = g_path_get_dirname (self->config_path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (self->config_path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                   "Could not write %s: %s", self->config_path,
                   local_error ? local_error->message : g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

const char *
tessera_account_get_server_url (TesseraAccount *self)
{
  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), NULL);

  return self->server_url;
}

void
tessera_account_set_server_url (TesseraAccount *self,
                                const char     *server_url)
{
  g_return_if_fail (TESSERA_IS_ACCOUNT (self));

  if (g_strcmp0 (self->server_url, server_url) != 0)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
    }
}

const char *
tessera_account_get_username (TesseraAccount *self)
{
  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), NULL);

  return self->username;
}

void
tessera_account_set_username (TesseraAccount *self,
                              const char     *username)
{
  g_return_if_fail (TESSERA_IS_ACCOUNT (self));

  if (g_strcmp0 (self->username, username) != 0)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }
}

gboolean
tessera_account_get_uses_keyring (TesseraAccount *self)
{
  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), FALSE);

  return !self->keyring_unavailable;
}

static gboolean
is_service_missing (const GError *error)
{
  /* No session bus, or no one owning org.freedesktop.secrets on it. */
  return error->domain == G_DBUS_ERROR ||
         (error->domain == G_IO_ERROR && error->code != G_IO_ERROR_CANCELLED);
}

static gboolean
notify_uses_keyring_cb (gpointer user_data)
{
  g_autoptr(TesseraAccount) self = user_data;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USES_KEYRING]);

  return G_SOURCE_REMOVE;
}

static void
mark_keyring_unavailable (TesseraAccount *self,
                          const GError   *error)
{
  static gsize said_once;

  if (self->keyring_unavailable)
    return;

  self->keyring_unavailable = TRUE;
  if (g_once_init_enter (&said_once))
    {
      g_message ("No Secret Service is available (%s); keeping the session in %s, "
                 "readable only by you", error->message, self->fallback_path);
      g_once_init_leave (&said_once, 1);
    }
  /* The async variants get here on a worker thread; notify where the
   * account's owner lives. */
  g_main_context_invoke (NULL, notify_uses_keyring_cb, g_object_ref (self));
}

static gboolean
check_identity (TesseraAccount  *self,
                GError         **error)
{
  if (self->server_url == NULL || self->username == NULL)
    {
      g_set_error_literal (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED,
                           "No account is configured; sign in first");
      return FALSE;
    }
  return TRUE;
}

static GKeyFile *
load_fallback (TesseraAccount *self)
{
  GKeyFile *key_file = g_key_file_new ();

  g_key_file_load_from_file (key_file, self->fallback_path, G_KEY_FILE_NONE, NULL);

  return key_file;
}

static gboolean
save_fallback (TesseraAccount  *self,
               GKeyFile        *key_file,
               GError         **error)
{
  g_autofree char *dir = g_path_get_dirname (self->fallback_path);
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  data = g_key_file_to_data (key_file, &length, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (self->fallback_path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                   "Could not write %s: %s", self->fallback_path,
                   local_error ? local_error->message : g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

/**
 * tessera_account_store_token:
 * @self: a #TesseraAccount with a server and a user
 * @refresh_token: the refresh token
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Keeps @refresh_token in the Secret Service under the schema
 * `io.github.tessera.Tessera` with the attributes server and username, or
 * in a file of mode 0600 when there is no Secret Service. Blocks; use
 * tessera_account_store_token_async() from a UI.
 */
gboolean
tessera_account_store_token (TesseraAccount  *self,
                             const char      *refresh_token,
                             GCancellable    *cancellable,
                             GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (refresh_token != NULL, FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  if (!check_identity (self, error))
    return FALSE;

  if (!self->keyring_unavailable)
    {
      label = g_strdup_printf ("Tessera session of %s on %s", self->username, self->server_url);
      if (secret_password_store_sync (tessera_account_get_schema (), SECRET_COLLECTION_DEFAULT,
                                      label, refresh_token, cancellable, &local_error,
                                      "server", self->server_url,
                                      "username", self->username,
                                      NULL))
        return TRUE;

      if (!is_service_missing (local_error))
        {
          g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                       "Could not save the session in the keyring: %s", local_error->message);
          return FALSE;
        }
      mark_keyring_unavailable (self, local_error);
    }

  key_file = load_fallback (self);
  g_key_file_set_string (key_file, self->server_url, self->username, refresh_token);
  return save_fallback (self, key_file, error);
}

/**
 * tessera_account_lookup_token:
 *
 * Returns: (transfer full) (nullable): the stored refresh token, or %NULL
 *   (without an error) when there is none
 */
char *
tessera_account_lookup_token (TesseraAccount  *self,
                              GCancellable    *cancellable,
                              GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GKeyFile) key_file = NULL;

  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  if (self->server_url == NULL || self->username == NULL)
    return NULL;

  if (!self->keyring_unavailable)
    {
      char *secret = secret_password_lookup_sync (tessera_account_get_schema (), cancellable,
                                                  &local_error,
                                                  "server", self->server_url,
                                                  "username", self->username,
                                                  NULL);
      if (secret != NULL)
        {
          char *copy = g_strdup (secret);
          secret_password_free (secret);
          return copy;
        }

      if (local_error != NULL)
        {
          if (!is_service_missing (local_error))
            {
              g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                           "Could not read the keyring: %s", local_error->message);
              return NULL;
            }
          mark_keyring_unavailable (self, local_error);
        }
    }

  key_file = load_fallback (self);
  return g_key_file_get_string (key_file, self->server_url, self->username, NULL);
}

/**
 * tessera_account_clear_token:
 *
 * Forgets the stored refresh token, wherever it is.
 */
gboolean
tessera_account_clear_token (TesseraAccount  *self,
                             GCancellable    *cancellable,
                             GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GKeyFile) key_file = NULL;

  g_return_val_if_fail (TESSERA_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  if (self->server_url == NULL || self->username == NULL)
    return TRUE;

  if (!self->keyring_unavailable &&
      !secret_password_clear_sync (tessera_account_get_schema (), cancellable, &local_error,
                                   "server", self->server_url,
                                   "username", self->username,
                                   NULL) &&
      local_error != NULL)
    {
      if (!is_service_missing (local_error))
        {
          g_set_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_LOCAL,
                       "Could not update the keyring: %s", local_error->message);
          return FALSE;
        }
      mark_keyring_unavailable (self, local_error);
    }

  key_file = load_fallback (self);
  if (g_key_file_has_key (key_file, self->server_url, self->username, NULL))
    {
      g_key_file_remove_key (key_file, self->server_url, self->username, NULL);
      return save_fallback (self, key_file, error);
    }

  return TRUE;
}

/* The async variants run the same code on a worker thread: libsecret's
 * blocking calls are safe there, and the fallback file is small. */

typedef enum { OP_STORE, OP_LOOKUP, OP_CLEAR } Op;

typedef struct
{
  Op    op;
  char *token;
} AccountOp;

static void
account_op_free (AccountOp *op)
{
  g_free (op->token);
  g_free (op);
}

static void
account_op_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TesseraAccount *self = source_object;
  AccountOp *op = task_data;
  GError *error = NULL;
  char *token;

  switch (op->op)
    {
    case OP_STORE:
      if (tessera_account_store_token (self, op->token, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;

    case OP_LOOKUP:
      token = tessera_account_lookup_token (self, cancellable, &error);
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, token, g_free);
      break;

    case OP_CLEAR:
      if (tessera_account_clear_token (self, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
run_op (TesseraAccount      *self,
        Op                   kind,
        const char          *token,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  AccountOp *op = g_new0 (AccountOp, 1);

  op->op = kind;
  op->token = g_strdup (token);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) account_op_free);
  g_task_run_in_thread (task, account_op_thread);
}

void
tessera_account_store_token_async (TesseraAccount      *self,
                                   const char          *refresh_token,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_ACCOUNT (self));
  g_return_if_fail (refresh_token != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  run_op (self, OP_STORE, refresh_token, tessera_account_store_token_async,
          cancellable, callback, user_data);
}

gboolean
tessera_account_store_token_finish (TesseraAccount  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tessera_account_lookup_token_async (TesseraAccount      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_ACCOUNT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  run_op (self, OP_LOOKUP, NULL, tessera_account_lookup_token_async,
          cancellable, callback, user_data);
}

/**
 * tessera_account_lookup_token_finish:
 *
 * Returns: (transfer full) (nullable): the token, %NULL if none
 */
char *
tessera_account_lookup_token_finish (TesseraAccount  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tessera_account_clear_token_async (TesseraAccount      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_ACCOUNT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  run_op (self, OP_CLEAR, NULL, tessera_account_clear_token_async,
          cancellable, callback, user_data);
}

gboolean
tessera_account_clear_token_finish (TesseraAccount  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
