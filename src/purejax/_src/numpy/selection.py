"""jnp.choose and jnp.compress: picking elements by index or by a mask, as JAX does."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src.numpy import array_creation, indexing, lax_numpy, reductions, ufuncs, util


def choose(a: Any, choices: Sequence[Any], out: None = None, mode: str = "raise"):
    """Element i of the result is `choices[a[i]][i]` (all broadcast together), as
    `jax.numpy.choose`. mode: 'raise' (a must be concrete: not under jit), 'wrap' or
    'clip'."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.choose is not supported.")
    util.check_arraylike("choose", a, *choices)
    if not dtypes.is_integer(dtypes.dtype(a)):
        raise ValueError("`a` array must be integer typed")
    n = len(choices)
    if mode == "raise":
        arr = lax_numpy.asarray(core.concrete_or_error(
            a, "jnp.choose with mode='raise' checks the indices; under jit use mode='wrap' "
               "or mode='clip' instead"))
        if bool(reductions.any((arr < 0) | (arr >= n))):
            raise ValueError("invalid entry in choice array")
    elif mode == "wrap":
        arr = ufuncs.remainder(lax_numpy.asarray(a), n)
    elif mode == "clip":
        arr = lax_numpy.clip(a, 0, n - 1)
    else:
        raise ValueError(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'")
    arr, *choices = lax_numpy.broadcast_arrays(arr, *choices)
    stacked = array_creation.array(choices)  # as JAX: promoted together, not weak
    picked = indexing.take_along_axis(stacked, lax_numpy.expand_dims(arr, 0), axis=0)
    return lax_numpy.squeeze(picked, 0)


def compress(condition: Any, a: Any, axis: int | None = None, *, size: int | None = None,
             fill_value: Any = 0, out: None = None):
    """The slices of `a` along `axis` (flattened when None) where the 1-D `condition`
    is true, as `jax.numpy.compress`. Without `size` the condition must be concrete
    (the result's shape depends on it); with `size` the selected slices come first,
    then `fill_value`, truncated or padded to `size`."""
    util.check_arraylike("compress", condition, a, fill_value)
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.compress is not supported.")
    cond = lax_numpy.astype(condition, bool)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1D array")
    if axis is None:
        axis = 0
        arr = lax_numpy.ravel(a)
    else:
        arr = lax_numpy.moveaxis(a, axis, 0)
    cond, extra = cond[:arr.shape[0]], cond[arr.shape[0]:]
    arr = arr[:cond.shape[0]]
    if size is None:
        if bool(reductions.any(extra)):
            raise ValueError("condition contains entries that are out of bounds")
        result = arr[cond]
    elif not 0 <= size <= arr.shape[0]:
        raise ValueError("size must be positive and not greater than the size of the array "
                         f"axis; got size={size} for a.shape[axis]={arr.shape[0]}")
    else:
        mask = lax_numpy.expand_dims(cond, tuple(range(1, arr.ndim)))
        arr = lax_numpy.where(mask, arr, lax_numpy.asarray(fill_value, dtype=arr.dtype))
        # JAX takes arr[argsort(cond, stable=True, descending=True)]: the selected
        # slices in order, then the others. Without a sort, the destination of each
        # slice is its rank among the selected (or, after them, among the others).
        n_true = reductions.sum(cond, dtype=np.int32)
        dest = lax_numpy.where(cond, reductions.cumsum(cond, dtype=np.int32) - 1,
                               n_true + reductions.cumsum(~cond, dtype=np.int32) - 1)
        order = array_creation.zeros_like(dest).at[dest].set(
            array_creation.arange(cond.shape[0], dtype=np.int32), unique_indices=True)
        result = arr[order][:size]
    return lax_numpy.moveaxis(result, 0, axis)
