"""Eager forward mode of higher-order primitives, compiled once per structure.

`jvp` of a function using cond, scan, fori_loop or remat, called outside any other
transformation, meets a primitive whose sub-Jaxprs eager control flow traced anew on
this call. Its JVP rule differentiates them (new Jaxprs again) and binds the result,
which costs several times the primitive itself, on every call. Here the rule is
traced once per operand signature and structure of the sub-Jaxprs (their structural
key with every param, so custom rules inside count: backends/structural_key.py) and
compiled; later calls run the compiled JVP on the operands' buffers. Like the tape's
templates (tape.py), a signature is compiled on its second sighting: a one-off call
pays the rule once, not a compile as well.
"""
from __future__ import annotations

import numpy as np

from purejax._src import core
from purejax._src.array import Array
from purejax._src.backends import structural_key
from purejax._src.config import _flags
from purejax._src.core import ClosedJaxpr
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.tape import seen_before

_seen: set = set()  # hashes of the keys seen once (tape.seen_before)
_compiled: dict = {}
_CACHE_LIMIT = 1024


class _Compiled:
    __slots__ = ("fn", "out_weak", "out_nonzero", "tangent_avals", "multiple")

    def __init__(self, prim, params, sig):
        from purejax._src import jit
        from purejax._src.interpreters.ad import Zero
        avals = [core.ShapedArray(s, d, w) for s, d, w, _ in sig]
        tan_avals = [core.ShapedArray(s, td, tw) for s, _, _, (nz, td, tw) in sig if nz]
        n = len(avals)
        box = []

        def jvp_fn(*args):
            it = iter(args[n:])
            tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                        for a, (_, _, _, (nz, _, _)) in zip(avals, sig)]
            out, t_out = prim.jvp(list(args[:n]), tangents, **params)
            outs = list(out) if prim.multiple_results else [out]
            touts = list(t_out) if prim.multiple_results else [t_out]
            box.append([type(t) is not Zero for t in touts])
            return outs + [t for t in touts if type(t) is not Zero]

        jaxpr, consts, _ = pe.trace_to_jaxpr(jvp_fn, avals + tan_avals)
        closed = ClosedJaxpr(jaxpr, consts)
        self.fn = jit.compiled_for(closed, f"{prim.name}_jvp")
        self.out_weak = [a.weak_type for a in closed.out_avals]
        self.out_nonzero = box[0]
        n_out = len(self.out_nonzero)
        self.tangent_avals = [a.to_tangent_aval() for a in closed.out_avals[:n_out]]
        self.multiple = prim.multiple_results


def eager_jvp(prim, primals, tangents, params):
    """(primal outputs, tangent outputs) of `prim` at concrete Array operands, from
    compiled code; None (having done nothing) when the operands are anything else,
    the signature is new, or NaN/inf checking is on."""
    from purejax._src.interpreters.ad import Zero
    if _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        return None
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
    pkey = structural_key.params_key(params, full=True)
    if pkey is None:
        return None
    key = (prim, tuple(sig), pkey, _flags["purejax_jit_backend"])
    hit = _compiled.get(key)
    if hit is None:
        if not seen_before(_seen, key):
            return None
        try:
            hit = _Compiled(prim, params, sig)
        except Exception:  # a rule that needs concrete values: the general path
            hit = False
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()
        _compiled[key] = hit
    if hit is False:
        return None
    raw = hit.fn(*vals, *tvals)
    outs = [Array(o if type(o) is np.ndarray else np.asarray(o), w)
            for o, w in zip(raw, hit.out_weak)]
    n_out = len(hit.out_nonzero)
    it = iter(outs[n_out:])
    touts = [next(it) if nz else Zero(a) for nz, a in zip(hit.out_nonzero, hit.tangent_avals)]
    if hit.multiple:
        return outs[:n_out], touts
    return outs[0], touts[0]
