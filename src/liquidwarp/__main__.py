"""``python -m liquidwarp`` is the ``liquidwarp`` command."""

import sys

from liquidwarp.cli.main import main

sys.exit(main())
