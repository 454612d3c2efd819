"""``python -m liquidwarp`` is the ``liquidwarp`` command."""

import sys

from liquidwarp.cli.interrupt import exit_during_startup

exit_during_startup()  # before the command's imports, which take seconds

from liquidwarp.cli.main import main  # noqa: E402

sys.exit(main())
