"""Reductions over axes: reduce_sum, reduce_max, reduce_min, reduce_prod,
reduce_and, reduce_or, argmax, argmin."""
from __future__ import annotations

import numpy as np

from purejax._src import core
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.prims._util import check_dtype, is_number


def _reduced_shape(name, shape, axes):
    for a in axes:
        if not 0 <= a < len(shape):
            raise ValueError(f"{name}: axis {a} is out of bounds for an operand of rank "
                             f"{len(shape)}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: duplicate axes {axes}")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_batch(prim):
    def rule(args, dims, *, axes, **params):
        (x,), (d,) = args, dims
        # axes refer to the unbatched operand; shift those at or past the batch dim
        new_axes = tuple(a + (a >= d) for a in axes)
        out = prim.bind(x, axes=new_axes, **params)
        return out, d - sum(a < d for a in axes)
    return rule


# --- reduce_sum: linear -----------------------------------------------------
reduce_sum_p = Primitive("reduce_sum")
reduce_sum_p.impl = lambda x, *, axes: np.sum(x, axis=axes, dtype=x.dtype)


def _reduce_sum_abstract(x, *, axes):
    check_dtype("reduce_sum", is_number, x.dtype)
    return ShapedArray(_reduced_shape("reduce_sum", x.shape, axes), x.dtype, x.weak_type)


def _reduce_sum_transpose(ct, x, *, axes):
    from purejax._src.prims.shape import broadcast_in_dim
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


reduce_sum_p.abstract_eval = _reduce_sum_abstract
ad.deflinear(reduce_sum_p, _reduce_sum_transpose)
reduce_sum_p.batch = _reduce_batch(reduce_sum_p)


def reduce_sum(x, axes):
    axes = tuple(int(a) for a in axes)
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=axes)


__all__ = [
    "reduce_sum",
    "reduce_sum_p",
]
