"""The engine's seam: abstract values, the Jaxpr IR, primitives, traces and `bind`.

Every operation on arrays is a `Primitive`. `prim.bind(*args, **params)` hands the
operation to the *current trace*. Transformations install a trace whose rules
run under its parent trace, so transformations nest without a global stack
(the "stackless" design): a value produced by another transformation is just a
constant to this one, which is what prevents perturbation confusion.
"""
from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from purejax._src import dtypes
from purejax._src.errors import (ConcretizationTypeError, MissingRuleError,
                                 TracerArrayConversionError, TracerBoolConversionError,
                                 TracerIntegerConversionError, UnexpectedTracerError)


# JAX computes inf and nan silently. Rather than enter np.errstate on every
# operation, ignore NumPy's floating-point RuntimeWarnings raised from purejax's own
# modules (and its generated code): the filter costs nothing until a warning fires,
# and warnings from the user's own NumPy code are untouched.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"purejax\.")


# ---------------------------------------------------------------------------
# Abstract values

_SHORT_DTYPE = {
    "float16": "f16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "complex64": "c64", "complex128": "c128", "bool": "bool",
}


def short_dtype_name(dtype: np.dtype) -> str:
    if dtype == dtypes.float0:
        return "float0"
    return _SHORT_DTYPE.get(dtype.name, dtype.name)


class ShapedArray:
    """The abstract value of an array: shape, dtype and whether it is weakly typed."""
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: tuple, dtype: np.dtype, weak_type: bool = False):
        self.shape = shape
        self.dtype = dtype
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None, weak_type=None) -> "ShapedArray":
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strip_weak_type(self) -> "ShapedArray":
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype, False)

    def to_tangent_aval(self) -> "ShapedArray":
        if self.dtype.kind in "fc":  # its own tangent type (avals are never mutated)
            return self
        return ShapedArray(self.shape, dtypes.tangent_dtype(self.dtype), self.weak_type)

    def str_short(self) -> str:
        return f"{short_dtype_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __eq__(self, other):
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def _long_str(self) -> str:
        # JAX spells dtypes out in reprs (float32[3]); Jaxpr text uses str_short (f32[3])
        name = short_dtype_name(self.dtype) if self.dtype == dtypes.float0 else self.dtype.name
        return f"{name}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        # as JAX: ShapedArray(float32[], weak_type=True), what jax.typeof(x) prints
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self._long_str()}{weak})"

    def __str__(self):
        # as JAX: ~float32[] for a weakly typed scalar (tracer reprs use this form)
        return f"{'~' if self.weak_type else ''}{self._long_str()}"


def get_aval(x: Any) -> ShapedArray:
    """The abstract value of anything that can be an operand of a primitive."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(x.shape, x.dtype, False)
    if dtypes.is_python_scalar(x):
        return ShapedArray((), dtypes.python_scalar_dtype(x), dtypes.is_weakly_typed(x))
    raise TypeError(f"Value {x!r} of type {type(x).__name__} is not a valid purejax type: "
                    "expected an array, a NumPy array or a Python scalar.")


# ---------------------------------------------------------------------------
# The IR

class Var:
    __slots__ = ("aval", "suffix")

    def __init__(self, aval: ShapedArray, suffix: str = ""):
        self.aval = aval
        self.suffix = suffix

    def __repr__(self):
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant inlined into an equation (printed by value)."""
    __slots__ = ("val", "aval")

    def __init__(self, val: Any, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self):
        return f"Literal({self.val})"


class JaxprEqn:
    __slots__ = ("invars", "outvars", "primitive", "params", "source")

    def __init__(self, invars: list, outvars: list, primitive: "Primitive", params: dict,
                 source=None):
        self.invars = invars
        self.outvars = outvars
        self.primitive = primitive
        self.params = params
        # where the user code that staged it is: partial_eval.SourceInfo, or a string
        # "file:line (function)"; shown with str()
        self.source = source

    def __repr__(self):
        from purejax._src.pretty import pp_eqn_standalone
        return pp_eqn_standalone(self)


