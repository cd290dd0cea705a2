"""The package version, in a leaf module every layer may import (the engine reports it on
``/healthz``, the client sends it in its User-Agent). pyproject.toml repeats it; a test keeps the
two equal."""

__version__ = "0.1.0"
