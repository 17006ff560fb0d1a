"""``python -m sdet_check`` runs the command line."""

import sys

from sdet_check.cli import main

sys.exit(main())
