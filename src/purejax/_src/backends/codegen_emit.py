"""Emission rules for the numpy_codegen backend: a primitive whose common case is one
NumPy expression is written inline into the generated source (`np.where(p, b, a)`,
`x[1:]`, `np.dot(a.T, b)`) instead of calling its impl through functools.partial,
which costs a Python call plus the impl's own dispatch (~0.5-10 us: noticeable on
arrays of a few thousand elements).

A rule gets the equation and the operands' source expressions and returns an
expression, or None for the generic impl call. It must compute exactly what the impl
computes (same NumPy operations, same order).
"""
from __future__ import annotations

import numpy as np

_rules: dict = {}

# NumPy's maximum/minimum loops have SIMD paths for two arrays, but for an array and a
# broadcast rank-0 value only (on x86 with AVX2, NumPy 2.x) for float64: there, an
# array of the constant is two to three times faster. The comparisons are the same
# ones, element by element, so the result is too (NaNs and signed zeros included).
_MINMAX = frozenset({np.maximum, np.minimum, np.fmax, np.fmin})


def minmax_scalar_is_slow(ufunc, dtype) -> bool:
    dtype = np.dtype(dtype)
    return ufunc in _MINMAX and (dtype == np.float32 or dtype.kind in "iu")


def rule(name):
    def register(fn):
        _rules[name] = fn
        return fn
    return register


def emit(eqn, args, ref):
    """The inline expression for eqn, or None. `ref(obj, hint)` names a global."""
    fn = _rules.get(eqn.primitive.name)
    return None if fn is None else fn(eqn, args, ref)


@rule("select_n")
def _select_n(eqn, args, ref):
    # impl: np.where(which, cases[1], cases[0]) for a bool predicate
    if len(args) == 3 and eqn.invars[0].aval.dtype == np.bool_:
        return f"np.where({args[0]}, {args[2]}, {args[1]})"
    return None


@rule("slice")
def _slice(eqn, args, ref):
    # impl: x[tuple(slices)], a view
    p = eqn.params
    x = eqn.invars[0].aval
    if x.ndim == 0:
        return None
    steps = p["strides"] or (1,) * x.ndim
    parts = []
    for s, l, st, n in zip(p["start_indices"], p["limit_indices"], steps, x.shape):
        if s == 0 and l == n and st == 1:
            parts.append(":")
        else:
            parts.append(f"{s}:{l}" + (f":{st}" if st != 1 else ""))
    while parts and parts[-1] == ":" and len(parts) > 1:
        parts.pop()
    return f"{args[0]}[{', '.join(parts)}]"


@rule("convert_element_type")
def _convert(eqn, args, ref):
    from purejax._src.prims.shape import plain_astype
    src = eqn.invars[0].aval.dtype
    dst = np.dtype(eqn.params["new_dtype"])
    if src == dst or not plain_astype(src, dst):
        return None
    return f"np.asarray({args[0]}).astype({ref(dst, 'dt')})"


@rule("dot_general")
def _dot_general(eqn, args, ref):
    # impl's _matmul_no_batch fast path: np.dot over (transposed) views
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.invars[0].aval, eqn.invars[1].aval
    out = eqn.outvars[0].aval
    pref = eqn.params["preferred_element_type"]
    if lb or len(lc) != 1 or lhs.ndim > 2 or rhs.ndim > 2 or out.ndim == 0 or \
            lhs.dtype != out.dtype or (pref is not None and np.dtype(pref) != out.dtype):
        return None
    a = args[0] if lc[0] == lhs.ndim - 1 else f"{args[0]}.T"
    b = args[1] if rc[0] == 0 else f"{args[1]}.T"
    return f"np.dot({a}, {b})"


@rule("reduce_sum")
def _reduce_sum(eqn, args, ref):
    # impl: np.sum(x, axis=axes, dtype=x.dtype)
    axes = tuple(eqn.params["axes"])
    return f"np.sum({args[0]}, axis={axes!r}, dtype={ref(eqn.invars[0].aval.dtype, 'dt')})"
