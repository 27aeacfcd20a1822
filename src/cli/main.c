/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-cli.h"

int
main (int   argc,
      char *argv[])
{
  return tessera_cli_run (argc, argv);
}
