"""``python -m ctlab_core.cli``: the ``ctlab`` command line."""

import sys

from ctlab_core.cli import main

sys.exit(main())
