"""The exit codes of every `kaifang` command, in one place so scripts can rely on them."""

EXIT_OK = 0  # everything asked for was done
EXIT_FAILED = 1  # a dataset failed or was refused, or a check found a problem a release would hit
EXIT_USAGE = 2  # bad usage or invalid input: an unknown option, an invalid spec, a missing file

EXITS_HELP = ("Exit codes (every command):\n"
              "  0  done\n"
              "  1  a dataset failed or was refused (or would be, for `check`)\n"
              "  2  usage or invalid input, including a missing file")
