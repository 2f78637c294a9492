"""custom_vmap: a function with a user-defined batching rule.

The rule is `rule(axis_size, in_batched, *args) -> (out, out_batched)`, where
in_batched mirrors args with a bool per leaf, batched args carry the batch
dimension first, and out_batched is a bool (or pytree of bools) saying which
outputs carry it. Differentiation goes through the primal function.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.core import ClosedJaxpr, Primitive
from purejax._src.debug_info import func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe

custom_vmap_call_p = Primitive("custom_vmap_call", multiple_results=True)


def _eval(closed):
    return lambda *xs: core.eval_jaxpr(closed.jaxpr, closed.consts, *xs)


custom_vmap_call_p.impl = lambda *args, call_jaxpr, **_: _eval(call_jaxpr)(*args)
custom_vmap_call_p.eval_with_arrays = True
custom_vmap_call_p.abstract_eval = lambda *avals, call_jaxpr, **_: list(call_jaxpr.out_avals)


def _jvp(primals, tangents, *, call_jaxpr, **_):
    # differentiate through the primal function
    return ad.jvp_flat(_eval(call_jaxpr), list(primals), list(tangents))


custom_vmap_call_p.jvp = _jvp


def _batch(args, dims, *, call_jaxpr, rule, in_tree, out_tree, name):
    size = next(core.get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    moved = [batching.moveaxis(a, d, 0) if d is not None else a for a, d in zip(args, dims)]
    args_tree = tu.tree_unflatten(in_tree, moved)
    in_batched = tu.tree_unflatten(in_tree, [d is not None for d in dims])
    res = rule(size, list(in_batched), *args_tree)
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise TypeError(f"custom_vmap rule for {name} must return (out, out_batched), got "
                        f"{type(res).__name__}.")
    out, out_batched = res
    out_leaves, tree = tu.tree_flatten(out)
    if tree != out_tree:
        raise TypeError(f"custom_vmap rule for {name} returned output structure {tree}, but "
                        f"the function returns {out_tree}.")
    if isinstance(out_batched, (bool, np.bool_)):
        flags = [bool(out_batched)] * len(out_leaves)
    else:
        flags = [bool(b) for b in tu.tree_leaves(out_batched)]
        if len(flags) != len(out_leaves):
            raise TypeError(f"custom_vmap rule for {name}: out_batched must be a bool or match "
                            f"the output structure {out_tree}.")
    for o, b, aval in zip(out_leaves, flags, call_jaxpr.out_avals):
        expect = ((size,) + aval.shape) if b else aval.shape
        if core.get_aval(o).shape != expect:
            raise TypeError(f"custom_vmap rule for {name} returned an output of shape "
                            f"{core.get_aval(o).shape}; expected {expect} "
                            f"(out_batched={b}, axis_size={size}).")
    return out_leaves, [0 if b else None for b in flags]


custom_vmap_call_p.batch = _batch


class custom_vmap:
    """Decorate a function; give it a batching rule with `def_vmap`."""

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vmap_rule: Callable | None = None

    def def_vmap(self, rule: Callable) -> Callable:
        self.vmap_rule = rule
        return rule

    def __call__(self, *args):
        from purejax._src.api import _to_value
        if self.vmap_rule is None:
            raise AttributeError(f"No batching rule defined for custom_vmap function "
                                 f"{func_name(self.fun)} using def_vmap.")
        leaves, in_tree = tu.tree_flatten(args)
        vals = [_to_value(x) for x in leaves]
        store = [None]

        def flat(*xs):
            out = self.fun(*tu.tree_unflatten(in_tree, list(xs)))
            out_leaves, store[0] = tu.tree_flatten(out)
            return out_leaves

        jaxpr, consts, _ = pe.trace_to_jaxpr(flat, [core.get_aval(v) for v in vals])
        closed = ClosedJaxpr(jaxpr, consts)
        outs = custom_vmap_call_p.bind(*vals, call_jaxpr=closed, rule=self.vmap_rule,
                                       in_tree=in_tree, out_tree=store[0],
                                       name=func_name(self.fun))
        return tu.tree_unflatten(store[0], outs)


def _register_lowering():
    from purejax._src.backends import numpy_codegen
    numpy_codegen.register_lowering(custom_vmap_call_p,
                                    numpy_codegen.lower_call_jaxpr("call_jaxpr"))


_register_lowering()
