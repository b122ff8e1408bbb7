"""``python -m ecosystem`` runs the ``ecosystem`` command."""

import sys

from ecosystem.cli import main

sys.exit(main())
