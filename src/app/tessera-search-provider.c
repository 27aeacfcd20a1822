/* tessera-search-provider.c: the user's images in the GNOME Shell overview
 *
 * org.gnome.Shell.SearchProvider2, exported by the app on its own D-Bus
 * name. Each word typed is a tag prefix; an image matches when every word
 * starts one of its tags. Answers come from the signed-in account's
 * listing cache on disk, so they are fast and work offline. There is one
 * cache per server and user, as for the app's thumbnails: a second account
 * never sees the first's images, and a signed-out desktop nobody's. After a
 * search the listing is refreshed from the server in the background (with
 * the app's session when it has one, else with the stored one) and the
 * thumbnails of the matches are fetched, for the next search to show.
 *
 * The application is held while a call or a refresh runs, so that an app
 * started by D-Bus activation (--gapplication-service) stays up exactly
 * that long, plus its inactivity timeout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-search-provider"

#include "config.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "tessera-account.h"
#include "tessera-application.h"
#include "tessera-client.h"
#include "tessera-search-provider.h"
#include "tessera-shell-search-provider-generated.h"
#include "tessera-thumbnail-loader.h"

/* The Shell shows a handful; more only costs D-Bus traffic. */
#define MAX_RESULTS           100
/* At most this often, and this many pages of the listing, per refresh. */
#define REFRESH_INTERVAL_USEC (30 * G_USEC_PER_SEC)
#define REFRESH_PAGE_SIZE     100
#define REFRESH_MAX_PAGES     50
#define MAX_THUMBNAILS        12

struct _TesseraSearchProvider
{
  GObject                      parent_instance;

  GApplication                *application;   /* unowned: it owns us */
  TesseraShellSearchProvider2 *skeleton;
  TesseraListingCache         *cache;         /* NULL: nobody signed in */
  gint64                       cache_stamp;   /* of the file when read; 0: never */
  char                        *account_path;
  gint64                       account_stamp; /* of the account file when read; 0: never */
  GCancellable                *cancellable;
  GStrv                        last_terms;
  gint64                       last_refresh;  /* monotonic µs; 0: never */
  gboolean                     refreshing;
};

G_DEFINE_FINAL_TYPE (TesseraSearchProvider, tessera_search_provider, G_TYPE_OBJECT)

/* The file's size and modification time, so a change by another process
 * (the app writing a new listing) is read on the next search. */
