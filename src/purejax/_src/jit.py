"""jit: stage a function to a Jaxpr once per input signature and run it through a
backend. Under another transformation, jit is the call primitive `pjit` whose
rules transform the inner Jaxpr and bind `pjit` again, so every composition works
and make_jaxpr shows the nested call as JAX does."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src import tree_util as tu
from purejax._src.array import Array
from purejax._src.config import _flags
from purejax._src.core import ClosedJaxpr, Primitive, ShapedArray, Tracer
from purejax._src.debug_info import DebugInfo, func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero


# ---------------------------------------------------------------------------
# Backends

def _backend():
    if _flags.get("purejax_jit_backend") == "interpret":
        from purejax._src.backends import interpret
        return interpret
    from purejax._src.backends import numpy_codegen
    return numpy_codegen


def compiled_for(closed: ClosedJaxpr, name: str, inline: bool = True):
    """The backend's callable for `closed`, cached on the ClosedJaxpr itself. With
    `inline`, the numpy_codegen function has its calls inlined and its rank-0
    arithmetic as operators (control_flow/inline.py): worth it for code run many
    times, not for eager control flow, which compiles its bodies for each call."""
    key = ("compiled", _flags.get("purejax_jit_backend"), inline)
    fn = closed.side.get(key)
    if fn is None:
        backend = _backend()
        fn = backend.compile_jaxpr(closed, name)
        if inline and backend.__name__.endswith("numpy_codegen"):
            from purejax._src.control_flow import inline
            fn = inline.inline_calls(fn, closed.in_avals)
        closed.side[key] = fn
    return fn


# ---------------------------------------------------------------------------
# The call primitive

pjit_p = Primitive("pjit", multiple_results=True)


def _pjit_impl(*args, jaxpr, name, **_):
    if _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        return core.eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)  # op by op, checked
    fn = compiled_for(jaxpr, name)
    raw = [a._value if type(a) is Array else np.asarray(a) for a in args]
    outs = fn(*raw)
    return [Array(np.asarray(o), a.weak_type) for o, a in zip(outs, jaxpr.out_avals)]


pjit_p.impl = _pjit_impl
pjit_p.eval_with_arrays = True
# its JVP and batching rules reuse the Jaxprs they cache on the jit's own (eager jvp and
# vmap need no template, interpreters/eager_templates.py)
pjit_p.rules_cached = True
pjit_p.abstract_eval = lambda *avals, jaxpr, **_: list(jaxpr.out_avals)


def _trace_closed(fun, in_avals, debug_info=None) -> ClosedJaxpr:
    jaxpr, consts, _ = pe.trace_to_jaxpr(fun, in_avals, debug_info=debug_info)
    return _close(jaxpr, consts)


def _close(jaxpr, consts) -> ClosedJaxpr:
    return ClosedJaxpr(jaxpr, consts)


def _hoist_tracer_consts(closed: ClosedJaxpr):
    """Tracer constants become leading inputs so that enclosing traces see them."""
    consts = closed.consts
    if not any(isinstance(c, Tracer) for c in consts):
        return closed, []
    jaxpr = closed.jaxpr
    keep = [(v, c) for v, c in zip(jaxpr.constvars, consts) if not isinstance(c, Tracer)]
    hoist = [(v, c) for v, c in zip(jaxpr.constvars, consts) if isinstance(c, Tracer)]
    new = core.Jaxpr([v for v, _ in keep], [v for v, _ in hoist] + list(jaxpr.invars),
                     jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(new, [c for _, c in keep]), [c for _, c in hoist]


def _eval_closed(closed):
    return lambda *xs: core.eval_jaxpr(closed.jaxpr, closed.consts, *xs)


# --- JVP: jvp of the inner Jaxpr, staged; zero tangents stay symbolic --------
def _pjit_jvp(primals, tangents, *, jaxpr, name, **params):
    nonzero = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nonzero = _jvp_jaxpr(jaxpr, tuple(nonzero))
    nz_tangents = [t for t in tangents if type(t) is not Zero]
    outs = pjit_p.bind(*primals, *nz_tangents, jaxpr=jvp_closed, name=f"jvp({name})")
    n = len(jaxpr.out_avals)
    primals_out = outs[:n]
    it = iter(outs[n:])
    tangents_out = [next(it) if nz else Zero(a.to_tangent_aval())
                    for nz, a in zip(out_nonzero, jaxpr.out_avals)]
    return primals_out, tangents_out


def _jvp_jaxpr(closed: ClosedJaxpr, nonzero: tuple):
    cache = _cache_on(closed, "_jvp_cache")
    hit = cache.get(nonzero)
    if hit is not None:
        return hit
    in_avals = closed.in_avals
    t_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzero) if nz]
    out_nonzero = []
    n = len(in_avals)

    def f(*args):
        primals = args[:n]
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                    for nz, a in zip(nonzero, in_avals)]
        p_out, t_out = ad.jvp_flat(_eval_closed(closed), primals, tangents)
        out_nonzero[:] = [type(t) is not Zero for t in t_out]
        return list(p_out) + [t for t in t_out if type(t) is not Zero]

    res = (_trace_closed(f, list(in_avals) + t_avals), list(out_nonzero))
    cache[nonzero] = res
    return res


def _cache_on(closed, attr):
    c = closed.side.get(attr)
    if c is None:
        c = closed.side[attr] = {}
    return c


# --- partial evaluation: known part now, unknown part staged -----------------
def _split_body(closed: ClosedJaxpr, unknowns):
    """The body split by partial evaluation: (known part, unknown part, which outputs
    are unknown, number of residuals), each part a ClosedJaxpr."""
    known, unknown, out_unknown, num_res = pe.partial_eval_jaxpr(closed.jaxpr, unknowns)
    return ClosedJaxpr(known, closed.consts), ClosedJaxpr(unknown, []), out_unknown, num_res


def _pjit_partial_eval(trace: pe.JaxprTrace, args, unknown, *, jaxpr, name, **params):
    known_closed, unknown_closed, out_unknown, num_res = _split_body(jaxpr, unknown)
    known_args = [a for a, u in zip(args, unknown) if not u]
    with core.set_current_trace(trace.parent):
        known_outs = pjit_p.bind(*known_args, jaxpr=known_closed, name=name)
    n_known_out = len(known_outs) - num_res
    residuals = known_outs[n_known_out:]
    unknown_args = [a for a, u in zip(args, unknown) if u]
    invars = [trace.to_atom(x) for x in list(residuals) + unknown_args]
    outs_u = trace.add_eqn(pjit_p, invars, list(unknown_closed.out_avals),
                           dict(jaxpr=unknown_closed, name=name))
    ku, uu = iter(known_outs[:n_known_out]), iter(outs_u)
    return [next(uu) if u else next(ku) for u in out_unknown]


def _pjit_partial_eval_jaxpr(eqn, unknowns):
    """Jaxpr-level partial evaluation of a pjit equation: split its body, so that a
    known output (a primal, under linearize of an enclosing jit) stays known."""
    known, unknown, out_unknown, num_res = _split_body(eqn.params["jaxpr"], unknowns)
    res_vars = [core.Var(a) for a in known.out_avals[len(known.out_avals) - num_res:]]
    known_eqn = core.JaxprEqn(
        [v for v, u in zip(eqn.invars, unknowns) if not u],
        [v for v, u in zip(eqn.outvars, out_unknown) if not u] + res_vars, pjit_p,
        dict(eqn.params, jaxpr=known), eqn.source)
    unknown_eqn = core.JaxprEqn(
        res_vars + [v for v, u in zip(eqn.invars, unknowns) if u],
        [v for v, u in zip(eqn.outvars, out_unknown) if u], pjit_p,
        dict(eqn.params, jaxpr=unknown), eqn.source)
    return known_eqn, unknown_eqn, out_unknown


pjit_p.partial_eval_jaxpr = _pjit_partial_eval_jaxpr


# --- transpose: the backward pass of the inner Jaxpr, staged -----------------
def _pjit_transpose(cts, *args, jaxpr, name, **params):
    linear = tuple(ad.is_undefined_primal(a) for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    t_closed = _transpose_jaxpr(jaxpr, linear, ct_nonzero)
    known = [a for a in args if not ad.is_undefined_primal(a)]
    outs = pjit_p.bind(*known, *[c for c in cts if type(c) is not Zero], jaxpr=t_closed,
                       name=f"transpose({name})")
    it = iter(outs)
    return [next(it) if lin else None for lin in linear]


def _transpose_jaxpr(closed, linear, ct_nonzero):
    cache = _cache_on(closed, "_transpose_cache")
    key = (linear, ct_nonzero)
    hit = cache.get(key)
    if hit is not None:
        return hit
    in_avals = closed.in_avals
    known_avals = [a for a, lin in zip(in_avals, linear) if not lin]
    ct_avals = [a.to_tangent_aval() for a, nz in zip(closed.out_avals, ct_nonzero) if nz]
    nk = len(known_avals)

    def f(*args):
        known = iter(args[:nk])
        it_ct = iter(args[nk:])
        cts = [next(it_ct) if nz else Zero(a.to_tangent_aval())
               for nz, a in zip(ct_nonzero, closed.out_avals)]
        full = [ad.UndefinedPrimal(a) if lin else next(known) for a, lin in zip(in_avals, linear)]
        res = ad.backward_pass(closed.jaxpr, closed.consts, cts, full)
        return [ad.instantiate_zeros(r) for r, lin in zip(res, linear) if lin]

    res = _trace_closed(f, known_avals + ct_avals)
    cache[key] = res
    return res


# --- batching: vmap of the inner Jaxpr, staged -------------------------------
def _pjit_batch(args, dims, *, jaxpr, name, **params):
    size = next(core.get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    b_closed = _batch_jaxpr(jaxpr, size, tuple(dims), tuple(core.get_aval(a) for a in args))
    outs = pjit_p.bind(*args, jaxpr=b_closed, name=name)
    return outs, [0] * len(outs)


def _batch_jaxpr(closed, size, dims, arg_avals):
    cache = _cache_on(closed, "_batch_cache")
    key = (size, dims, arg_avals)
    hit = cache.get(key)
    if hit is not None:
        return hit
    n_out = len(closed.out_avals)
    res = _trace_closed(
        lambda *xs: batching.vmap_flat(_eval_closed(closed), size, list(dims), list(xs),
                                       lambda: [0] * n_out),
        list(arg_avals))
    cache[key] = res
    return res


pjit_p.jvp = _pjit_jvp
pjit_p.transpose = _pjit_transpose
pjit_p.batch = _pjit_batch
pjit_p.partial_eval = _pjit_partial_eval


def _register_lowering():
    from purejax._src.backends import numpy_codegen
    numpy_codegen.register_lowering(pjit_p, numpy_codegen.lower_call_jaxpr("jaxpr"))

    from purejax._src import custom_derivatives as cd
    numpy_codegen.register_lowering(cd.custom_jvp_call_p, numpy_codegen.lower_call_jaxpr("call_jaxpr"))
    numpy_codegen.register_lowering(cd.custom_vjp_call_p, numpy_codegen.lower_call_jaxpr("call_jaxpr"))


_register_lowering()


# ---------------------------------------------------------------------------
# The user-facing wrapper

def _leaf_signature(x):
    """(shape, dtype, weak) of an argument leaf, canonicalised as jnp.asarray would."""
    t = type(x)
    if t is Array:
        v = x._value
        return (v.shape, v.dtype, x.weak_type)
    if t is float or t is int or t is complex or t is bool:
        return ((), dtypes.python_scalar_dtype(x), t is not bool)
    if isinstance(x, Tracer):
        a = x.aval
        return (a.shape, a.dtype, a.weak_type)
    if isinstance(x, (np.ndarray, np.generic)):
        return (x.shape, dtypes.canonicalize_dtype(x.dtype), False)
    if dtypes.is_python_scalar(x):
        return ((), dtypes.python_scalar_dtype(x), dtypes.is_weakly_typed(x))
    return None


def _raw(x, dtype):
    t = type(x)
    if t is Array:
        return x._value
    v = np.asarray(x)
    return v if v.dtype == dtype else v.astype(dtype)


def _array_sig(x):
    v = x._value
    return (v.shape, v.dtype, x.weak_type)


# Per argument type: its cache signature on the fast path (Python scalars are weak,
# except bool; their dtype depends on x64, which is part of the key).
def _seq_sig(x):
    """A list or tuple of Arrays (a parameter list): its type and the Arrays' signatures.
    Anything else inside gives a signature that is never stored (`_fast_ok`)."""
    return (type(x), tuple(_array_sig(e) if type(e) is Array else _NOT_FAST for e in x))


_NOT_FAST = object()
_FAST_SIG = {Array: _array_sig, float: lambda x: float, int: lambda x: int, bool: lambda x: bool,
             list: _seq_sig, tuple: _seq_sig}


def _fast_ok(x) -> bool:
    t = type(x)
    return t in _FAST_SIG and (t not in (list, tuple) or all(type(e) is Array for e in x))


def _fast_caller(entry, args):
    """A function, written for this signature, that runs the compiled code straight
    from the positional args (an unrolled call: the generic loop over the arguments
    cost a third of a small jitted call)."""
    out_tree, out_weak = entry.out_tree, entry.out_weak
    g = {"fn": entry.fn, "Array": Array, "ndarray": np.ndarray, "asarray": np.asarray,
         "unflatten": tu.tree_unflatten, "out_tree": out_tree, "out_weak": out_weak}
    params, raw = [], []
    for i, x in enumerate(args):
        params.append(f"x{i}")
        if type(x) is Array:
            raw.append(f"x{i}._value")
        elif type(x) in (list, tuple):
            raw.append(f"*[e._value for e in x{i}]")
        else:  # a Python scalar: its dtype under the flags it was compiled with
            g[f"d{i}"] = _leaf_signature(x)[1]
            raw.append(f"asarray(x{i}, d{i})")
    src = [f"def call({', '.join(params)}):", f"    outs = fn({', '.join(raw)})"]
    if out_tree.num_leaves == 1 and tu.treedef_is_strict_leaf(out_tree):
        src += ["    o = outs[0]",
                f"    return Array(o if type(o) is ndarray else asarray(o), {out_weak[0]!r})"]
    else:
        src += ["    return unflatten(out_tree, [Array(o if type(o) is ndarray else asarray(o), w)",
                "                                for o, w in zip(outs, out_weak)])"]
    exec("\n".join(src), g)  # noqa: S102 -- our own source, built above
    return g["call"]


class _Compiled:
    __slots__ = ("fn", "out_tree", "out_weak", "closed", "consts_hoisted")

    def __init__(self, fn, out_tree, out_weak, closed):
        self.fn = fn
        self.out_tree = out_tree
        self.out_weak = out_weak
        self.closed = closed


class JitWrapped:
    """The result of jit(f): a callable with a compilation cache."""

    def __init__(self, fun: Callable, static_argnums=None, static_argnames=None,
                 donate_argnums=None, donate_argnames=None, keep_unused=False, device=None,
                 backend=None, inline=False, abstracted_axes=None):
        if not callable(fun):
            raise TypeError(f"jit requires a callable as its first argument, got {fun!r}")
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = func_name(fun)
        # the staged call's name, as JAX shows it: the function's __name__
        self._short_name = getattr(fun, "__name__", self._name)
        self._static_argnums, self._static_argnames = _infer_static(
            fun, static_argnums, static_argnames)
        self._cache: dict = {}
        # signature -> caller, for calls needing no flattening (None: static args exist)
        self._fast: dict | None = None if (self._static_argnums or self._static_argnames) else {}

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _cache_size(self) -> int:
        return len(self._cache)

    def clear_cache(self) -> None:
        self._cache.clear()
        if self._fast is not None:
            self._fast.clear()

    def _split(self, args, kwargs):
        nums = self._static_argnums
        names = self._static_argnames
        if nums:
            n = len(args)
            for i in nums:
                if i >= n and not names:
                    raise ValueError(f"jitted function {self._name} has static_argnums={nums} but "
                                     f"was called with only {n} positional arguments.")
            static = tuple((i, args[i]) for i in nums if i < n)
            dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
        else:
            static, dyn_args = (), args
        if names and kwargs:
            static_kw = tuple(sorted((k, v) for k, v in kwargs.items() if k in names))
            dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
        else:
            static_kw, dyn_kwargs = (), kwargs
        static_all = static + static_kw
        for k, v in static_all:
            try:
                hash(v)
            except TypeError:
                raise ValueError(
                    f"Non-hashable static arguments are not supported. An error occurred while "
                    f"trying to hash an object of type {type(v)}, {v!r}, passed as static "
                    f"argument {k!r} of jitted function {self._name}. Use a tuple instead of "
                    "a list, or make the object hashable.") from None
        return static_all, dyn_args, dyn_kwargs

    def _rebuild(self, static, dyn_args, dyn_kwargs):
        args = list(dyn_args)
        for k, v in static:
            if isinstance(k, int):
                args.insert(k, v)
        kwargs = dict(dyn_kwargs)
        kwargs.update({k: v for k, v in static if isinstance(k, str)})
        return args, kwargs

    def __call__(self, *args, **kwargs):
        # Fast path: positional Arrays / Python scalars at top level, a cache hit.
        if not kwargs and self._fast is not None and type(core._state.trace) is core.EvalTrace:
            sig = [(x._value.shape, x._value.dtype, x.weak_type) if type(x) is Array else
                   _FAST_SIG[type(x)](x) if type(x) in _FAST_SIG else None for x in args]
            hit = self._fast.get((tuple(sig), _flags["jax_enable_x64"]))
            if hit is not None and not (_flags["jax_disable_jit"] or _flags["jax_debug_nans"]
                                        or _flags["jax_debug_infs"]):
                return hit(*args)
        if _flags["jax_disable_jit"]:
            return self._fun(*args, **kwargs)
        static, dyn_args, dyn_kwargs = self._split(args, kwargs)
        leaves, in_tree = tu.tree_flatten((dyn_args, dyn_kwargs))
        sigs = []
        for i, x in enumerate(leaves):
            s = _leaf_signature(x)
            if s is None:
                self._bad_arg(i, x, dyn_args, dyn_kwargs)
            sigs.append(s)
        trace = core.current_trace()
        key = (static, in_tree, tuple(sigs), _flags["jax_enable_x64"])
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(static, in_tree, sigs, dyn_args, dyn_kwargs)
            self._cache[key] = entry
            if (self._fast is not None and not kwargs and not entry.consts_hoisted
                    and all(_fast_ok(x) for x in args)
                    and in_tree == tu.tree_structure((tuple(args), {}))):
                fast_sig = tuple(_FAST_SIG[type(x)](x) for x in args)
                self._fast[(fast_sig, _flags["jax_enable_x64"])] = _fast_caller(entry, args)
        if _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
            # re-run op by op so the check names the equation that produced the value
            vals = [x if isinstance(x, (Array, Tracer)) else Array(_raw(x, s[1]), s[2])
                    for x, s in zip(leaves, sigs)]
            outs = core.eval_jaxpr(entry.closed.jaxpr, entry.closed.consts,
                                   *entry.consts_hoisted, *vals)
            return tu.tree_unflatten(entry.out_tree, outs)
        if type(trace) is core.EvalTrace and not entry.consts_hoisted:
            raw = [_raw(x, s[1]) for x, s in zip(leaves, sigs)]
            outs = entry.fn(*raw)
            return tu.tree_unflatten(entry.out_tree, [
                Array(o if type(o) is np.ndarray else np.asarray(o), w)
                for o, w in zip(outs, entry.out_weak)])
        vals = [x if isinstance(x, (Array, Tracer)) else
                Array(_raw(x, s[1]), s[2]) for x, s in zip(leaves, sigs)]
        outs = pjit_p.bind(*entry.consts_hoisted, *vals, jaxpr=entry.closed, name=self._short_name)
        return tu.tree_unflatten(entry.out_tree, outs)

    def _bad_arg(self, i, x, dyn_args, dyn_kwargs):
        paths = [p for p, _ in tu.tree_flatten_with_path((dyn_args, dyn_kwargs))[0]]
        raise TypeError(
            f"Error interpreting argument to {self._name} as an abstract array. The problematic "
            f"value is of type {type(x).__name__} and was passed to the function at path "
            f"{tu.keystr(paths[i])}. This typically means that a jit-wrapped function was "
            "called with a non-array argument, and this argument was not marked as static "
            "using the static_argnums or static_argnames parameters of jax.jit.")

    def _compile(self, static, in_tree, sigs, dyn_args, dyn_kwargs) -> _Compiled:
        in_avals = [ShapedArray(s[0], s[1], s[2]) for s in sigs]
        fun = self._fun
        out_store = [None]

        def flat(*xs):
            a, k = tu.tree_unflatten(in_tree, list(xs))
            full_args, full_kwargs = self._rebuild(static, a, k)
            out = fun(*full_args, **full_kwargs)
            out_leaves, out_store[0] = tu.tree_flatten(out)
            for j, o in enumerate(out_leaves):
                if not (isinstance(o, (Array, Tracer, np.ndarray, np.generic))
                        or dtypes.is_python_scalar(o)):
                    raise TypeError(f"jitted function {self._name} returned a value of type "
                                    f"{type(o).__name__} at output leaf {j}; outputs must be "
                                    "arrays or pytrees of arrays.")
            return out_leaves

        paths = [p for p, _ in tu.tree_flatten_with_path((dyn_args, dyn_kwargs))[0]]
        names = _arg_names(fun, self._static_argnums, paths)
        info = DebugInfo("jit", fun, names)
        closed = _trace_closed(flat, in_avals, info)
        closed, hoisted = _hoist_tracer_consts(closed)
        entry = _Compiled(None, out_store[0], [a.weak_type for a in closed.out_avals], closed)
        entry.consts_hoisted = hoisted
        if not hoisted:
            entry.fn = compiled_for(closed, self._name)
        return entry

    def lower(self, *args, **kwargs):
        return _Lowered(self, args, kwargs)

    def trace(self, *args, **kwargs):
        return _Lowered(self, args, kwargs)

    def eval_shape(self, *args, **kwargs):
        from purejax._src.api import eval_shape
        return eval_shape(self, *args, **kwargs)

    def __repr__(self):
        return f"<jitted function {self._name}>"


class _Lowered:
    """jit(f).lower(*args): access to the Jaxpr and the generated source."""

    def __init__(self, wrapped: JitWrapped, args, kwargs):
        static, dyn_args, dyn_kwargs = wrapped._split(args, kwargs)
        leaves, in_tree = tu.tree_flatten((dyn_args, dyn_kwargs))
        sigs = [_leaf_signature(x) for x in leaves]
        self._entry = wrapped._compile(static, in_tree, sigs, dyn_args, dyn_kwargs)
        self.jaxpr = self._entry.closed

    def compile(self):
        return self

    def as_text(self) -> str:
        fn = compiled_for(self._entry.closed, "lowered")
        return fn.source if getattr(fn, "source", None) else str(self.jaxpr)


def _infer_static(fun, static_argnums, static_argnames):
    nums = () if static_argnums is None else (
        (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums))
    names = () if static_argnames is None else (
        (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames))
    try:
        import inspect  # lazily: ~20 ms at startup
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = None
    if params is not None:
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        has_varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
        nums = tuple(n + len(positional) if n < 0 and not has_varargs else n for n in nums)
        names = tuple(names) + tuple(positional[n].name for n in nums
                                     if 0 <= n < len(positional) and positional[n].name not in names)
        nums = tuple(sorted(set(nums) | {i for i, p in enumerate(positional) if p.name in names}))
    return nums, frozenset(names)


def _arg_names(fun, static_nums, paths):
    try:
        import inspect
        params = [p.name for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    dyn_names = [n for i, n in enumerate(params) if i not in static_nums]
    out = []
    for p in paths:
        top, idx = p[0], p[1] if len(p) > 1 else None
        rest = p[2:]
        if getattr(top, "idx", None) == 0 and idx is not None:
            i = getattr(idx, "idx", None)
            base = dyn_names[i] if i is not None and i < len(dyn_names) else f"args[{i}]"
            out.append(base + tu.keystr(tuple(rest)))
        elif idx is not None:
            out.append(str(getattr(idx, "key", idx)) + tu.keystr(tuple(rest)))
        else:
            out.append("args")
    return out


def jit(fun: Callable | None = None, *, static_argnums=None, static_argnames=None,
        donate_argnums=None, donate_argnames=None, keep_unused=False, device=None,
        backend=None, inline=False, abstracted_axes=None):
    """Compile `fun` once per input signature (shapes, dtypes, weak types, static
    arguments); later calls with the same signature run the generated code directly."""
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums,
                                 donate_argnames=donate_argnames)
    return JitWrapped(fun, static_argnums, static_argnames, donate_argnums, donate_argnames)


class disable_jit:
    """Context manager (and decorator) running jitted functions eagerly."""

    def __init__(self, disable: bool = True):
        self.disable = disable

    def __enter__(self):
        self.prev = _flags["jax_disable_jit"]
        _flags["jax_disable_jit"] = self.disable

    def __exit__(self, *exc):
        _flags["jax_disable_jit"] = self.prev
