/* tessera-image-tile.c
 *
 * A tile is recycled by the grid: set_image() drops the previous image's
 * load (cancelling it) and starts the new one, so a fast scroll never
 * paints an old thumbnail into a new place.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-image-tile"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-image-tile.h"
#include "tessera-texture.h"

struct _TesseraImageTile
{
  GtkWidget               parent_instance;

  TesseraThumbnailLoader *loader;
  TesseraImage           *image;
  GCancellable           *cancellable;
  char                   *loaded_url;
  gulong                  notify_handler;
  GList                  *queued;   /* in load_queue, waiting to load */
  gboolean                selection_mode;
  gboolean                selected;

  /* Template children */
  GtkOverlay             *overlay;
  GtkStack               *stack;
  GtkPicture             *picture;
  GtkWidget              *badge;
  GtkCheckButton         *check;
  GtkImage               *badge_icon;
  GtkLabel               *badge_label;
};

G_DEFINE_FINAL_TYPE (TesseraImageTile, tessera_image_tile, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_IMAGE,
  PROP_SELECTION_MODE,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_badge (TesseraImageTile *self)
{
  const char *status = self->image ? tessera_image_get_status (self->image) : NULL;
  const char *icon = NULL;
  const char *label = NULL;

  if (g_strcmp0 (status, "uploading") == 0)
    {
      icon = "send-to-symbolic";
      label = _("Uploading");
    }
  else if (g_strcmp0 (status, "processing") == 0)
    {
      icon = "emblem-synchronizing-symbolic";
      label = _("Processing");
    }
  else if (g_strcmp0 (status, "failed") == 0)
    {
      icon = "dialog-error-symbolic";
      label = _("Failed");
    }

  gtk_widget_set_visible (self->badge, label != NULL);
  gtk_widget_remove_css_class (self->badge, "error");
  if (label == NULL)
    return;

  gtk_image_set_from_icon_name (self->badge_icon, icon);
  gtk_label_set_label (self->badge_label, label);
  if (g_strcmp0 (status, "failed") == 0)
    {
      gtk_widget_add_css_class (self->badge, "error");
      gtk_widget_set_tooltip_text (self->badge, tessera_image_get_failure_reason (self->image));
    }
  else
    gtk_widget_set_tooltip_text (self->badge, NULL);
}

/* The file name and tags, for the tooltip and screen readers. */
static char *
describe (TesseraImageTile *self)
{
  const char *name = NULL;
  g_autofree char *tags = NULL;

  if (self->image != NULL)
    {
      name = tessera_image_get_filename (self->image);
      tags = g_strjoinv (", ", (char **) tessera_image_get_tags (self->image));
    }

  if (name == NULL)
    name = _("Image");

  return tags && *tags ? g_strdup_printf (_("%s, tagged %s"), name, tags) : g_strdup (name);
}

static void
update_accessible (TesseraImageTile *self)
{
  g_autofree char *description = describe (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
}

/* Made when asked for, not set on every bind: setting a widget's tooltip
 * text makes GTK look for the widget under the pointer again, a pick
 * through the whole window, and a page of the listing binds (and
 * unbinds) a hundred tiles at once: a third of a millisecond each, 30-70
 * ms in one frame. */
static gboolean
tessera_image_tile_query_tooltip (GtkWidget  *widget,
                                  int         x,
                                  int         y,
                                  gboolean    keyboard_tooltip,
                                  GtkTooltip *tooltip)
{
  TesseraImageTile *self = TESSERA_IMAGE_TILE (widget);
  g_autofree char *description = NULL;

  (void) x;
  (void) y;
  (void) keyboard_tooltip;

  if (self->image == NULL)
    return FALSE;

  description = describe (self);
  gtk_tooltip_set_text (tooltip, description);
  return TRUE;
}

static void
decode_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TesseraImageTile) self = user_data;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GError) error = NULL;

  paintable = tessera_texture_decode_paintable_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Not cancelled, so this was the tile's current load. */
  g_clear_object (&self->cancellable);
  if (paintable == NULL)
    {
      g_debug ("Thumbnail of %s unreadable: %s",
               self->image ? tessera_image_get_id (self->image) : "?", error->message);
      return;
    }

  gtk_picture_set_paintable (self->picture, paintable);
  gtk_stack_set_visible_child_name (self->stack, "picture");
}

/* Decoding on a worker thread keeps a fast scroll, which binds dozens of
 * tiles in one frame, from waiting on them. */
