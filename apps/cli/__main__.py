"""``python -m apps.cli``: the same as the ``smvm`` command."""
import sys

from . import main

sys.exit(main())
