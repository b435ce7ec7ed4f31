"""Run the national seed: ``python bench/national …`` from the repository, or
``python -m national …`` from ``bench/`` (see ``national.cli``)."""

import sys
from pathlib import Path

# Python puts first on the path the directory it runs: bench/national for
# ``python bench/national``, the current directory (bench/) for ``python -m national``. Either
# way bench/ takes that place, so that the package imports as ``national`` and none of its
# modules is found by its bare name.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from national.cli import main

main()
