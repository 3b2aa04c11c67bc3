/* tconv explain: the CLI command (cli/explain.c). */
#pragma once

#include <glib.h>

gboolean tconv_cmd_explain (int argc, char **argv, GError **error);
