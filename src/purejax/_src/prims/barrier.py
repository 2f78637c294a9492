"""optimization_barrier: an identity on a pytree of arrays that stays in staged
programs as its own equation.

In JAX it stops XLA from moving, fusing or common-subexpression-eliminating
computations across it. NumPy evaluation has nothing to reorder, so here it only
keeps its identity: it is staged as one `optimization_barrier` equation with one
input and one output per leaf (as JAX prints it), evaluates to its operands, and is
linear. As in JAX, its JVP passes the primals and the (instantiated) tangents through
two separate barriers, its transpose passes the cotangents through a barrier, and
vmap keeps the batch dimensions where they are.
"""
from __future__ import annotations

from purejax._src import dtypes
from purejax._src import tree_util as tu
from purejax._src.core import Primitive
from purejax._src.interpreters import ad

optimization_barrier_p = Primitive("optimization_barrier", multiple_results=True)
optimization_barrier_p.impl = lambda *operands: list(operands)
optimization_barrier_p.abstract_eval = lambda *avals: list(avals)


def _differentiable(aval) -> bool:
    return aval.dtype != dtypes.float0


def _barrier_jvp(primals, tangents):
    outs = optimization_barrier_p.bind(*primals)
    # Tangents are instantiated (as JAX) except integer inputs' float0 ones, which
    # carry no information and stay symbolic.
    keep = [i for i, t in enumerate(tangents) if type(t) is not ad.Zero or
            _differentiable(t.aval)]
    passed = optimization_barrier_p.bind(*[ad.instantiate_zeros(tangents[i]) for i in keep])
    t_outs = list(tangents)
    for i, t in zip(keep, passed):
        t_outs[i] = t
    return outs, t_outs


def _barrier_transpose(cts, *operands):
    linear = [i for i, x in enumerate(operands) if ad.is_undefined_primal(x)
              and (type(cts[i]) is not ad.Zero or _differentiable(cts[i].aval))]
    passed = optimization_barrier_p.bind(*[ad.instantiate_zeros(cts[i]) for i in linear])
    out = [None] * len(operands)
    for i, ct in zip(linear, passed):
        out[i] = ct
    return out


def _barrier_batch(args, dims):
    return optimization_barrier_p.bind(*args), list(dims)


optimization_barrier_p.jvp = _barrier_jvp
optimization_barrier_p.transpose = _barrier_transpose
optimization_barrier_p.batch = _barrier_batch


def optimization_barrier(operand, /):
    """Identity on a pytree of arrays, staged as one `optimization_barrier` equation
    (JAX uses it to keep XLA from moving or merging computations across it)."""
    leaves, treedef = tu.tree_flatten(operand)
    return tu.tree_unflatten(treedef, optimization_barrier_p.bind(*leaves))


__all__ = ["optimization_barrier", "optimization_barrier_p"]