static gint64
file_stamp (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;

  return (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
         + st.st_mtim.tv_nsec + (gint64) st.st_size;
}

/* The account the answers are for, from the app's account file (read again
 * when it changes), and its cache (tessera_listing_cache_new_for_account()). */
static void
update_account (TesseraSearchProvider *self)
{
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(TesseraListingCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  gint64 stamp;

  if (self->account_path == NULL)
    self->account_path = g_strdup (tessera_account_get_config_path (account));

  stamp = file_stamp (self->account_path);
  if (stamp == self->account_stamp)
    return;
  self->account_stamp = stamp;

  if (!tessera_account_load (account, &error))
    g_debug ("No account: %s", error->message);
  if (tessera_account_get_server_url (account) != NULL &&
      tessera_account_get_username (account) != NULL)
    cache = tessera_listing_cache_new_for_account (tessera_account_get_server_url (account),
                                                   tessera_account_get_username (account));

  if (cache != NULL && self->cache != NULL &&
      g_strcmp0 (tessera_listing_cache_get_path (cache), tessera_listing_cache_get_path (self->cache)) == 0)
    return;

  g_clear_object (&self->cache);
  self->cache = g_steal_pointer (&cache);
  self->cache_stamp = 0;
}

/* Returns: whether someone is signed in, with their listing read. */
static gboolean
ensure_cache (TesseraSearchProvider *self)
{
  g_autoptr(GError) error = NULL;
  gint64 stamp;

  update_account (self);
  if (self->cache == NULL)
    return FALSE;

  stamp = file_stamp (tessera_listing_cache_get_path (self->cache));
  if (stamp == self->cache_stamp)
    return TRUE;

  self->cache_stamp = stamp;
  if (!tessera_listing_cache_load (self->cache, &error))
    g_warning ("Could not read the listing cache: %s", error->message);

  return TRUE;
}

/* Background refresh */

typedef struct
{
  TesseraSearchProvider *self;
  TesseraListingCache   *cache;        /* the account's when the refresh began */
  TesseraAccount        *account;      /* only for a session of our own */
  TesseraClient         *client;
  TesseraThumbnailLoader *loader;
  GPtrArray             *images;
  char                  *cursor;
  guint                  pages;
  guint                  pending;      /* thumbnail loads */
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  TesseraSearchProvider *self = refresh->self;

  g_debug ("Refresh done: %u images listed", refresh->images->len);
  self->refreshing = FALSE;
  g_application_release (self->application);

  g_clear_object (&refresh->cache);
  g_clear_object (&refresh->account);
  g_clear_object (&refresh->client);
  g_clear_object (&refresh->loader);
  g_clear_pointer (&refresh->images, g_ptr_array_unref);
  g_clear_pointer (&refresh->cursor, g_free);
  g_object_unref (self);
  g_free (refresh);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Refresh, refresh_free)

static void list_page (Refresh *refresh);

static void
thumbnail_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = tessera_thumbnail_loader_load_finish (TESSERA_THUMBNAIL_LOADER (object), result, &error);
  if (bytes == NULL)
    g_debug ("No thumbnail: %s", error->message);

  if (--refresh->pending == 0)
    refresh_free (refresh);
}

/* The thumbnails of what the last search found, for the next one to show. */
static void
load_thumbnails (Refresh *refresh)
{
  TesseraSearchProvider *self = refresh->self;
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  g_auto(GStrv) ids = NULL;

  if (self->last_terms != NULL)
    ids = tessera_listing_cache_search (refresh->cache, (const char * const *) self->last_terms,
                                        MAX_THUMBNAILS);

  for (guint i = 0; ids != NULL && i < refresh->images->len; i++)
    {
      TesseraImage *image = g_ptr_array_index (refresh->images, i);
      g_autofree char *path = NULL;

      if (!g_strv_contains ((const char * const *) ids, tessera_image_get_id (image)) ||
          tessera_image_get_thumbnail_url (image) == NULL)
        continue;

      path = tessera_listing_cache_dup_thumbnail_path (refresh->cache, tessera_image_get_id (image));
      if (path == NULL)
        g_ptr_array_add (wanted, image);
    }

  if (wanted->len == 0)
    {
      refresh_free (refresh);
      return;
    }

  refresh->loader = tessera_thumbnail_loader_new (refresh->client,
                                                  tessera_listing_cache_get_thumbnail_dir (refresh->cache));
  refresh->pending = wanted->len;
  for (guint i = 0; i < wanted->len; i++)
    tessera_thumbnail_loader_load_async (refresh->loader, g_ptr_array_index (wanted, i),
                                         self->cancellable, thumbnail_cb, refresh);
}

static void
list_images_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Refresh *refresh = user_data;
  TesseraSearchProvider *self = refresh->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *next_cursor = NULL;

  page = tessera_client_list_images_finish (TESSERA_CLIENT (object), result, &next_cursor, &error);
  if (page == NULL)
    {
      /* Offline, or signed out: the cache stays as it is. */
      g_debug ("Could not refresh the listing: %s", error->message);
      refresh_free (refresh);
      return;
    }

  g_ptr_array_extend_and_steal (refresh->images, g_steal_pointer (&page));
  g_free (refresh->cursor);
  refresh->cursor = g_steal_pointer (&next_cursor);

  if (refresh->cursor != NULL && ++refresh->pages < REFRESH_MAX_PAGES)
    {
      list_page (refresh);
      return;
    }

  /* Merged into what the file holds now (the app may have written it).
   * Without a cursor this is the whole listing, and images gone from it
   * (deleted elsewhere) leave the cache too. */
  if (refresh->cache == self->cache)
    ensure_cache (self);
  tessera_listing_cache_merge (refresh->cache, refresh->images, refresh->cursor == NULL);
  if (!tessera_listing_cache_save (refresh->cache, &error))
    g_warning ("Could not write the listing cache: %s", error->message);
  if (refresh->cache == self->cache)
    self->cache_stamp = file_stamp (tessera_listing_cache_get_path (self->cache));

  load_thumbnails (refresh);
}

