"""The reliability suite imports its helpers by module name (``harness``, ``faultproxy``)."""

import harness  # noqa: F401  (puts this folder and tests/engine on sys.path)
