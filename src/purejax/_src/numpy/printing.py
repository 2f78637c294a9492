"""jnp's print options: NumPy's, since Arrays print through NumPy (as in JAX)."""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np


def get_printoptions() -> dict[str, Any]:
    """Alias of `numpy.get_printoptions`: they apply to printed Arrays too."""
    return np.get_printoptions()


def printoptions(*args: Any, **kwargs: Any) -> contextlib.AbstractContextManager:
    """Alias of `numpy.printoptions` (a context manager): they apply to printed Arrays."""
    return np.printoptions(*args, **kwargs)


def set_printoptions(*args: Any, **kwargs: Any) -> None:
    """Alias of `numpy.set_printoptions`: they apply to printed Arrays too."""
    return np.set_printoptions(*args, **kwargs)
