"""pure_callback: call arbitrary NumPy/Python code from transformed functions.

The callback receives NumPy arrays and runs when the computation runs (eagerly, or
each time a jitted function is called), never at trace time. It has no derivative:
wrap it in custom_jvp or custom_vjp to differentiate, as JAX recommends.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src import tree_util as tu
from purejax._src.core import Primitive, ShapedArray
from purejax._src.debug_info import func_name
from purejax._src.interpreters import batching

pure_callback_p = Primitive("pure_callback", multiple_results=True)

_VMAP_METHODS = ("sequential", "expand_dims", "broadcast_all", "legacy_vectorized")


def _result_avals(result_shape_dtypes):
    leaves, tree = tu.tree_flatten(result_shape_dtypes)
    avals = []
    for x in leaves:
        if not (hasattr(x, "shape") and hasattr(x, "dtype")):
            raise TypeError(f"pure_callback result_shape_dtypes must be a pytree of objects with "
                            f".shape and .dtype (e.g. jax.ShapeDtypeStruct), got {x!r}.")
        avals.append(ShapedArray(tuple(x.shape), dtypes.canonicalize_dtype(x.dtype), False))
    return avals, tree


def _check_results(name, outs, result_avals):
    if len(outs) != len(result_avals):
        raise RuntimeError(f"pure_callback {name} returned {len(outs)} arrays but "
                           f"result_shape_dtypes declares {len(result_avals)}.")
    checked = []
    for i, (o, a) in enumerate(zip(outs, result_avals)):
        o = np.asarray(o)
        if o.shape != a.shape:
            raise RuntimeError(f"pure_callback {name}: result {i} has shape {o.shape} but "
                               f"result_shape_dtypes declares {a.shape}.")
        if o.dtype != a.dtype:
            if np.can_cast(o.dtype, a.dtype, casting="same_kind") or o.dtype == np.float64:
                o = o.astype(a.dtype)
            else:
                raise RuntimeError(f"pure_callback {name}: result {i} has dtype {o.dtype} but "
                                   f"result_shape_dtypes declares {a.dtype}.")
        checked.append(o)
    return checked


def _impl(*args, callback, result_avals, vmap_method, name):
    outs = callback(*args)
    return _check_results(name, outs, result_avals)


pure_callback_p.impl = _impl
pure_callback_p.abstract_eval = lambda *avals, result_avals, **_: list(result_avals)


def _jvp(primals, tangents, *, name, **_):
    raise TypeError(f"Pure callbacks do not support JVP (callback {name}). Please use "
                    "`jax.custom_jvp` (or custom_vjp) to use callbacks while taking gradients: "
                    "define the callback's derivative in the rule, possibly with another "
                    "pure_callback.")


pure_callback_p.jvp = _jvp


def _batch(args, dims, *, callback, result_avals, vmap_method, name):
    size = next(core.get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    if vmap_method is None:
        raise NotImplementedError(
            f"vmap of pure_callback {name} requires vmap_method: pass vmap_method='sequential' "
            "(call once per batch element), 'expand_dims' (unbatched inputs get a size-1 "
            "leading axis), 'broadcast_all' (every input gets the full batch axis) or "
            "'legacy_vectorized'.")
    out_avals = [a.update(shape=(size,) + a.shape) for a in result_avals]
    moved = [batching.moveaxis(a, d, 0) if d is not None else a for a, d in zip(args, dims)]
    batched = [d is not None for d in dims]
    if vmap_method == "sequential":
        def cb(*xs):
            rows = [callback(*[x[i] if b else x for x, b in zip(xs, batched)]) for i in range(size)]
            return [np.stack([np.asarray(r[j]) for r in rows]) for j in range(len(result_avals))]
        new_args = moved
    elif vmap_method == "expand_dims":
        from purejax._src import lax
        new_args = [m if b else lax.expand_dims(m, (0,)) for m, b in zip(moved, batched)]
        cb = callback
    elif vmap_method == "broadcast_all":
        new_args = [m if b else batching.broadcast_batched(m, size, 0)
                    for m, b in zip(moved, batched)]
        cb = callback
    elif vmap_method == "legacy_vectorized":
        new_args = moved
        cb = callback
    else:
        raise ValueError(f"vmap_method must be one of {_VMAP_METHODS} or None, got "
                         f"{vmap_method!r}.")
    outs = pure_callback_p.bind(*new_args, callback=cb, result_avals=tuple(out_avals),
                                vmap_method=vmap_method, name=name)
    return outs, [0] * len(outs)


pure_callback_p.batch = _batch


def pure_callback(callback: Callable, result_shape_dtypes: Any, *args, sharding=None,
                  vmap_method: str | None = None, vectorized: bool | None = None, **kwargs):
    """Call `callback(*args, **kwargs)` on NumPy arrays; its results must match
    `result_shape_dtypes` (a pytree of ShapeDtypeStruct-like objects)."""
    if vectorized is not None and vmap_method is None:
        vmap_method = "legacy_vectorized" if vectorized else "sequential"
    if vmap_method is not None and vmap_method not in _VMAP_METHODS:
        raise ValueError(f"vmap_method must be one of {_VMAP_METHODS} or None, got "
                         f"{vmap_method!r}.")
    from purejax._src.api import _to_value
    result_avals, out_tree = _result_avals(result_shape_dtypes)
    leaves, in_tree = tu.tree_flatten((args, kwargs))
    vals = [_to_value(x) for x in leaves]
    name = func_name(callback)

    def flat_callback(*xs):
        a, k = tu.tree_unflatten(in_tree, [np.asarray(x) for x in xs])
        out = callback(*a, **k)
        out_leaves, tree = tu.tree_flatten(out)
        if tree != out_tree:
            raise RuntimeError(f"pure_callback {name} returned a value of structure {tree} but "
                               f"result_shape_dtypes has structure {out_tree}.")
        return out_leaves

    outs = pure_callback_p.bind(*vals, callback=flat_callback, result_avals=tuple(result_avals),
                                vmap_method=vmap_method, name=name)
    return tu.tree_unflatten(out_tree, outs)
