"""``python -m sdet_check`` runs the command line."""

import sys

from sdet_check.cli import main

# Guarded: a child process started with "spawn" (the PDF layout) imports this module again.
if __name__ == "__main__":
    sys.exit(main())
