"""Test set-up shared by every test module and by nbval's notebook kernels.

Kernels started by nbval inherit this process's environment: give them the one the book
pipeline executes notebooks with (inline figures, fixed hash seed), so that a re-run reproduces
the committed outputs whatever the caller's shell has set.
"""

from __future__ import annotations

import os

KERNEL_ENVIRONMENT = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYTHONHASHSEED": "0",
}

os.environ.update(KERNEL_ENVIRONMENT)