static void
list_page (Refresh *refresh)
{
  TesseraImageQuery query = {
    .limit = REFRESH_PAGE_SIZE,
    .cursor = refresh->cursor,
  };

  tessera_client_list_images_async (refresh->client, &query, refresh->self->cancellable,
                                    list_images_cb, refresh);
}

static void
store_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_account_store_token_finish (TESSERA_ACCOUNT (object), result, &error))
    g_warning ("Could not store the renewed session: %s", error->message);
}

/* A refresh rotates the refresh token: keep the new one, or the next start
 * of the app would present a spent one. */
static void
on_session_changed (TesseraAccount *account,
                    TesseraClient  *client)
{
  g_autofree char *token = tessera_client_dup_refresh_token (client);

  if (token != NULL)
    tessera_account_store_token_async (account, token, NULL, store_token_cb, NULL);
}

static void
start_listing (Refresh    *refresh,
               const char *url,
               char       *token)
{
  g_autofree char *owned_token = token;

  refresh->client = tessera_client_new (url);
  tessera_client_set_session (refresh->client,
                              tessera_account_get_username (refresh->account),
                              owned_token);
  g_signal_connect_object (refresh->client, "session-changed",
                           G_CALLBACK (on_session_changed), refresh->account,
                           G_CONNECT_SWAPPED);
  list_page (refresh);
}

typedef struct
{
  Refresh *refresh;
  char    *token;
} LocalStart;

static void
local_server_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LocalStart *start = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = tessera_local_server_start_finish (TESSERA_LOCAL_SERVER (object), result, &error);
  if (url == NULL)
    {
      g_debug ("The bundled server did not start: %s", error->message);
      g_free (start->token);
      refresh_free (start->refresh);
    }
  else
    start_listing (start->refresh, url, start->token);

  g_free (start);
}

static void
lookup_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Refresh) refresh = user_data;
  TesseraApplication *app = TESSERA_APPLICATION (refresh->self->application);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *mode = NULL;
  const char *url;
  char *token;

  token = tessera_account_lookup_token_finish (TESSERA_ACCOUNT (object), result, &error);
  if (token == NULL && error == NULL)
    {
      /* Signed out: what the account could see is not for the next user
       * of this desktop to search. */
      g_debug ("Signed out: forgetting the listing");
      if (g_unlink (tessera_listing_cache_get_path (refresh->cache)) != 0 && errno != ENOENT)
        g_warning ("Could not remove %s: %s", tessera_listing_cache_get_path (refresh->cache),
                   g_strerror (errno));
      return;
    }
  if (token == NULL)
    {
      g_debug ("No stored session to refresh with: %s", error->message);
      return;
    }

  settings = g_settings_new (APP_ID);
  mode = g_settings_get_string (settings, "server-mode");

  if (g_strcmp0 (mode, "local") == 0 && tessera_application_get_local_server (app) != NULL)
    {
      LocalStart *start = g_new0 (LocalStart, 1);
      GCancellable *cancellable = refresh->self->cancellable;

      /* The bundled server's port changes from run to run. */
      start->refresh = g_steal_pointer (&refresh);
      start->token = token;
      tessera_local_server_start_async (tessera_application_get_local_server (app),
                                        cancellable, local_server_cb, start);
      return;
    }

  if (tessera_account_get_server_url (refresh->account) == NULL)
    {
      g_free (token);
      return;
    }

  url = tessera_account_get_server_url (refresh->account);
  start_listing (g_steal_pointer (&refresh), url, token);
}

