/* tessera-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes, documented in --help and tessera-cli(1). */
typedef enum
{
  TESSERA_CLI_EXIT_OK = 0,
  TESSERA_CLI_EXIT_FAILURE = 1,
  TESSERA_CLI_EXIT_USAGE = 2,
  TESSERA_CLI_EXIT_AUTH = 3,
  TESSERA_CLI_EXIT_NOT_FOUND = 4,
  TESSERA_CLI_EXIT_OFFLINE = 5,
  TESSERA_CLI_EXIT_REJECTED = 6,
  TESSERA_CLI_EXIT_RATE_LIMITED = 7,
  TESSERA_CLI_EXIT_PARTIAL = 8,
  TESSERA_CLI_EXIT_INTERRUPTED = 130,
} TesseraCliExit;

int tessera_cli_run (int   argc,
                     char *argv[]);

G_END_DECLS
