"""jnp.pad: constant, edge, reflect, symmetric and wrap modes, lowered to lax.pad,
slices, reversals and concatenations."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from purejax._src import core
from purejax._src import lax
from purejax._src.numpy import util
from purejax._src.numpy.lax_numpy import _slice_axis, asarray, repeat
from purejax._src.numpy.util import canonicalize_operand, check_arraylike, ndim_of, shape_of

_min = builtins.min


def _pairs(pad_width: Any, nd: int, name: str) -> list:
    pw = np.asarray(core.concrete_or_error(pad_width, f"{name} argument of jnp.pad"))
    if not np.issubdtype(pw.dtype, np.integer):
        raise TypeError(f"`{name}` of jnp.pad must be of integral type, got {pw.dtype}")
    if pw.ndim == 0:
        pw = np.full((nd, 2), pw)
    elif pw.shape == (1,) or pw.shape == (2,):
        pw = np.broadcast_to(pw, (nd, 2))
    elif pw.shape == (1, 2):
        pw = np.broadcast_to(pw, (nd, 2))
    elif pw.shape != (nd, 2):
        raise ValueError(f"jnp.pad: {name} must have shape ({nd}, 2), got {pw.shape}")
    if (pw < 0).any():
        raise ValueError("index can't contain negative values")
    return [(int(lo), int(hi)) for lo, hi in pw]


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any):
    """Pad with mode 'constant' (constant_values), 'edge', 'reflect', 'symmetric'
    or 'wrap'."""
    check_arraylike("pad", array)
    arr = canonicalize_operand(array)
    nd = ndim_of(arr)
    widths = _pairs(pad_width, nd, "pad_width")
    if mode == "constant":
        cv = kwargs.pop("constant_values", 0)
        if kwargs:
            raise ValueError(f"unsupported keyword arguments for mode 'constant': "
                             f"{set(kwargs)}")
        return _pad_constant(arr, widths, cv)
    if kwargs and not (mode in ("reflect", "symmetric") and set(kwargs) <= {"reflect_type"}):
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {set(kwargs)}")
    if mode == "edge":
        return _pad_edge(arr, widths)
    if mode in ("reflect", "symmetric"):
        if kwargs.get("reflect_type", "even") != "even":
            raise NotImplementedError("jnp.pad: only reflect_type='even' is supported")
        return _pad_reflect(arr, widths, mode)
    if mode == "wrap":
        return _pad_wrap(arr, widths)
    raise NotImplementedError(f"jnp.pad: mode '{mode}' is not implemented by purejax "
                              "(supported: constant, edge, reflect, symmetric, wrap)")


def _pad_constant(arr, widths, constant_values):
    if isinstance(constant_values, (list, tuple)):
        constant_values = asarray(constant_values)
    check_arraylike("pad", constant_values)
    aval = core.get_aval(arr)
    cv = util.convert(constant_values, aval.dtype, aval.weak_type)
    if ndim_of(cv) == 0:
        if builtins.all(lo == 0 and hi == 0 for lo, hi in widths):
            return arr
        return lax.pad(arr, cv, tuple((lo, hi, 0) for lo, hi in widths))
    cv = util.broadcast_to_shape(cv, (len(widths), 2)) if ndim_of(cv) <= 2 else cv
    from purejax._src.numpy import indexing
    nd = len(widths)
    for i, (lo, hi) in enumerate(widths):
        for side, amount in ((0, lo), (1, hi)):
            if amount:
                cfg = [(0, 0, 0)] * nd
                cfg[i] = (amount, 0, 0) if side == 0 else (0, amount, 0)
                arr = lax.pad(arr, indexing.getitem(cv, (i, side)), tuple(cfg))
    return arr


def _pad_edge(arr, widths):
    for i, (lo, hi) in enumerate(widths):
        n = shape_of(arr)[i]
        if n == 0:
            if lo or hi:
                raise ValueError("can't extend empty axis using modes other than 'constant'")
            continue
        parts = []
        if lo:
            parts.append(repeat(_slice_axis(arr, 0, 1, i), lo, axis=i))
        parts.append(arr)
        if hi:
            parts.append(repeat(_slice_axis(arr, n - 1, n, i), hi, axis=i))
        if len(parts) > 1:
            arr = lax.concatenate(parts, i)
    return arr


def _pad_reflect(arr, widths, mode):
    for i, (lo, hi) in enumerate(widths):
        n = shape_of(arr)[i]
        if n == 0:
            if lo or hi:
                raise ValueError("can't extend empty axis using modes other than 'constant'")
            continue
        offset = 1 if (mode == "reflect" and n > 1) else 0
        for before, amount in ((True, lo), (False, hi)):
            while amount > 0:
                cur = shape_of(arr)[i]
                take = _min(amount, n - offset)
                amount -= take
                if before:
                    piece = _slice_axis(arr, offset, offset + take, i)
                else:
                    stop = cur - offset
                    piece = _slice_axis(arr, stop - take, stop, i)
                piece = lax.rev(piece, (i,))
                arr = lax.concatenate([piece, arr] if before else [arr, piece], i)
    return arr


def _pad_wrap(arr, widths):
    for i, (lo, hi) in enumerate(widths):
        n = shape_of(arr)[i]
        if n == 0:
            if lo or hi:
                raise ValueError("can't extend empty axis using modes other than 'constant'")
            continue
        reps = -(-(lo + hi) // n) + 1
        tiled = lax.concatenate([arr] * (2 * reps + 1), i) if (lo or hi) else arr
        if lo or hi:
            start = reps * n - lo
            arr = _slice_axis(tiled, start, start + n + lo + hi, i)
    return arr