static void
maybe_refresh (TesseraSearchProvider *self)
{
  g_autoptr(Refresh) refresh = NULL;
  g_autoptr(GError) error = NULL;
  TesseraApplication *app;
  TesseraAccount *account;
  TesseraClient *client;
  gint64 now = g_get_monotonic_time ();

  if (self->refreshing || self->cache == NULL || !TESSERA_IS_APPLICATION (self->application) ||
      (self->last_refresh != 0 && now - self->last_refresh < REFRESH_INTERVAL_USEC))
    return;

  app = TESSERA_APPLICATION (self->application);
  /* The app is resuming its session: two refreshes with one refresh token
   * would spend it twice. Next search. */
  if (tessera_application_get_starting (app))
    return;

  self->refreshing = TRUE;
  self->last_refresh = now;
  g_application_hold (self->application);

  refresh = g_new0 (Refresh, 1);
  refresh->self = g_object_ref (self);
  refresh->cache = g_object_ref (self->cache);
  refresh->images = g_ptr_array_new_with_free_func (g_object_unref);

  client = tessera_application_get_client (app);
  if (client != NULL && tessera_client_get_signed_in (client))
    {
      refresh->client = g_object_ref (client);
      list_page (g_steal_pointer (&refresh));
      return;
    }

  refresh->account = tessera_account_new ();
  if (!tessera_account_load (refresh->account, &error))
    {
      g_debug ("No account to refresh with: %s", error->message);
      return;
    }
  if (tessera_account_get_username (refresh->account) == NULL)
    return;

  account = refresh->account;
  tessera_account_lookup_token_async (account, self->cancellable,
                                      lookup_token_cb, g_steal_pointer (&refresh));
}

/* D-Bus methods */

static void
remember_terms (TesseraSearchProvider *self,
                const char * const    *terms)
{
  g_strfreev (self->last_terms);
  self->last_terms = g_strdupv ((char **) terms);
}

static gboolean
handle_get_initial_result_set (TesseraShellSearchProvider2 *skeleton,
                               GDBusMethodInvocation       *invocation,
                               const char * const          *terms,
                               TesseraSearchProvider       *self)
{
  g_auto(GStrv) results = NULL;

  g_application_hold (self->application);

  if (ensure_cache (self))
    results = tessera_listing_cache_search (self->cache, terms, MAX_RESULTS);
  else
    results = g_new0 (char *, 1);
  tessera_shell_search_provider2_complete_get_initial_result_set (skeleton, invocation,
                                                                   (const char * const *) results);
  remember_terms (self, terms);
  maybe_refresh (self);

  g_application_release (self->application);

  return TRUE;
}

static gboolean
handle_get_subsearch_result_set (TesseraShellSearchProvider2 *skeleton,
                                 GDBusMethodInvocation       *invocation,
                                 const char * const          *previous_results,
                                 const char * const          *terms,
                                 TesseraSearchProvider       *self)
{
  g_auto(GStrv) results = NULL;

  g_application_hold (self->application);

  /* A capped previous answer may have left out matches: search again. */
  if (!ensure_cache (self))
    results = g_new0 (char *, 1);
  else if (g_strv_length ((char **) previous_results) >= MAX_RESULTS)
    results = tessera_listing_cache_search (self->cache, terms, MAX_RESULTS);
  else
    results = tessera_listing_cache_filter (self->cache, previous_results, terms, MAX_RESULTS);
  tessera_shell_search_provider2_complete_get_subsearch_result_set (skeleton, invocation,
                                                                     (const char * const *) results);
  remember_terms (self, terms);

  g_application_release (self->application);

  return TRUE;
}

