"""``python -m backproplab_grader``: the ``backproplab-grader`` command (``cli``)."""

import sys

from backproplab_grader.cli import main

sys.exit(main())
