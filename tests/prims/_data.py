"""Random operands for the primitive op-spec tests."""
import numpy as np


def rand(rng, shape, dtype, int_bound: int = 5):
    """Bools, integers in [-int_bound, int_bound], or standard normals of `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-int_bound, int_bound + 1, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)
