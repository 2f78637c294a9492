"""lax.associative_scan: an inclusive prefix scan with an associative `fn`, in
O(log n) rounds of whole-array operations (no primitive of its own: it is built
from slices, pads and concatenations, so every transformation already works).

Round structure (the classic odd/even recursion): combine neighbouring pairs,
recursively scan the half-length result (these are the prefixes at odd positions),
then fix up the even positions from their left odd neighbour, and interleave."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from purejax._src import tree_util as tu
from purejax._src.control_flow import common as cf
from purejax._src.prims import elementwise as ew
from purejax._src.prims import shape as shp


def _slice(x, start, stop, stride, axis):
    from purejax._src.prims import indexing
    return indexing.slice_in_dim(x, start, stop, stride, axis)


def _interleave(even, odd, axis: int):
    """even[0], odd[0], even[1], odd[1], ... along axis (len(even) - len(odd) is 0 or 1)."""
    n_even, n_odd = even.aval.shape[axis], odd.aval.shape[axis]
    ndim = even.aval.ndim

    def config(lo, hi):
        return [(lo, hi, 1) if d == axis else (0, 0, 0) for d in range(ndim)]
    # Strongly typed zeros, as JAX's `lax._const(x, 0)`: for two or more elements the
    # scan's result is strong even for weakly typed inputs, as in JAX.
    even_p = shp.pad(even, np.zeros((), even.aval.dtype), config(0, 1 if n_even == n_odd else 0))
    odd_p = shp.pad(odd, np.zeros((), odd.aval.dtype), config(1, 0 if n_even == n_odd else 1))
    if even.aval.dtype == np.bool_:
        from purejax._src.prims import bitwise
        return bitwise.bitwise_or(even_p, odd_p)
    return ew.add(even_p, odd_p)


def associative_scan(fn: Callable, elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """Inclusive scan of `elems` (a pytree of arrays sharing the size of `axis`) with
    the associative binary function fn(a, b) of pytrees like elems:

        result[i] = fn(... fn(fn(elems[0], elems[1]), elems[2]) ..., elems[i])
    """
    flat, tree = cf.flatten_operands(elems)
    if not flat:
        return elems
    ndim = flat[0].aval.ndim
    axis = int(axis) + ndim if int(axis) < 0 else int(axis)
    sizes = {x.aval.shape[axis] if axis < x.aval.ndim else None for x in flat}
    if None in sizes or not 0 <= axis < ndim:
        raise ValueError(f"associative_scan: axis {axis} is out of bounds for the inputs' ranks")
    if len(sizes) != 1:
        raise ValueError("Array inputs to associative_scan must have the same first "
                         f"dimension. (saw: {sorted(sizes)})")
    if reverse:
        flat = [shp.rev(x, (axis,)) for x in flat]

    def combine(a, b):
        out = fn(tu.tree_unflatten(tree, a), tu.tree_unflatten(tree, b))
        out_flat, out_tree = tu.tree_flatten(out)
        if out_tree != tree:
            raise ValueError(f"associative_scan: fn must return a pytree of the same structure "
                             f"as its inputs ({tree}), got {out_tree}.")
        return [cf.to_operand(o) for o in out_flat]

    def scan_rec(xs):
        n = xs[0].aval.shape[axis]
        if n < 2:
            return xs
        pairs = combine([_slice(x, 0, n - 1, 2, axis) for x in xs],
                        [_slice(x, 1, n, 2, axis) for x in xs])
        odd = scan_rec(pairs)
        tail = [_slice(x, 2, n, 2, axis) for x in xs]
        if n % 2 == 0:
            lead = [_slice(o, 0, o.aval.shape[axis] - 1, 1, axis) for o in odd]
        else:
            lead = odd
        even_rest = combine(lead, tail) if tail[0].aval.shape[axis] else tail
        even = [shp.concatenate([_slice(x, 0, 1, 1, axis), r], axis)
                for x, r in zip(xs, even_rest)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan_rec(flat)
    if reverse:
        out = [shp.rev(x, (axis,)) for x in out]
    return tu.tree_unflatten(tree, out)


__all__ = ["associative_scan"]
