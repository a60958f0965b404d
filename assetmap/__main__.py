"""``python -m assetmap``: the command line (see :mod:`assetmap.cli`)."""

from assetmap.cli import main

main()
