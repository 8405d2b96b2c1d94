"""``python -m datagen``: the command line (``datagen.cli``)."""

import sys

from .cli import main

sys.exit(main())