static GIcon *
dup_icon (TesseraSearchProvider *self,
          const char            *image_id)
{
  g_autofree char *path = tessera_listing_cache_dup_thumbnail_path (self->cache, image_id);
  g_autoptr(GFile) file = NULL;

  if (path == NULL)
    return g_themed_icon_new ("image-x-generic");

  file = g_file_new_for_path (path);
  return g_file_icon_new (file);
}

static gboolean
handle_get_result_metas (TesseraShellSearchProvider2 *skeleton,
                         GDBusMethodInvocation       *invocation,
                         const char * const          *identifiers,
                         TesseraSearchProvider       *self)
{
  GVariantBuilder metas;
  gboolean signed_in;

  g_application_hold (self->application);

  signed_in = ensure_cache (self);
  g_variant_builder_init (&metas, G_VARIANT_TYPE ("aa{sv}"));

  for (guint i = 0; signed_in && identifiers[i] != NULL; i++)
    {
      const char *filename = NULL;
      const char * const *tags = NULL;
      g_autofree char *description = NULL;
      g_autofree char *icon_string = NULL;
      g_autoptr(GIcon) icon = NULL;
      GVariantBuilder meta;

      /* An id the cache no longer holds (deleted since) gets no entry. */
      if (!tessera_listing_cache_lookup (self->cache, identifiers[i], &filename, &tags))
        continue;

      description = g_strjoinv (", ", (char **) tags);
      icon = dup_icon (self, identifiers[i]);
      icon_string = g_icon_to_string (icon);

      g_variant_builder_init (&meta, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&meta, "{sv}", "id", g_variant_new_string (identifiers[i]));
      g_variant_builder_add (&meta, "{sv}", "name",
                             g_variant_new_string (*filename ? filename : identifiers[i]));
      g_variant_builder_add (&meta, "{sv}", "description", g_variant_new_string (description));
      g_variant_builder_add (&meta, "{sv}", "icon", g_icon_serialize (icon));
      g_variant_builder_add (&meta, "{sv}", "gicon", g_variant_new_string (icon_string));
      g_variant_builder_add_value (&metas, g_variant_builder_end (&meta));
    }

  tessera_shell_search_provider2_complete_get_result_metas (skeleton, invocation,
                                                            g_variant_builder_end (&metas));

  g_application_release (self->application);

  return TRUE;
}

/* Activates app.NAME with @parameter when the app has such an action, with
 * that parameter type. */
static gboolean
activate_app_action (TesseraSearchProvider *self,
                     const char            *name,
                     GVariant              *parameter)
{
  g_autoptr(GVariant) param = g_variant_ref_sink (parameter);
  const GVariantType *type = NULL;
  gboolean enabled = FALSE;

  if (!g_action_group_query_action (G_ACTION_GROUP (self->application), name,
                                    &enabled, &type, NULL, NULL, NULL) ||
      !enabled || type == NULL || !g_variant_is_of_type (param, type))
    {
      g_debug ("The app has no action app.%s(%s)", name, g_variant_get_type_string (param));
      return FALSE;
    }

  g_action_group_activate_action (G_ACTION_GROUP (self->application), name, param);

  return TRUE;
}

static gboolean
handle_activate_result (TesseraShellSearchProvider2 *skeleton,
                        GDBusMethodInvocation       *invocation,
                        const char                  *identifier,
                        const char * const          *terms,
                        guint                        timestamp,
                        TesseraSearchProvider       *self)
{
  g_application_hold (self->application);

  /* The window first (it resumes the session), then the image in it. */
  g_application_activate (self->application);
  activate_app_action (self, "show-image", g_variant_new_string (identifier));
  tessera_shell_search_provider2_complete_activate_result (skeleton, invocation);

  g_application_release (self->application);

  return TRUE;
}

