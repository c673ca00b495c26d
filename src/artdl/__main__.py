"""``python -m artdl <command>``: see :mod:`artdl.cli.main`."""

import sys

from artdl.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