class Jaxpr:
    __slots__ = ("constvars", "invars", "outvars", "eqns")

    def __init__(self, constvars: list, invars: list, outvars: list, eqns: list):
        self.constvars = constvars
        self.invars = invars
        self.outvars = outvars
        self.eqns = eqns

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        from purejax._src.pretty import pp_jaxpr
        return pp_jaxpr(self)

    __repr__ = __str__


class ClosedJaxpr:
    """A Jaxpr together with the values of its constvars. `side` caches what
    transformations and backends derive from it (compiled code, JVP Jaxprs...)."""
    __slots__ = ("jaxpr", "consts", "side")

    def __init__(self, jaxpr: Jaxpr, consts: Sequence):
        assert len(jaxpr.constvars) == len(consts)
        self.jaxpr = jaxpr
        self.consts = list(consts)
        self.side: dict = {}

    @property
    def in_avals(self):
        return self.jaxpr.in_avals

    @property
    def out_avals(self):
        return self.jaxpr.out_avals

    @property
    def eqns(self):
        return self.jaxpr.eqns

    def __str__(self):
        from purejax._src.pretty import pp_jaxpr
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


# ---------------------------------------------------------------------------
# Primitives

class Primitive:
    """An operation with named rule slots, each filled in the primitive's one block.

    impl(*np_arrays, **params) -> np.ndarray (or list)  evaluation on NumPy values
    abstract_eval(*avals, **params) -> aval (or list)     shapes and dtypes
    jvp(primals, tangents, **params) -> (out, out_dot)   for non-linear primitives
    transpose(cts, *args, **params) -> list of cts       for linear primitives;
        args are `UndefinedPrimal` for the linear operands
    batch(args, dims, **params) -> (out, out_dim)        vmap
    """
    multiple_results = False

    def __init__(self, name: str, *, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None
        self.jvp: Callable | None = None
        self.transpose: Callable | None = None
        self.batch: Callable | None = None
        self.eval_cache: dict = {}  # operand signature -> output avals (EvalTrace)
        self.codegen: Callable | None = None
        # Higher-order primitives evaluate sub-Jaxprs on Arrays, not on NumPy buffers.
        self.eval_with_arrays = False

    def __repr__(self):
        return self.name

    def bind(self, *args, **params):
        return _state.trace.process_primitive(self, args, params)

    def bind_with_trace(self, trace: "Trace", args, params):
        return trace.process_primitive(self, args, params)

    def def_impl(self, impl):
        self.impl = impl
        return impl

    def def_abstract_eval(self, rule):
        self.abstract_eval = rule
        return rule

    def rule(self, slot: str, transformation: str):
        fn = getattr(self, slot)
        if fn is None:
            raise MissingRuleError(self.name, transformation)
        return fn


# ---------------------------------------------------------------------------
# Traces

class _TraceState(threading.local):
    def __init__(self):
        self.trace = EvalTrace()


class Trace:
    """Interprets primitives for one transformation. `parent` interprets what its
    rules emit."""
    parent: "Trace | None" = None
    _alive = True
    tag: Any = None
    # whether an operation on concrete operands (Arrays) runs at once here, as on the
    # eager trace, rather than being staged or transformed: jnp's eager fast paths
    # (array_methods._eager_arith, ufuncs._inexact_unop) take it only then
    computes_concrete = False

    def process_primitive(self, prim: Primitive, args, params):
        raise NotImplementedError

    def invalidate(self):
        self._alive = False

    # Custom derivative rules (purejax._src.custom_derivatives). `fun`, `jvp`, `fwd`
    # and `bwd` are flat Python callables; traces that do not care run `fun`.
    def process_custom_jvp_call(self, fun, jvp, args, symbolic_zeros):
        with set_current_trace(self):
            return fun(*args)

    def process_custom_vjp_call(self, fun, fwd, bwd, args, out_trees):
        with set_current_trace(self):
            return fun(*args)

    def __repr__(self):
        return f"{type(self).__name__}"


def _raise_escaped(x: "Tracer"):
    raise UnexpectedTracerError(
        f"Encountered an unexpected tracer: a {x.aval.str_short()} value created by "
        f"{x._trace._describe()} was used after that transformation finished. This "
        "usually means a traced value escaped through a global, a closure or a "
        "side effect (e.g. appended to a list outside the function). Return it as an "
        "output of the transformed function instead.")


class EvalTrace(Trace):
    """The root trace: runs each primitive's NumPy implementation.

    Before running it, the primitive's abstract evaluation checks the operands (so an
    eager call raises the same typed error as staging) and gives the output weak types.
    Its result is cached per primitive by operand signature, so repeated calls with
    the same shapes cost one dict lookup."""

    computes_concrete = True

    def process_primitive(self, prim, args, params):
        n = len(args)
        if not params and 0 < n < 3 and type(args[0]) is _Array:
            # one or two Arrays, no params, a signature seen before: the loop below,
            # unrolled (most eager operations)
            x = args[0]
            v = x._value
            if n == 1:
                vals, key = (v,), ((v.shape, v.dtype, x.weak_type),)
            elif type(args[1]) is _Array:
                y = args[1]
                w = y._value
                vals = (v, w)
                key = ((v.shape, v.dtype, x.weak_type), (w.shape, w.dtype, y.weak_type))
            else:
                key = None
            out_aval = prim.eval_cache.get((key, ())) if key is not None else None
            impl = prim.impl
            if out_aval is not None and impl is not None and not prim.multiple_results \
                    and not prim.eval_with_arrays \
                    and not (_debug_flags["jax_debug_nans"] or _debug_flags["jax_debug_infs"]):
                out = impl(*vals)
                return _Array(out if type(out) is np.ndarray else np.asarray(out),
                              out_aval.weak_type)
        if prim.eval_with_arrays:
            return prim.impl(*args, **params)
        vals = []
        sig = []
        for x in args:
            if type(x) is _Array:
                v = x._value
                vals.append(v)
                sig.append((v.shape, v.dtype, x.weak_type))
                continue
            t = type(x)
            if isinstance(x, Tracer):
                _raise_escaped(x)
            else:
                if t is np.ndarray or isinstance(x, np.generic):
                    # canonical dtype, and never a view of a buffer the user may mutate
                    v = dtypes.coerce_to_array(x)
                    if v is x and t is np.ndarray and x.flags.writeable:
                        v = v.copy()
                    w = False
                else:
                    v = dtypes.coerce_to_array(x)
                    w = dtypes.is_weakly_typed(x)
                vals.append(v)
                sig.append((v.shape, v.dtype, w))
        # the cache lookup of _eval_signature, inline: this runs for every eager operation
        out_avals = None
        if prim.impl is not None and not params:
            out_avals = prim.eval_cache.get((tuple(sig), ()))
        if out_avals is None:
            out_avals = _eval_signature(prim, sig, params)
        out = prim.impl(*vals, **params)
        if _debug_flags["jax_debug_nans"] or _debug_flags["jax_debug_infs"]:
            _check_nonfinite(prim, vals, out, params)
        if prim.multiple_results:
            return [_Array(o if type(o) is np.ndarray else np.asarray(o), a.weak_type)
                    for o, a in zip(out, out_avals)]
        return _Array(out if type(out) is np.ndarray else np.asarray(out), out_avals.weak_type)

    def _describe(self):
        return "eager evaluation"


def _check_nonfinite(prim, vals, out, params):
    """jax_debug_nans / jax_debug_infs: name the primitive that first produced a NaN
    (or inf) from operands that had none, with the operands' summary."""
    outs = out if prim.multiple_results else [out]
    for kind, flag, test in (("nan", "jax_debug_nans", np.isnan), ("inf", "jax_debug_infs", np.isinf)):
        if not _debug_flags[flag]:
            continue
        for i, o in enumerate(outs):
            o = np.asarray(o)
            if not np.issubdtype(o.dtype, np.inexact) or not test(o).any():
                continue
            if any(np.issubdtype(np.asarray(v).dtype, np.inexact) and test(np.asarray(v)).any()
                   for v in vals):
                continue  # propagated, not produced here
            where = "" if o.ndim == 0 else f" at index {np.argwhere(test(o))[:3].tolist()}"
            operands = ", ".join(
                f"{np.asarray(v).dtype.name}{list(np.shape(v))}" +
                (f"={np.asarray(v).item()!r}" if np.size(v) == 1 else "") for v in vals)
            raise FloatingPointError(
                f"invalid value ({kind}) encountered in {prim.name}"
                f"{' output ' + str(i) if len(outs) > 1 else ''}{where} "
                f"(operands: {operands}; params: {params or '{}'}). Set "
                f"{flag}=False to disable this check; use jnp.where guards or a custom_jvp "
                f"rule to avoid the {kind}.")


_EVAL_CACHE_LIMIT = 4096

from purejax._src.config import _flags as _debug_flags  # noqa: E402  (read on every eager op)


def _eval_signature(prim, sig, params, need_impl=True):
    if need_impl and prim.impl is None:  # (before the cache, which staging fills too)
        raise MissingRuleError(prim.name, "evaluation (impl)")
    cache = prim.eval_cache
    try:
        key = (tuple(sig), tuple(params.items()) if params else ())
        hit = cache.get(key)
    except TypeError:  # an unhashable parameter: check every time
        key, hit = None, None
    if hit is not None:
        return hit
    rule = prim.abstract_eval
    if rule is None:
        raise MissingRuleError(prim.name, "abstract evaluation")
    out = rule(*[ShapedArray(s, d, w) for s, d, w in sig], **params)
    if key is not None:
        if len(cache) >= _EVAL_CACHE_LIMIT:
            cache.clear()
        cache[key] = out
    return out


_state = _TraceState()


def current_trace() -> Trace:
    return _state.trace


class set_current_trace:
    """Context manager installing `trace` as the current one (cheap: no generator)."""
    __slots__ = ("trace", "prev")

    def __init__(self, trace: Trace):
        self.trace = trace

    def __enter__(self):
        self.prev = _state.trace
        _state.trace = self.trace

    def __exit__(self, *exc):
        _state.trace = self.prev


# ---------------------------------------------------------------------------
# Tracers

class Tracer:
    """A value under transformation. Array methods and operators are attached by
    purejax.numpy (shared with `Array`)."""
    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    @property
    def weak_type(self):
        return self.aval.weak_type

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object")
        return self.aval.shape[0]

    def to_concrete_value(self):
        """The concrete value behind this tracer, or None when it is abstract."""
        return None

    def _concrete_or_raise(self, err_cls, what: str):
        val = self.to_concrete_value()
        if val is None:
            raise err_cls(self._trace._concretization_message(self, what))
        return val

    def __bool__(self):
        return bool(self._concrete_or_raise(TracerBoolConversionError,
                                            "boolean conversion (`if`, `while`, `and`, `or`, `not`, bool())"))

    def __int__(self):
        return int(self._concrete_or_raise(ConcretizationTypeError, "int()"))

    def __float__(self):
        return float(self._concrete_or_raise(ConcretizationTypeError, "float()"))

    def __complex__(self):
        return complex(self._concrete_or_raise(ConcretizationTypeError, "complex()"))

    def __index__(self):
        # as Array.__index__: a float value is no index even when it is concrete (jnp.power
        # relies on this to tell `x ** 2` from `x ** y` with y a float being differentiated)
        if not np.issubdtype(self.aval.dtype, np.integer) or self.aval.ndim:
            raise TypeError("Only integer scalar arrays can be converted to a scalar index, "
                            f"got a traced array of type {self.aval.str_short()}.")
        return int(self._concrete_or_raise(TracerIntegerConversionError, "__index__ (use as an index)"))

    def item(self, *args):
        val = self._concrete_or_raise(ConcretizationTypeError, "item()")
        return np.asarray(val).item(*args)

    def tolist(self):
        return np.asarray(self._concrete_or_raise(ConcretizationTypeError, "tolist()")).tolist()

    def __array__(self, dtype=None, copy=None):
        val = self.to_concrete_value()
        if val is None:
            raise TracerArrayConversionError(self._trace._concretization_message(
                self, "conversion to a NumPy array (np.asarray, np.array or a NumPy function)"))
        return np.asarray(val, dtype=dtype)

    def __hash__(self):
        raise TypeError(f"unhashable type: '{type(self).__name__}' (traced arrays cannot be "
                        "dict keys or static arguments)")

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        from purejax._src.numpy import indexing
        return (indexing.getitem(self, i) for i in range(self.aval.shape[0]))

    # Printing follows JAX 0.10: each transformation's tracer class names itself the
    # way JAX's does (JitTracer(~float32[]), VmapTracer(...), GradTracer(...),
    # JVPTracer(...)); this is the fallback. print(x), str(x) and f"{x}" all give repr.
    def __repr__(self):
        return f"{type(self).__name__}<{self.aval}>"

    def __str__(self):
        return repr(self)

    def __format__(self, spec):
        if not spec:
            return str(self)
        # JAX raises here too (object.__format__: "unsupported format string passed to
        # DynamicJaxprTracer.__format__"), even when the value happens to be known; we
        # keep the type and say why and what to do instead
        shown = repr(self)
        name = shown.partition("(")[0].partition("<")[0]  # JitTracer, as printed
        raise TypeError(
            f"unsupported format string passed to {name}.__format__: the format spec "
            f"{spec!r} was applied to {shown}, a traced value, which has no number to "
            "format while the function is being transformed. Return the value "
            "from the transformed function and format it outside the transformation, or "
            "print it without a format spec (print(x) or f'{x}') to see its type and shape "
            "(purejax has no jax.debug.print yet).")


def _default_concretization_message(trace, tracer, what):
    return (f"Attempted {what} of a traced array with shape {tracer.aval.str_short()} "
            f"under {trace._describe()}. Its value is not known while tracing.")


Trace._concretization_message = _default_concretization_message
Trace._describe = lambda self: type(self).__name__


def concrete_or_error(x, context: str = ""):
    """The concrete value of x (a tracer whose value is known, an Array, a number)."""
    if isinstance(x, Tracer):
        val = x.to_concrete_value()
        if val is None:
            raise ConcretizationTypeError(
                f"Abstract tracer value encountered where a concrete value is expected"
                f"{' (' + context + ')' if context else ''}: {x.aval.str_short()}. The "
                "value depends on a traced argument; mark it static (static_argnums) or "
                "use structured control flow (lax.cond, lax.while_loop).")
        return val
    if type(x) is _Array:
        return x._value
    return x


def is_concrete(x) -> bool:
    return not isinstance(x, Tracer) or x.to_concrete_value() is not None


# ---------------------------------------------------------------------------
# Evaluation of Jaxprs

def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence, *args) -> list:
    """Interpret `jaxpr` by binding each equation under the current trace."""
    env: dict = {}
    for v, x in zip_checked(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip_checked(jaxpr.invars, args):
        env[v] = x

    for eqn in jaxpr.eqns:
        # (the reads are inlined: eager vmap/grad interpret small Jaxprs per operation)
        invals = [v.val if type(v) is Literal else env[v] for v in eqn.invars]
        try:
            outs = eqn.primitive.bind(*invals, **eqn.params)
        except FloatingPointError as e:
            if eqn.source and "traced at" not in str(e):
                raise FloatingPointError(f"{e}\n  The equation `{eqn}` was traced at "
                                         f"{eqn.source}.") from None
            raise
        if eqn.primitive.multiple_results:
            for v, x in zip_checked(eqn.outvars, outs):
                env[v] = x
        else:
            (v,) = eqn.outvars
            env[v] = outs
    return [v.val if type(v) is Literal else env[v] for v in jaxpr.outvars]


def jaxpr_as_fun(closed: ClosedJaxpr) -> Callable:
    return lambda *args: eval_jaxpr(closed.jaxpr, closed.consts, *args)


# ---------------------------------------------------------------------------
# Small engine utilities

def zip_checked(*seqs):
    """zip that refuses to silently truncate: a short list here is a wrong gradient."""
    n = len(seqs[0])
    for s in seqs[1:]:
        if len(s) != n:
            raise AssertionError(f"length mismatch in engine zip: {[len(s) for s in seqs]}")
    return zip(*seqs)


# Filled in by purejax._src.array to avoid an import cycle: the eval trace must
# recognise Arrays by exact type on its hot path.
_Array: type = type(None)


def _register_array_type(cls):
    global _Array
    _Array = cls