static void
decode (TesseraImageTile *self,
        GBytes           *bytes)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int width = gtk_widget_get_width (GTK_WIDGET (self->overlay));
  int height = gtk_widget_get_height (GTK_WIDGET (self->overlay));

  /* At the size it is drawn, so that no frame scales it (the cairo
   * renderer would, on every frame). Before the first allocation, the
   * size asked for. */
  if (width <= 0 || height <= 0)
    gtk_widget_get_size_request (GTK_WIDGET (self->overlay), &width, &height);

  tessera_texture_decode_paintable_async (bytes, width * scale, height * scale, GTK_WIDGET (self),
                                          self->cancellable, decode_cb, g_object_ref (self));
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TesseraImageTile) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = tessera_thumbnail_loader_load_finish (TESSERA_THUMBNAIL_LOADER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
    return;

  if (bytes == NULL)
    {
      g_clear_object (&self->cancellable);
      g_debug ("No thumbnail yet: %s", error->message);
      return;
    }

  if (self->image != NULL)
    decode (self, bytes);
}

/* Tiles waiting to start loading their thumbnail. Binding a tile only
 * queues it: when a page of the listing arrives, the grid binds a hundred
 * tiles at once (the rows just below the view), and starting a hundred
 * loads there and then added 3-5 ms to that frame. The queue starts them
 * between frames, a few milliseconds' worth at a time, in binding order;
 * a tile unbound before its turn never starts one. */
static GQueue load_queue = G_QUEUE_INIT;
static guint load_queue_source;

#define LOAD_QUEUE_BUDGET_US 3000

static void start_load (TesseraImageTile *self);

static gboolean
load_queue_cb (gpointer user_data)
{
  gint64 deadline = g_get_monotonic_time () + LOAD_QUEUE_BUDGET_US;

  (void) user_data;

  while (!g_queue_is_empty (&load_queue))
    {
      TesseraImageTile *self = g_queue_pop_head (&load_queue);

      self->queued = NULL;
      start_load (self);
      g_object_unref (self);

      if (g_get_monotonic_time () >= deadline)
        return G_SOURCE_CONTINUE;
    }

  load_queue_source = 0;
  return G_SOURCE_REMOVE;
}

static void
unqueue (TesseraImageTile *self)
{
  if (self->queued == NULL)
    return;

  g_queue_delete_link (&load_queue, self->queued);
  self->queued = NULL;
  g_object_unref (self);
}

static void
enqueue (TesseraImageTile *self)
{
  if (self->queued != NULL)
    return;

  g_queue_push_tail (&load_queue, g_object_ref (self));
  self->queued = load_queue.tail;
  if (load_queue_source == 0)
    {
      load_queue_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, load_queue_cb, NULL, NULL);
      g_source_set_name_by_id (load_queue_source, "[tessera] thumbnail load queue");
    }
}

static void
load_thumbnail (TesseraImageTile *self)
{
  const char *url;

  g_assert (TESSERA_IS_IMAGE_TILE (self));

  url = self->image ? tessera_image_get_thumbnail_url (self->image) : NULL;
  if (url == NULL || self->loader == NULL)
    return;

  /* The URL's signature changes on every listing; the image does not. */
  if (self->loaded_url != NULL && gtk_picture_get_paintable (self->picture) != NULL)
    return;
  /* A load for this image is already under way, or waiting to be. */
  if (self->cancellable != NULL || self->queued != NULL)
    return;

  enqueue (self);
}

static void
start_load (TesseraImageTile *self)
{
  const char *url = self->image ? tessera_image_get_thumbnail_url (self->image) : NULL;
  g_autoptr(GBytes) cached = NULL;

  if (url == NULL || self->loader == NULL || self->cancellable != NULL)
    return;

  g_free (self->loaded_url);
  self->loaded_url = g_strdup (url);
  self->cancellable = g_cancellable_new ();

  cached = tessera_thumbnail_loader_lookup (self->loader, tessera_image_get_id (self->image));
  if (cached != NULL)
    decode (self, cached);
  else
    tessera_thumbnail_loader_load_async (self->loader, self->image, self->cancellable,
                                         load_cb, g_object_ref (self));
}

static void
on_image_notify (TesseraImageTile *self,
                 GParamSpec       *pspec,
                 TesseraImage     *image)
{
  update_badge (self);
  update_accessible (self);
  load_thumbnail (self);
}

