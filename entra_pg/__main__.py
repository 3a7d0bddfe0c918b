"""`python -m entra_pg`: the `entra-pg` command line."""

import sys

from entra_pg.cli import entry

if __name__ == "__main__":
    sys.exit(entry())
