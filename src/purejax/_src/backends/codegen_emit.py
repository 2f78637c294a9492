"""Emission rules for the numpy_codegen backend: a primitive whose common case is one
NumPy expression is written inline into the generated source (`np.where(p, b, a)`,
`x[1:]`, `np.dot(a.T, b)`) instead of calling its impl through functools.partial,
which costs a Python call plus the impl's own dispatch (~0.5-10 us: noticeable on
arrays of a few thousand elements).

A rule gets the equation and the operands' source expressions and returns an
expression, or None for the generic impl call. It must compute exactly what the impl
computes (same NumPy operations, same order). An expression that always makes a new
array is marked `Fresh`, for `reuse_buffers`.

`reuse_buffers` (run on the finished function body) then lets an elementwise ufunc
or a matrix product write its result into a buffer that is no longer needed (`out=`:
an operand that dies there, or any dead array of the result's shape and dtype), as a
hand-written NumPy program would with `x += b`: fewer allocations, and memory that is
still in cache.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from purejax._src.core import Literal

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


class Fresh(str):
    """An expression whose value is always a new array of its own (not a view)."""


class FreshOut(Fresh):
    """A Fresh call that also takes `out=` (an array of its result's shape and dtype)."""


def emit(eqn, args, ref):
    """The inline expression for eqn, or None. `ref(obj, hint)` names a global."""
    if not _registered:
        _register_late()
    fn = _rules.get(eqn.primitive.name)
    if fn is None:
        wide = getattr(eqn.primitive.impl, "wide_ufunc", None)
        return None if wide is None else _in_double(eqn, wide, args, ref)
    return fn(eqn, args, ref)


def _in_double(eqn, ufunc, args, ref):
    """prims.elementwise.in_double's unary ufunc, inline: the very calls the impl makes
    (the ufunc evaluated in float64 and rounded once, or natively in the flag's modes
    that allow it, read on each call), without its dispatch, which costs as much as the float64
    kernel itself on a 100-element vector."""
    dt = eqn.invars[0].aval.dtype
    out = eqn.outvars[0].aval
    if eqn.params or dt.kind != "f" or out.dtype != dt or out.shape == ():
        return None  # (rank 0: the scalar code path, numpy_codegen's, takes the impl)
    f = ref(ufunc, ufunc.__name__)
    if dt.itemsize >= 8:
        return f"{f}({args[0]})"
    exact = f"{f}({args[0]}, dtype={ref(np.dtype(np.float64), 'f64')}).astype({ref(dt, 'dt')})"
    modes = eqn.primitive.impl.native_modes(dt)
    if not modes:
        return Fresh(exact)
    from purejax._src.config import _flags
    native = f"{ref(_flags, 'flags')}['purejax_float32_math'] in {modes!r}"
    return Fresh(f"({f}({args[0]}) if {native} else {exact})")


def _array_out(eqn) -> bool:
    """The result is an array of rank >= 1 (NumPy gives rank-0 results as scalars)."""
    return eqn.outvars[0].aval.ndim > 0


def _ufunc_call(eqn, ufunc, args, ref):
    return f"{ref(ufunc, ufunc.__name__)}({', '.join(args)})"


@rule("div")
def _div(eqn, args, ref):
    # impl: np.true_divide for inexact dtypes. Rank 0 keeps the impl call, which
    # scalar_ops turns into an operator.
    out = eqn.outvars[0].aval
    if out.dtype.kind in "fc" and _array_out(eqn):
        if out.dtype.kind == "f" and eqn.invars[1].aval.shape == ():
            # impl's _float_div: times the rank-0 divisor's reciprocal (XLA's rewrite),
            # taken now for a literal
            y = eqn.invars[1]
            if type(y) is Literal:
                with np.errstate(all="ignore"):
                    inverse = ref(out.dtype.type(1) / out.dtype.type(y.val), "inverse")
            else:
                inverse = f"({ref(out.dtype.type(1), 'one')} / {args[1]})"
            return f"{ref(np.multiply, 'multiply')}({args[0]}, {inverse})"
        return _ufunc_call(eqn, np.true_divide, args, ref)
    return None


@rule("add_any")
def _add_any(eqn, args, ref):
    # impl: np.add(x, y)
    return _ufunc_call(eqn, np.add, args, ref) if _array_out(eqn) else None


def _minmax(ufunc):
    def rule_(eqn, args, ref):
        # impl: the ufunc. A rank-0 constant operand becomes an array of the result's
        # shape where NumPy's loop for a broadcast scalar is slow (minmax_scalar_is_slow).
        out = eqn.outvars[0].aval
        if eqn.params or not (_MINMAX_FULL_MIN <= out.size <= _MINMAX_FULL_MAX) \
                or not minmax_scalar_is_slow(ufunc, out.dtype):
            return None
        new = list(args)
        for i, v in enumerate(eqn.invars):
            if type(v) is Literal and v.aval.shape == () and v.aval.dtype == out.dtype:
                val = np.asarray(getattr(v.val, "_value", v.val), out.dtype)
                new[i] = ref(_full(out.shape, out.dtype.str, val.tobytes()), "full")
        if new == list(args):
            return None
        return _ufunc_call(eqn, ufunc, new, ref)
    return rule_


# Arrays of a constant are made for results of this many elements (below, the call
# costs more than the loop; above, the constant costs more memory than it saves).
_MINMAX_FULL_MIN, _MINMAX_FULL_MAX = 1 << 10, 1 << 18


@functools.lru_cache(maxsize=32)
def _full(shape, dtype, value_bytes):
    """A read-only array of one value, shared by every function that asks for it."""
    full = np.full(shape, np.frombuffer(value_bytes, dtype)[0])
    full.setflags(write=False)
    return full


rule("max")(_minmax(np.maximum))
rule("min")(_minmax(np.minimum))


@rule("reshape")
def _reshape(eqn, args, ref):
    # impl: np.reshape(x, new_sizes), which calls the method
    return f"{args[0]}.reshape({tuple(eqn.params['new_sizes'])!r})"


@rule("squeeze")
def _squeeze(eqn, args, ref):
    # impl: np.reshape to the squeezed shape
    return f"{args[0]}.reshape({tuple(eqn.outvars[0].aval.shape)!r})"


@rule("transpose")
def _transpose(eqn, args, ref):
    # impl: np.transpose(x, permutation), which calls the method
    perm = tuple(eqn.params["permutation"])
    return f"{args[0]}.T" if perm == (1, 0) else f"{args[0]}.transpose({perm!r})"


@rule("broadcast_in_dim")
def _broadcast_in_dim(eqn, args, ref):
    # impl: np.broadcast_to(np.reshape(x, expanded), shape); with no dimension to
    # repeat, the reshape alone has the same elements
    x, shape = eqn.invars[0].aval, tuple(eqn.params["shape"])
    if x.ndim == 0 and not shape:
        return None
    expanded = [1] * len(shape)
    for i, d in enumerate(eqn.params["broadcast_dimensions"]):
        expanded[d] = x.shape[i]
    if tuple(expanded) == shape:
        return f"{args[0]}.reshape({shape!r})"
    return f"np.broadcast_to({args[0]}.reshape({tuple(expanded)!r}), {shape!r})"


def _extremum(ufunc, identity):
    def rule_(eqn, args, ref):
        # impl: np.max / np.min(x, axis=axes, initial=identity), i.e. ufunc.reduce
        x = eqn.invars[0].aval
        init = ref(identity(x.dtype), "init")
        axes = tuple(eqn.params["axes"])
        expr = f"{ref(ufunc, ufunc.__name__)}.reduce({args[0]}, axis={axes!r}, initial={init})"
        return Fresh(expr) if _array_out(eqn) else expr
    return rule_


_registered = False


def _register_late():
    """Rules that need the primitives' modules (which import the backends')."""
    global _registered
    from purejax._src.prims.reductions import _identity_max, _identity_min
    rule("reduce_max")(_extremum(np.maximum, _identity_max))
    rule("reduce_min")(_extremum(np.minimum, _identity_min))
    _registered = True


@rule("select_n")
def _select_n(eqn, args, ref):
    # impl: np.where(which, cases[1], cases[0]) for a bool predicate
    if len(args) == 3 and eqn.invars[0].aval.dtype == np.bool_:
        return Fresh(f"np.where({args[0]}, {args[2]}, {args[1]})")
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
    return Fresh(f"np.asarray({args[0]}).astype({ref(dst, 'dt')})")


@rule("dot_general")
def _dot_general(eqn, args, ref):
    # impl's _matmul_no_batch fast path: np.dot over (transposed) views
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.invars[0].aval, eqn.invars[1].aval
    out = eqn.outvars[0].aval
    pref = eqn.params["preferred_element_type"]
    if lhs.dtype != out.dtype or (pref is not None and np.dtype(pref) != out.dtype) \
            or out.ndim == 0:
        return None
    if not lc:
        return _outer_product(lhs, rhs, lb, rb, args, ref)
    if lb or len(lc) != 1 or lhs.ndim > 2 or rhs.ndim > 2:
        return None
    a = args[0] if lc[0] == lhs.ndim - 1 else f"{args[0]}.T"
    b = args[1] if rc[0] == 0 else f"{args[1]}.T"
    if lhs.ndim == rhs.ndim == 2 and min(out.shape + (lhs.shape[lc[0]],)) >= 2 and \
            out.dtype in _GEMM_DTYPES:
        return FreshOut(f"{ref(matmul2d, 'matmul2d')}({a}, {b})")
    return Fresh(f"np.dot({a}, {b})")


_GEMM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _outer_product(lhs, rhs, lb, rb, args, ref):
    """impl's _product_no_contraction (what vmap of grad of a dot gives) inline, when
    neither operand needs transposing (so an operand buffer that reuse_buffers may
    write into is read in the same order)."""
    from purejax._src.prims.linalg import outer_product_layout
    perm_a, a_shape, perm_b, b_shape = outer_product_layout(lhs.shape, rhs.shape, lb, rb)
    if perm_a is not None or perm_b is not None:
        return None
    a = args[0] if a_shape == lhs.shape else f"{args[0]}.reshape({a_shape!r})"
    b = args[1] if b_shape == rhs.shape else f"{args[1]}.reshape({b_shape!r})"
    return f"{ref(np.multiply, 'multiply')}({a}, {b})"


def matmul2d(a, b, out=None):
    """np.dot(a, b) for matrices (every dimension >= 2, float32/float64), without
    np.dot's memset of the result, which gemm overwrites (beta = 0): for C- or
    F-contiguous aligned operands, np.matmul makes the very same BLAS call as np.dot
    (cblas_?gemm, row-major, the same transpose flags and leading dimensions, or
    ?syrk for a matrix times its transpose; numpy/_core/src/common/cblasfuncs.c and
    umath/matmul.c.src), also into a C-contiguous `out` (a dead buffer of the result's
    shape and dtype, from reuse_buffers). Other layouts, which the two copy
    differently, keep np.dot (and a new array)."""
    fa, fb = a.flags, b.flags
    if fa.forc and fb.forc and fa.aligned and fb.aligned:
        if out is not None and out.flags.c_contiguous and out.flags.aligned:
            return np.matmul(a, b, out=out)
        return np.matmul(a, b)
    return np.dot(a, b)


@rule("reduce_sum")
def _reduce_sum(eqn, args, ref):
    # impl: np.sum(x, axis=axes, dtype=x.dtype), which calls np.add.reduce with
    # these arguments (directly: ~1.5 us less)
    axes = tuple(eqn.params["axes"])
    expr = f"np.add.reduce({args[0]}, axis={axes!r}, dtype={ref(eqn.invars[0].aval.dtype, 'dt')})"
    return Fresh(expr) if _array_out(eqn) else expr


# ---------------------------------------------------------------------------
# Buffer reuse

# Results smaller than this are left to the allocator: reusing their buffers saves
# less than it costs to decide (this pass runs on every generated function).
REUSE_MIN_SIZE = 1 << 10

_fresh_prims = None


def _fresh_impl(prim) -> bool:
    """Primitives whose impl (called from the generated code) always returns a new
    array for an array result."""
    global _fresh_prims
    if _fresh_prims is None:
        from purejax._src.backends import codegen_simplify as cs
        _fresh_prims = frozenset({cs.step_p, cs.pad_add_p, cs.mul_step_p})
    # in_double's unary ufuncs: the ufunc's result, or its .astype copy
    return prim in _fresh_prims or getattr(prim.impl, "wide_ufunc", None) is not None


def reuse_buffers(body: list, lines: list, params, returned, globs: dict) -> None:
    """Rewrite, in `body`, calls that make a new array into calls writing into a buffer
    that is no longer needed, as a hand-written NumPy program would with `x += b`:
    fewer allocations, and memory that is still in cache.

    * An elementwise ufunc `v = f(a, b)` becomes `f(a, b, out=a)` when a's buffer
      dies there; NumPy computes into an operand's own buffer exactly as into a new
      one. (Impls with an `out_operands` attribute, e.g. mul_step, likewise.)
    * Otherwise an elementwise ufunc, or a FreshOut call (matmul2d), gets `out=` an
      array of its result's shape and dtype that nothing reads any more.

    A buffer is an array this function allocated itself (a ufunc result, a product, a
    reduction, ...; never an input, a constant or a view), of the result's shape and
    dtype (for a ufunc, with every operand of that dtype, so it runs the same loop),
    and it is dead when neither it nor any view of it is read later or returned.

    `lines` holds, per equation, (index in body, output names, operand expressions,
    equation, emitted call). A value that is neither known fresh nor an elementwise
    ufunc result is taken to alias any buffer its operands hold (views, impls
    returning an operand, sub-programs returning their inputs)."""
    inf = float("inf")
    last_read: dict = {}  # name -> index of the last line reading it
    for k, (_, outs, args, eqn, call) in enumerate(lines):
        for a in args:
            last_read[a] = k
    for r in returned:
        last_read[r] = inf
    owner: dict = {}      # name -> the buffer (a line's output name) it is, itself
    roots: dict = {}      # name -> buffers it may hold or view
    aval_of: dict = {}    # buffer -> (shape, dtype)
    free: dict = {}       # (shape, dtype) -> buffers no name will read again
    in_free: set = set()
    buf_last: dict = {}   # buffer -> the last line reading any name holding or viewing it

    def dead_after(buf, k):
        return buf_last[buf] <= k

    def join(name, buf):  # name holds or views buf
        buf_last[buf] = max(buf_last.get(buf, -1), last_read.get(name, -1))

    def hold(out, buf):
        owner[out] = buf
        roots[out] = {buf}
        join(out, buf)

    for k, (i, outs, args, eqn, call) in enumerate(lines):
        held = set()
        for a in args:
            r = roots.get(a)
            if r:
                held |= r
        single = len(outs) == 1
        out_aval = eqn.outvars[0].aval if single else None
        head = call[:call.find("(")] if single else ""
        fn = globs.get(head)
        ufunc = type(fn) is np.ufunc and fn.nout == 1 and call.endswith(")")
        if single and out_aval.shape != () and (ufunc or isinstance(call, Fresh)
                                                 or _fresh_impl(eqn.primitive)):
            # a new array, or one that may go into a dead buffer. (A small one is not
            # tracked at all: it holds no buffer that could be reused.)
            out = outs[0]
            buf = target = None
            big = math.prod(out_aval.shape) >= REUSE_MIN_SIZE
            if big:
                dt, shape = out_aval.dtype, out_aval.shape
                if ufunc:  # the loop NumPy runs is the one for these operand dtypes
                    same = all(v.aval.dtype == dt for v in eqn.invars)
                    positions = range(len(args)) if same else ()
                else:  # an impl taking out= for some operands (e.g. mul_step's g)
                    positions = getattr(getattr(fn, "func", fn), "out_operands", ())
                    same = False
                for j in positions:
                    a, v = args[j], eqn.invars[j]
                    b = owner.get(a)
                    if b is not None and buf_last[b] <= k and v.aval.shape == shape \
                            and v.aval.dtype == dt:
                        target, buf = a, b  # an operand dying here
                        break
                if target is None and ((ufunc and same) or isinstance(call, FreshOut)):
                    dead = free.get((shape, dt))
                    if dead:
                        buf = target = dead.pop()  # the array itself (not a view of it)
                        in_free.discard(buf)
                if target is not None:
                    body[i] = f"{out} = {call[:-1]}, out={target})"
            if buf is None and big:
                buf = out
                aval_of[buf] = (out_aval.shape, out_aval.dtype)
            if buf is not None:
                hold(out, buf)
        else:
            for out in outs:
                roots[out] = set(held)
                for b in held:
                    join(out, b)
        # buffers whose last reader was this line are free from the next one
        for b in held:
            if b in aval_of and b not in in_free and dead_after(b, k):
                free.setdefault(aval_of[b], []).append(b)
                in_free.add(b)
