"""Eager jvp and vmap of higher-order primitives, compiled once per structure.

`jvp` or `vmap` of a function using cond, scan, fori_loop or remat, called outside any
other transformation, meets a primitive whose sub-Jaxprs eager control flow traced
anew on this call. Its JVP or batching rule transforms them (new Jaxprs again) and
binds the result, which costs several times the primitive itself, on every call.
Here the rule is traced once per operand signature (with the tangent pattern, or the
batch dimensions) and structure of the sub-Jaxprs (their structural key with every
param, so custom rules inside count: backends/structural_key.py) and compiled; later
calls run the compiled rule on the operands' buffers. Like the tape's templates
(tape.py), a signature is compiled on its second sighting: a one-off call pays the
rule once, not a compile as well. jit is left to its own rules, which reuse the
Jaxprs they cache on the jit's (`rules_cached`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from purejax._src import core
from purejax._src.array import Array
from purejax._src.backends import structural_key
from purejax._src.config import _flags
from purejax._src.core import ClosedJaxpr
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.tape import seen_before, staged_jvp

_seen: set = set()  # hashes of the keys seen once (tape.seen_before)
_compiled: dict = {}
_CACHE_LIMIT = 1024


class _Compiled:
    """A rule traced to a Jaxpr and compiled: `fn` on NumPy buffers; `extra` is what
    the trace reported besides its outputs (the tangent pattern, the batch dims), in
    the list `make(box)` appends to when it makes the flat function to stage."""
    __slots__ = ("fn", "out_weak", "extra", "out_avals")

    def __init__(self, name: str, make: Callable, avals: list):
        from purejax._src import jit
        box: list = []
        jaxpr, consts, _ = pe.trace_to_jaxpr(make(box), avals)
        closed = ClosedJaxpr(jaxpr, consts)
        self.fn = jit.compiled_for(closed, name)
        self.out_avals = closed.out_avals
        self.out_weak = [a.weak_type for a in closed.out_avals]
        self.extra = box[0]


def _run(prim, params, sig, vals, what: str, build: Callable):
    """The compiled rule's outputs (Arrays) and the _Compiled, or None (having done
    nothing) on a first sighting, an unkeyable param, NaN/inf checking, a primitive
    whose rules cache their own Jaxprs (jit), or a rule that would not trace."""
    if getattr(prim, "rules_cached", False) or _flags["jax_debug_nans"] \
            or _flags["jax_debug_infs"]:
        return None
    pkey = structural_key.params_key(params, full=True)
    if pkey is None:
        return None
    key = (what, prim, sig, pkey, _flags["purejax_jit_backend"])
    hit = _compiled.get(key)
    if hit is None:
        if not seen_before(_seen, key):
            return None
        try:
            hit = build()
        except Exception:  # a rule that needs concrete values: the general path
            hit = False
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()
        _compiled[key] = hit
    if hit is False:
        return None
    raw = hit.fn(*vals)
    return [Array(o if type(o) is np.ndarray else np.asarray(o), w)
            for o, w in zip(raw, hit.out_weak)], hit


def eager_jvp(prim, primals, tangents, params):
    """(primal outputs, tangent outputs) of `prim` at concrete Array operands, from
    compiled code; None (having done nothing) when the operands are anything else or
    `_run` declines."""
    from purejax._src.interpreters.ad import Zero
    sig, vals, tvals = [], [], []
    for p, t in zip(primals, tangents):
        if type(p) is not Array:
            return None
        v = p._value
        if type(t) is Zero:
            sig.append((v.shape, v.dtype, p.weak_type, (False, None, None)))
        elif type(t) is Array:
            tv = t._value
            if tv.shape != v.shape:
                return None
            sig.append((v.shape, v.dtype, p.weak_type, (True, tv.dtype, t.weak_type)))
            tvals.append(tv)
        else:
            return None
        vals.append(v)
    sig = tuple(sig)

    def build():
        avals = [core.ShapedArray(s, d, w) for s, d, w, _ in sig]
        nonzero = [nz for _, _, _, (nz, _, _) in sig]
        tangent_avals = [core.ShapedArray(s, td, tw) for s, _, _, (nz, td, tw) in sig if nz]
        return _Compiled(f"{prim.name}_jvp",
                         lambda box: staged_jvp(prim, params, avals, nonzero, box),
                         avals + tangent_avals)

    done = _run(prim, params, sig, vals + tvals, "jvp", build)
    if done is None:
        return None
    outs, hit = done
    nonzero = hit.extra
    n_out = len(nonzero)
    it = iter(outs[n_out:])
    touts = [next(it) if nz else Zero(a.to_tangent_aval())
             for nz, a in zip(nonzero, hit.out_avals[:n_out])]
    if prim.multiple_results:
        return outs[:n_out], touts
    return outs[0], touts[0]


def eager_batch(prim, vals, dims, params, axis_size: int):
    """(outputs, their batch dims) of `prim`'s batching rule at concrete Array operands
    (`dims` per operand: its batch dimension or None), from compiled code; None (having
    done nothing) when the operands are anything else or `_run` declines."""
    sig, raw = [], []
    for v, d in zip(vals, dims):
        if type(v) is not Array:
            return None
        a = v._value
        sig.append((a.shape, a.dtype, v.weak_type, d))
        raw.append(a)
    sig = tuple(sig)
    rule = prim.batch

    def make(box):
        def batched(*xs):
            out, out_dim = rule(list(xs), list(dims), axis_size=axis_size, **params) \
                if getattr(rule, "wants_axis_size", False) else \
                rule(list(xs), list(dims), **params)
            if prim.multiple_results:
                box.append(list(out_dim))
                return list(out)
            box.append([out_dim])
            return [out]
        return batched

    def build():
        return _Compiled(f"{prim.name}_vmap", make,
                         [core.ShapedArray(s, dt, w) for s, dt, w, _ in sig])

    done = _run(prim, params, (sig, axis_size), raw, "batch", build)
    if done is None:
        return None
    outs, hit = done
    if prim.multiple_results:
        return outs, hit.extra
    return outs[0], hit.extra[0]