void
tessera_image_tile_set_image (TesseraImageTile *self,
                              TesseraImage     *image)
{
  g_return_if_fail (TESSERA_IS_IMAGE_TILE (self));
  g_return_if_fail (!image || TESSERA_IS_IMAGE (image));

  if (self->image == image)
    return;

  unqueue (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->loaded_url, g_free);
  if (self->image != NULL)
    g_clear_signal_handler (&self->notify_handler, self->image);
  g_set_object (&self->image, image);

  gtk_picture_set_paintable (self->picture, NULL);
  gtk_stack_set_visible_child_name (self->stack, "placeholder");

  if (image != NULL)
    {
      self->notify_handler = g_signal_connect_object (image, "notify",
                                                      G_CALLBACK (on_image_notify),
                                                      self, G_CONNECT_SWAPPED);
      load_thumbnail (self);
    }

  update_badge (self);
  update_accessible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE]);
}

/**
 * tessera_image_tile_get_image:
 *
 * Returns: (transfer none) (nullable): the image shown
 */
TesseraImage *
tessera_image_tile_get_image (TesseraImageTile *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_TILE (self), NULL);

  return self->image;
}

gboolean
tessera_image_tile_get_has_thumbnail (TesseraImageTile *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_TILE (self), FALSE);

  return gtk_picture_get_paintable (self->picture) != NULL;
}

void
tessera_image_tile_set_size (TesseraImageTile *self,
                             int               size)
{
  g_return_if_fail (TESSERA_IS_IMAGE_TILE (self));

  gtk_widget_set_size_request (GTK_WIDGET (self->overlay), size, size);
}

static void
update_check (TesseraImageTile *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->check), self->selection_mode);
  gtk_check_button_set_active (self->check, self->selected);
}

static void
set_flag (TesseraImageTile *self,
          gboolean         *flag,
          gboolean          value,
          int               prop)
{
  value = !!value;
  if (*flag == value)
    return;

  *flag = value;
  update_check (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
tessera_image_tile_dispose (GObject *object)
{
  TesseraImageTile *self = TESSERA_IMAGE_TILE (object);

  unqueue (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->image != NULL)
    g_clear_signal_handler (&self->notify_handler, self->image);
  g_clear_object (&self->image);
  g_clear_object (&self->loader);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_IMAGE_TILE);

  G_OBJECT_CLASS (tessera_image_tile_parent_class)->dispose (object);
}

static void
tessera_image_tile_finalize (GObject *object)
{
  TesseraImageTile *self = TESSERA_IMAGE_TILE (object);

  g_free (self->loaded_url);

  G_OBJECT_CLASS (tessera_image_tile_parent_class)->finalize (object);
}

static void
tessera_image_tile_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TesseraImageTile *self = TESSERA_IMAGE_TILE (object);

  switch (prop_id)
    {
    case PROP_IMAGE:
      g_value_set_object (value, self->image);
      break;
    case PROP_SELECTION_MODE:
      g_value_set_boolean (value, self->selection_mode);
      break;
    case PROP_SELECTED:
      g_value_set_boolean (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_image_tile_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TesseraImageTile *self = TESSERA_IMAGE_TILE (object);

  switch (prop_id)
    {
    case PROP_IMAGE:
      tessera_image_tile_set_image (self, g_value_get_object (value));
      break;
    case PROP_SELECTION_MODE:
      set_flag (self, &self->selection_mode, g_value_get_boolean (value), PROP_SELECTION_MODE);
      break;
    case PROP_SELECTED:
      set_flag (self, &self->selected, g_value_get_boolean (value), PROP_SELECTED);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_image_tile_class_init (TesseraImageTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_image_tile_dispose;
  object_class->finalize = tessera_image_tile_finalize;
  object_class->get_property = tessera_image_tile_get_property;
  object_class->set_property = tessera_image_tile_set_property;
  widget_class->query_tooltip = tessera_image_tile_query_tooltip;

  properties[PROP_IMAGE] =
    g_param_spec_object ("image", NULL, NULL, TESSERA_TYPE_IMAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Selection mode shows a check on every tile, ticked when selected. */
  properties[PROP_SELECTION_MODE] =
    g_param_spec_boolean ("selection-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED] =
    g_param_spec_boolean ("selected", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "imagetile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-image-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, overlay);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, picture);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, badge);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, check);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, badge_icon);
  gtk_widget_class_bind_template_child (widget_class, TesseraImageTile, badge_label);
}

static void
tessera_image_tile_init (TesseraImageTile *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
tessera_image_tile_new (TesseraThumbnailLoader *loader)
{
  TesseraImageTile *self;

  g_return_val_if_fail (!loader || TESSERA_IS_THUMBNAIL_LOADER (loader), NULL);

  self = g_object_new (TESSERA_TYPE_IMAGE_TILE, NULL);
  g_set_object (&self->loader, loader);

  return GTK_WIDGET (self);
}
