"""``python -m backproplab.grading``: see ``backproplab.grading.cli``."""

import sys

from backproplab.grading.cli import main

sys.exit(main())