static gboolean
handle_launch_search (TesseraShellSearchProvider2 *skeleton,
                      GDBusMethodInvocation       *invocation,
                      const char * const          *terms,
                      guint                        timestamp,
                      TesseraSearchProvider       *self)
{
  g_application_hold (self->application);

  g_application_activate (self->application);
  activate_app_action (self, "search", g_variant_new_strv (terms, -1));
  tessera_shell_search_provider2_complete_launch_search (skeleton, invocation);

  g_application_release (self->application);

  return TRUE;
}

static void
tessera_search_provider_dispose (GObject *object)
{
  TesseraSearchProvider *self = TESSERA_SEARCH_PROVIDER (object);

  g_cancellable_cancel (self->cancellable);
  tessera_search_provider_unregister (self);

  G_OBJECT_CLASS (tessera_search_provider_parent_class)->dispose (object);
}

static void
tessera_search_provider_finalize (GObject *object)
{
  TesseraSearchProvider *self = TESSERA_SEARCH_PROVIDER (object);

  g_clear_object (&self->skeleton);
  g_clear_object (&self->cache);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->account_path, g_free);
  g_clear_pointer (&self->last_terms, g_strfreev);

  G_OBJECT_CLASS (tessera_search_provider_parent_class)->finalize (object);
}

static void
tessera_search_provider_class_init (TesseraSearchProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_search_provider_dispose;
  object_class->finalize = tessera_search_provider_finalize;
}

static void
tessera_search_provider_init (TesseraSearchProvider *self)
{
  self->cancellable = g_cancellable_new ();
  self->skeleton = tessera_shell_search_provider2_skeleton_new ();

  g_signal_connect_object (self->skeleton, "handle-get-initial-result-set",
                           G_CALLBACK (handle_get_initial_result_set), self, 0);
  g_signal_connect_object (self->skeleton, "handle-get-subsearch-result-set",
                           G_CALLBACK (handle_get_subsearch_result_set), self, 0);
  g_signal_connect_object (self->skeleton, "handle-get-result-metas",
                           G_CALLBACK (handle_get_result_metas), self, 0);
  g_signal_connect_object (self->skeleton, "handle-activate-result",
                           G_CALLBACK (handle_activate_result), self, 0);
  g_signal_connect_object (self->skeleton, "handle-launch-search",
                           G_CALLBACK (handle_launch_search), self, 0);
}

/**
 * tessera_search_provider_new:
 * @application: the app that exports it; it must outlive the provider
 *
 * Returns: (transfer full): a new search provider, not yet exported
 */
TesseraSearchProvider *
tessera_search_provider_new (GApplication *application)
{
  TesseraSearchProvider *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);

  self = g_object_new (TESSERA_TYPE_SEARCH_PROVIDER, NULL);
  self->application = application;

  return self;
}

/**
 * tessera_search_provider_get_cache:
 *
 * Returns: (transfer none) (nullable): the listing cache it answers from,
 *   the signed-in account's; %NULL when nobody is
 */
TesseraListingCache *
tessera_search_provider_get_cache (TesseraSearchProvider *self)
{
  g_return_val_if_fail (TESSERA_IS_SEARCH_PROVIDER (self), NULL);

  ensure_cache (self);

  return self->cache;
}

/**
 * tessera_search_provider_register:
 * @object_path: where to export it; the search provider `.ini` names it
 *
 * Returns: %TRUE when exported
 */
gboolean
tessera_search_provider_register (TesseraSearchProvider  *self,
                                  GDBusConnection        *connection,
                                  const char             *object_path,
                                  GError                **error)
{
  g_return_val_if_fail (TESSERA_IS_SEARCH_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (object_path != NULL, FALSE);

  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                           connection, object_path, error);
}

void
tessera_search_provider_unregister (TesseraSearchProvider *self)
{
  g_return_if_fail (TESSERA_IS_SEARCH_PROVIDER (self));

  if (self->skeleton != NULL &&
      g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (self->skeleton)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}
