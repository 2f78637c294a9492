"""custom_jvp and custom_vjp: user-supplied derivative rules for Python functions.

A call flattens the differentiable arguments and asks the current trace to
`process_custom_jvp_call` / `process_custom_vjp_call` with flat callables:
- eager evaluation, jit and vmap run the primal function (the rule is kept for later
  differentiation: staged as a `custom_jvp_call` / `custom_vjp_call` equation, or
  batched alongside the function);
- a JVP trace runs the rule instead. For custom_vjp it runs `fwd` now and emits a
  `custom_lin` equation, linear in the tangents, whose transpose calls `bwd`; forward
  mode would have to evaluate it, which is the error JAX raises.
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src.array import Array
from purejax._src import tree_util as tu
from purejax._src.core import Primitive, Trace, Tracer
from purejax._src.debug_info import func_name, func_src
from purejax._src.errors import UnexpectedTracerError
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import JVPTrace, JVPTracer, Zero


class CustomRuleError(TypeError, ValueError):
    """A custom derivative rule returned something of the wrong structure, shape or dtype
    (JAX raises TypeError for some of these and ValueError for others: this is both)."""


class SymbolicZero:
    """A tangent or cotangent known to be zero, as handed to custom rules that ask for
    symbolic zeros (JAX's `jax.custom_derivatives.SymbolicZero`). It is not an array:
    test for it with isinstance and skip the work it would feed. Attributes of its
    abstract value (shape, dtype, ndim, size, weak_type) read through."""
    __slots__ = ("aval",)

    def __init__(self, aval: core.ShapedArray):
        self.aval = aval

    def __getattr__(self, name):
        if name.startswith("__"):  # copy/pickle probe dunders before aval is set
            raise AttributeError(name)
        try:
            return getattr(self.aval, name)
        except AttributeError:
            raise AttributeError(f"SymbolicZero has no attribute {name!r}") from None

    def __repr__(self):
        return "SymbolicZero"

    @staticmethod
    def from_primal_value(val: Any) -> "SymbolicZero":
        return SymbolicZero(core.get_aval(val).to_tangent_aval())


def zero_from_primal(val: Any, symbolic_zeros: bool = False) -> Any:
    """Zero tangents for every leaf of the pytree `val`: SymbolicZero objects, or arrays
    of zeros (float0 for integer and boolean leaves)."""
    def zero(x):
        aval = core.get_aval(x).to_tangent_aval()
        return SymbolicZero(aval) if symbolic_zeros else ad.zeros_like_aval(aval)
    return tu.tree_map(zero, val)


class CustomVJPPrimal:
    """What a custom_vjp `fwd` rule defined with symbolic_zeros=True gets in place of
    each leaf of its differentiable arguments: the primal `value`, and whether it is
    `perturbed` (involved in differentiation; if not, its cotangent is never used)."""
    __slots__ = ("value", "perturbed")

    def __init__(self, value: Any, perturbed: bool):
        self.value = value
        self.perturbed = perturbed

    def __repr__(self):
        return f"CustomVJPPrimal(value={self.value!r}, perturbed={self.perturbed!r})"


def custom_vjp_primal_tree_values(tree: Any) -> Any:
    """The pytree of a symbolic_zeros fwd rule's argument with each CustomVJPPrimal
    replaced by its value."""
    def value(leaf):
        if type(leaf) is not CustomVJPPrimal:
            raise TypeError(f"custom_vjp_primal_tree_values expects CustomVJPPrimal leaves "
                            f"(the arguments of a symbolic_zeros fwd rule), got "
                            f"{type(leaf).__name__}.")
        return leaf.value
    return tu.tree_map(value, tree)


def _to_symbolic(t):
    """An internal Zero as the SymbolicZero rules see."""
    return SymbolicZero(t.aval) if type(t) is Zero else t


def _rule_name(f) -> str:
    src = func_src(f)
    return f"{func_name(f)}{' (' + src + ')' if src else ''}"


# fun -> (signature or None, has_defaults): inspect is slow; weak so that functions
# defined on the fly are not kept alive
_SIGNATURES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _signature(fun):
    try:
        hit = _SIGNATURES.get(fun)
    except TypeError:  # unhashable callable
        hit = None
    if hit is None:
        try:
            import inspect  # imported lazily: it costs ~20 ms at startup
            sig = inspect.signature(fun)
            hit = (sig, any(p.default is not p.empty for p in sig.parameters.values()))
        except (TypeError, ValueError):
            hit = (None, False)
        try:
            _SIGNATURES[fun] = hit
        except TypeError:
            pass
    return hit


def resolve_kwargs(fun: Callable, args: tuple, kwargs: dict) -> tuple:
    """Positional arguments only, with keyword arguments and defaults filled in."""
    sig, has_defaults = _signature(fun)
    if not kwargs and (sig is None or not has_defaults or len(args) == len(sig.parameters)):
        return args
    if sig is None:
        raise TypeError(f"cannot resolve keyword arguments of {func_name(fun)}: no signature.")
    try:
        ba = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"Calling {func_name(fun)}: {e}") from None
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError(f"keyword arguments {list(ba.kwargs)} of {func_name(fun)} could not be "
                        "resolved to positions; custom_jvp/custom_vjp functions cannot take "
                        "**kwargs or keyword-only arguments.")
    return ba.args


def _check_nondiff_count(fun, args, nondiff_argnums, kind):
    for i in nondiff_argnums:
        if i >= len(args):
            raise TypeError(f"{kind} function {func_name(fun)} has nondiff_argnums={nondiff_argnums} "
                            f"but was called with only {len(args)} positional arguments.")


def _reject_traced_nondiff(fun, args, nondiff_argnums):
    """custom_vjp: bwd gets nondiff arguments as fixed Python values, so a traced value
    there has nowhere to send its cotangent; JAX raises UnexpectedTracerError."""
    for i in nondiff_argnums:
        for leaf in tu.tree_leaves(args[i]):
            if isinstance(leaf, Tracer):
                raise UnexpectedTracerError(
                    f"custom_vjp function {func_name(fun)}: argument {i} is listed in "
                    f"nondiff_argnums but received a traced value ({leaf.aval.str_short()}). "
                    "Tracers cannot be passed as non-differentiable arguments to custom_vjp "
                    "functions; nondiff_argnums is for values that cannot be or contain "
                    "tracers, such as functions or strings. Pass arrays (even integer ones) "
                    "as ordinary arguments, and return None as their cotangent.")


def _stop_nondiff_gradients(args, nondiff_argnums):
    """custom_jvp: traced values in nondiff_argnums are allowed and, as in JAX, cut off
    from differentiation (stop_gradient): their derivative is zero whatever the rule
    does with them. The rule runs under the parent of a JVP trace, so a value that
    only a JVP trace knows (with a zero tangent after stop_gradient) is replaced by its
    primal, which the parent understands."""
    from purejax._src.prims.elementwise import stop_gradient_p

    def stop(leaf):
        if not isinstance(leaf, Tracer):
            return leaf
        if dtypes.is_inexact(leaf.aval.dtype):
            leaf = stop_gradient_p.bind(leaf)
        while type(leaf) is JVPTracer and (type(leaf.tangent) is Zero or leaf.tangent is None
                                           or _is_float0(leaf.tangent)):
            leaf = leaf.primal
        return leaf

    # rebuild only what holds a tracer: other nondiff values (functions, jaxprs, user
    # objects) reach the rules as the very objects passed
    return tuple(tu.tree_map(stop, a)
                 if i in nondiff_argnums and any(isinstance(x, Tracer) for x in tu.tree_leaves(a))
                 else a for i, a in enumerate(args))


def _split(args, nondiff_argnums):
    nondiff = [args[i] for i in nondiff_argnums]
    diff = [a for i, a in enumerate(args) if i not in nondiff_argnums]
    return nondiff, diff


def _merge(nondiff_argnums, nondiff, diff, n):
    nd, d = iter(nondiff), iter(diff)
    return [next(nd) if i in nondiff_argnums else next(d) for i in range(n)]


class _Store:
    __slots__ = ("tree",)

    def __init__(self):
        self.tree = None


def _flatten_outputs(out, store: _Store, who: str):
    leaves, tree = tu.tree_flatten(out)
    if store.tree is not None and store.tree != tree:
        raise CustomRuleError(f"{who}: output structure {tree} differs from an earlier "
                              f"trace's {store.tree}.")
    store.tree = tree
    return leaves


class _CustomFunction:
    """What custom_jvp and custom_vjp share: the wrapped function, nondiff_argnums,
    method binding, and turning a call's arguments into flat differentiable leaves."""
    _kind = ""

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _nothing_to_transform(self, args, kwargs):
        """The trace to run fun under at once, or None. An eager call with positional
        arguments only: the eager trace would run fun on the same leaves, so the call
        can skip flattening them. Likewise inside linearize (a partial-evaluation
        trace that stages only what depends on its unknowns) over an eager parent,
        for arguments that are concrete values: it hands such calls to the parent
        (_pe_process_custom_jvp_call), which runs fun. (A custom rule calling its own
        function on primals, as seed 001's does, is this case under grad.)"""
        if kwargs or self.nondiff_argnums:
            return None
        t = core.current_trace()
        tt = type(t)
        if tt is core.EvalTrace:
            return t
        if tt is pe.JaxprTrace and t.computes_concrete and all(type(a) in _CONCRETE for a in args):
            return t.parent
        return None

    def _run_under(self, trace, args):
        if trace is core.current_trace():
            return self.fun(*args)
        with core.set_current_trace(trace):
            return self.fun(*args)

    def _prepare(self, args, kwargs):
        """(all positional args, nondiff args, flat diff leaves, their treedef)."""
        args = resolve_kwargs(self.fun, args, kwargs)
        if self.nondiff_argnums:
            _check_nondiff_count(self.fun, args, self.nondiff_argnums, self._kind)
            args = self._nondiff_values(args)
        nondiff, diff = _split(args, self.nondiff_argnums)
        leaves, in_tree = tu.tree_flatten(diff)
        return args, nondiff, diff, leaves, in_tree


_CONCRETE = frozenset({Array, float, int, bool, complex, np.ndarray})


# ---------------------------------------------------------------------------
# custom_jvp

class custom_jvp(_CustomFunction):
    """A function with a custom forward-mode rule (reverse mode by transposition)."""
    _kind = "custom_jvp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable | None = None
        self.symbolic_zeros = False

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        """Define the rule `jvp(*nondiff, primals, tangents) -> (primal_out, tangent_out)`.
        With symbolic_zeros=True, tangents that are known to be zero reach the rule as
        SymbolicZero objects instead of arrays of zeros."""
        self.jvp = jvp
        self.symbolic_zeros = symbolic_zeros
        return jvp

    def _nondiff_values(self, args):
        return _stop_nondiff_gradients(args, self.nondiff_argnums)

    def defjvps(self, *jvps: Callable | None) -> None:
        if self.nondiff_argnums:
            raise TypeError("defjvps is not supported with nondiff_argnums; use defjvp.")

        def jvp(primals, tangents):
            primal_out = self(*primals)
            zeros = tu.tree_map(_zeros_like, primal_out)
            terms = [tu.tree_map(lambda _, t=t: t, primal_out, fn(t, primal_out, *primals))
                     if fn is not None else zeros for fn, t in zip(jvps, tangents)]
            tangent_out = tu.tree_map(lambda *ts: functools.reduce(_add, ts), *terms) \
                if terms else zeros
            return primal_out, tangent_out

        jvp.__qualname__ = f"{func_name(self.fun)}.defjvps"
        self.defjvp(jvp)

    def __call__(self, *args, **kwargs):
        eager = self._nothing_to_transform(args, kwargs)
        if eager is not None:
            return self._run_under(eager, args)
        if not kwargs and not self.nondiff_argnums:
            # the eager tape's fast path (interpreters/tape_custom.py)
            fast = getattr(core.current_trace(), "custom_jvp_call", None)
            if fast is not None:
                out = fast(self, args)
                if out is not NotImplemented:
                    return out
        fun, nums = self.fun, self.nondiff_argnums
        args, nondiff, diff, leaves, in_tree = self._prepare(args, kwargs)
        n = len(args)
        store = _Store()
        rule = self.jvp
        sym = self.symbolic_zeros
        name = func_name(fun)

        def flat_fun(*xs):
            d = tu.tree_unflatten(in_tree, list(xs))
            out = fun(*_merge(nums, nondiff, d, n))
            return _flatten_outputs(out, store, name)

        def flat_jvp(primals, tangents):
            if rule is None:
                raise AttributeError(f"No JVP defined for custom_jvp function {name} using "
                                     "defjvp; it cannot be differentiated.")
            # zero tangents arrive as the internal Zero when the rule takes symbolic zeros
            tangents = [_to_symbolic(t) if sym else _materialize(t) for t in tangents]
            p_args = tu.tree_unflatten(in_tree, list(primals))
            t_args = tu.tree_unflatten(in_tree, tangents)
            res = rule(*nondiff, tuple(p_args), tuple(t_args))
            return _check_jvp_output(res, rule, store, name)

        trace = core.current_trace()
        outs = trace.process_custom_jvp_call(flat_fun, flat_jvp, leaves, self.symbolic_zeros)
        return tu.tree_unflatten(store.tree, outs)


def _zeros_like(x):
    from purejax._src.prims.shape import full_like
    aval = core.get_aval(x)
    if not dtypes.is_inexact(aval.dtype):
        return np.zeros(aval.shape, dtypes.float0)
    return full_like(x, 0)


def _add(a, b):
    from purejax._src import lax
    if isinstance(a, np.ndarray) and a.dtype == dtypes.float0:
        return b
    return lax.add(a, b)


_LEAF_TREE = tu.tree_structure(0.)


def _check_jvp_output(res, rule, store, name):
    if type(res) is tuple and len(res) == 2 and (store.tree is None or store.tree == _LEAF_TREE):
        # the common case, one floating-point array out: what the general checks below
        # would accept unchanged
        p, t = res
        if (type(p) is Array or isinstance(p, Tracer)) and \
                (type(t) is Array or isinstance(t, Tracer)):
            pa, ta = p.aval, t.aval
            if pa.dtype.kind in "fc" and ta.dtype == pa.dtype and ta.shape == pa.shape:
                store.tree = _LEAF_TREE
                return [p], [t]

    def who():  # only an error needs it: formatting it on every call is not free
        return f"custom_jvp rule {_rule_name(rule)} for {name}"

    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise CustomRuleError(f"{who()} must return a pair (primal_out, tangent_out), got "
                              f"{type(res).__name__}{' of length ' + str(len(res)) if isinstance(res, (tuple, list)) else ''}.")
    p_out, t_out = res
    p_leaves, p_tree = tu.tree_flatten(p_out)
    t_leaves, t_tree = tu.tree_flatten(t_out)
    if p_tree != t_tree:
        raise CustomRuleError(f"{who()} returned primal and tangent outputs with different "
                              f"structures: primal {p_tree}, tangent {t_tree}.")
    if store.tree is not None and store.tree != p_tree:
        raise CustomRuleError(f"{who()} returned a primal output of structure {p_tree}, but the "
                              f"function itself returns {store.tree}.")
    store.tree = p_tree
    outs_t = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        pa = core.get_aval(p)
        expected = dtypes.tangent_dtype(pa.dtype)
        if isinstance(t, Zero):
            outs_t.append(t)
            continue
        ta = t.aval if type(t) is SymbolicZero else core.get_aval(t)
        if ta.shape != pa.shape:
            raise CustomRuleError(f"{who()}: tangent output {i} has shape {ta.shape} but the primal "
                                  f"output has shape {pa.shape}; they must be equal.")
        if ta.dtype != expected and (expected == dtypes.float0 or ta.dtype == dtypes.float0
                                     or type(t) is SymbolicZero):
            # an integer or boolean output has no tangent space: JAX insists on float0
            # (a zero), and a float0 or symbolic zero must match the output's tangent type
            raise CustomRuleError(
                f"{who()} must produce primal and tangent outputs with corresponding shapes "
                f"and dtypes: tangent output {i} is {ta.str_short()} but the primal output is "
                f"{pa.str_short()}, whose tangent type is "
                f"{core.ShapedArray(pa.shape, expected).str_short()}"
                + (" (return np.zeros(shape, jax.dtypes.float0) for an integer or boolean "
                   "output)." if expected == dtypes.float0 else "."))
        if type(t) is SymbolicZero or expected == dtypes.float0:
            outs_t.append(Zero(pa.to_tangent_aval()))
            continue
        if ta.dtype != expected:
            if ta.weak_type or dtypes.is_python_scalar(t):
                from purejax._src.prims.shape import convert_element_type
                t = convert_element_type(t, expected, pa.weak_type)
            else:
                raise CustomRuleError(
                    f"{who()}: tangent output {i} has dtype {ta.dtype.name} but the primal output "
                    f"has dtype {pa.dtype.name} (expected tangent dtype {expected.name}).")
        outs_t.append(t)
    return list(p_leaves), outs_t


# ---------------------------------------------------------------------------
# custom_vjp

class custom_vjp(_CustomFunction):
    """A function with a custom reverse-mode rule given as fwd and bwd functions."""
    _kind = "custom_vjp"

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.symbolic_zeros = False

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False,
               optimize_remat: bool = False) -> None:
        """Define the rule as `fwd(*args) -> (out, residuals)` and
        `bwd(*nondiff, residuals, ct_out) -> cts_in`. With symbolic_zeros=True, fwd gets a
        CustomVJPPrimal (.value, .perturbed) for each leaf of the differentiable
        arguments, and bwd gets a SymbolicZero for each output cotangent known to be
        zero. bwd may return None or a SymbolicZero for a zero cotangent either way.
        optimize_remat is accepted and ignored: in JAX it changes how work is scheduled
        under remat, never the results."""
        if symbolic_zeros and optimize_remat:
            raise NotImplementedError("remat optimization for custom_vjp does not support "
                                      "symbolic zeros (as in JAX).")
        self.fwd = fwd
        self.bwd = bwd
        self.symbolic_zeros = symbolic_zeros

    def _nondiff_values(self, args):
        _reject_traced_nondiff(self.fun, args, self.nondiff_argnums)
        return args

    def __call__(self, *args, **kwargs):
        eager = self._nothing_to_transform(args, kwargs)
        if eager is not None:
            return self._run_under(eager, args)
        fun, nums = self.fun, self.nondiff_argnums
        name = func_name(fun)
        args, nondiff, diff, leaves, in_tree = self._prepare(args, kwargs)
        n = len(args)
        store = _Store()
        res_store = _Store()
        fwd, bwd, sym = self.fwd, self.bwd, self.symbolic_zeros

        def flat_fun(*xs):
            d = tu.tree_unflatten(in_tree, list(xs))
            return _flatten_outputs(fun(*_merge(nums, nondiff, d, n)), store, name)

        def flat_fwd(*xs, perturbed: Sequence[bool]):
            # perturbed[i]: whether leaf i has a nonzero tangent (the caller knows)
            if fwd is None:
                raise AttributeError(f"No VJP defined for custom_vjp function {name} using "
                                     "defvjp; it cannot be differentiated.")
            if sym:
                xs = [CustomVJPPrimal(x, bool(p) and dtypes.is_inexact(core.get_aval(x).dtype))
                      for x, p in core.zip_checked(xs, perturbed)]
            d = tu.tree_unflatten(in_tree, list(xs))
            res = fwd(*_merge(nums, nondiff, d, n))
            who = f"custom_vjp fwd rule {_rule_name(fwd)} for {name}"
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise CustomRuleError(f"{who} must return a pair (primal_out, residuals), got "
                                      f"{type(res).__name__}.")
            out, r = res
            out_leaves = _flatten_outputs(out, store, who)
            r_leaves, res_store.tree = tu.tree_flatten(r)
            for kind, leaves_ in (("primal output", out_leaves), ("residual", r_leaves)):
                for i, x in enumerate(leaves_):
                    if type(x) is CustomVJPPrimal:
                        raise CustomRuleError(
                            f"{who}: {kind} leaf {i} is a CustomVJPPrimal (symbolic_zeros=True "
                            "hands fwd these records); return its .value instead.")
            for i, x in enumerate(r_leaves):
                if not _is_valueish(x):
                    raise CustomRuleError(f"{who}: residual leaf {i} is a {type(x).__name__}, "
                                          "which is not an array; residuals must be arrays "
                                          "(pass other values through nondiff_argnums).")
            return out_leaves, r_leaves

        def flat_bwd(res_leaves, cts):
            r = tu.tree_unflatten(res_store.tree, list(res_leaves))
            # zero cotangents arrive as the internal Zero
            cts = [_to_symbolic(c) if sym else ad.instantiate_zeros(c) for c in cts]
            ct = tu.tree_unflatten(store.tree, cts)
            result = bwd(*nondiff, r, ct)
            return _check_bwd_output(result, bwd, name, diff, in_tree, leaves)

        trace = core.current_trace()
        outs = trace.process_custom_vjp_call(flat_fun, flat_fwd, flat_bwd, leaves, store)
        return tu.tree_unflatten(store.tree, outs)


def _is_valueish(x):
    return isinstance(x, (Tracer, np.ndarray, np.generic)) or dtypes.is_python_scalar(x) or \
        type(x) is core._Array


def _check_bwd_output(result, bwd, name, diff, in_tree, primal_leaves):
    who = f"custom_vjp bwd rule {_rule_name(bwd)} for {name}"
    if not isinstance(result, (tuple, list)):
        raise CustomRuleError(
            f"{who} must return a tuple with one cotangent per differentiable argument "
            f"({len(diff)} here), got a bare {type(result).__name__}. Write `return (g,)` for a "
            "single argument.")
    if len(result) != len(diff):
        raise CustomRuleError(f"{who} returned {len(result)} cotangents but {name} has "
                              f"{len(diff)} differentiable arguments (nondiff_argnums excluded).")
    flat = []
    for i, (ct, arg) in enumerate(zip(result, diff)):
        # None stands for zeros of a whole subtree, at any depth
        ct_leaves, ct_tree = tu.tree_flatten(ct, is_leaf=lambda x: x is None)
        try:
            arg_parts = ct_tree.flatten_up_to(arg)
        except ValueError:
            arg_parts = None
        if arg_parts is None or any(c is not None and tu.tree_structure(a).num_leaves != 1
                                    for c, a in zip(ct_leaves, arg_parts)):
            raise CustomRuleError(
                f"{who}: cotangent {i} has structure {tu.tree_structure(ct)} but argument {i} "
                f"has structure {tu.tree_structure(arg)}; they must match (None may stand for "
                "zeros of any subtree).")
        for j, (c, a) in enumerate(zip(ct_leaves, arg_parts)):
            if c is None:
                flat.extend(Zero(core.get_aval(x).to_tangent_aval()) for x in tu.tree_leaves(a))
                continue
            aval = core.get_aval(tu.tree_leaves(a)[0])
            flat.append(_check_ct_leaf(who, i, j, c, aval))
    assert len(flat) == len(primal_leaves)
    return flat


def _check_ct_leaf(who, i, j, c, aval):
    expected = dtypes.tangent_dtype(aval.dtype)
    if isinstance(c, (np.ndarray, np.generic)) and c.dtype == dtypes.float0:
        return Zero(aval.to_tangent_aval())
    if type(c) is SymbolicZero:  # accepted whether or not the rule asked for symbolic zeros
        if c.aval.shape != aval.shape or c.aval.dtype != expected:
            raise CustomRuleError(
                f"{who}: cotangent for argument {i} (leaf {j}) is a SymbolicZero of type "
                f"{c.aval.str_short()} but the primal is {aval.str_short()}, whose cotangent "
                f"type is {core.ShapedArray(aval.shape, expected).str_short()}; return None "
                "instead of a SymbolicZero to leave the type to purejax.")
        return Zero(aval.to_tangent_aval())
    if not _is_valueish(c):
        raise CustomRuleError(f"{who}: cotangent for argument {i} (leaf {j}) is a "
                              f"{type(c).__name__}, not an array.")
    c_aval = core.get_aval(c)
    if c_aval.shape != aval.shape:
        raise CustomRuleError(f"{who}: cotangent for argument {i} (leaf {j}) has shape "
                              f"{c_aval.shape} but the primal has shape {aval.shape}.")
    if expected == dtypes.float0:
        return Zero(aval.to_tangent_aval())
    if c_aval.dtype != expected:
        if c_aval.weak_type or dtypes.is_python_scalar(c) or (
                dtypes.is_inexact(c_aval.dtype) and dtypes.is_inexact(expected)):
            from purejax._src.prims.shape import convert_element_type
            return convert_element_type(c, expected, aval.weak_type)
        raise CustomRuleError(f"{who}: cotangent for argument {i} (leaf {j}) has dtype "
                              f"{c_aval.dtype.name}, expected {expected.name}.")
    return c


# ---------------------------------------------------------------------------
# Trace rules

def _jvp_process_custom_jvp_call(self: JVPTrace, fun, jvp, args, symbolic_zeros):
    primals, tangents = [], []
    for x in args:
        p, t = self.to_primal_tangent(x)
        primals.append(p)
        tangents.append(t)
    parent = self.parent
    if all(t is None or type(t) is Zero for t in tangents):
        with core.set_current_trace(parent):
            return parent.process_custom_jvp_call(fun, jvp, primals, symbolic_zeros)
    tangents = [Zero.from_primal_value(p) if t is None else t for p, t in zip(primals, tangents)]
    if not symbolic_zeros:
        tangents = [_materialize(t) for t in tangents]
    with core.set_current_trace(parent):
        p_out, t_out = jvp(primals, tangents)
    return [JVPTracer(self, p, t) for p, t in zip(p_out, t_out)]


def _jvp_process_custom_vjp_call(self: JVPTrace, fun, fwd, bwd, args, out_store):
    primals, tangents = [], []
    for x in args:
        p, t = self.to_primal_tangent(x)
        primals.append(p)
        tangents.append(t)
    parent = self.parent
    if all(t is None or type(t) is Zero for t in tangents):
        with core.set_current_trace(parent):
            return parent.process_custom_vjp_call(fun, fwd, bwd, primals, out_store)
    tangents = [Zero.from_primal_value(p) if t is None else t for p, t in zip(primals, tangents)]
    with core.set_current_trace(parent):
        out, res = fwd(*primals, perturbed=[not _is_float0(t) and type(t) is not Zero
                                            for t in tangents])
        out_avals = [core.get_aval(o).to_tangent_aval() for o in out]
        lin_in = [ad.instantiate_zeros(t) if dtypes.is_inexact(t.aval.dtype) or type(t) is not Zero
                  else t for t in tangents]
        is_zero = tuple(type(t) is Zero for t in lin_in)
        t_out = custom_lin_p.bind(*res, *[t for t in lin_in if type(t) is not Zero],
                                  num_res=len(res), bwd=bwd, out_avals=tuple(out_avals),
                                  in_zero=is_zero,
                                  in_avals=tuple(core.get_aval(p).to_tangent_aval() for p in primals))
    return [JVPTracer(self, p, t) for p, t in zip(out, t_out)]


JVPTrace.process_custom_jvp_call = _jvp_process_custom_jvp_call
JVPTrace.process_custom_vjp_call = _jvp_process_custom_vjp_call


# custom_lin: the tangent map of a custom_vjp function, known only through bwd.
custom_lin_p = Primitive("custom_lin", multiple_results=True)


def _custom_lin_impl(*args, num_res, bwd, out_avals, in_zero, in_avals):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals, in_zero, in_avals):
    res = args[:num_res]
    cts_in = bwd(res, list(cts))
    out = [None] * num_res
    for z, ct in zip(in_zero, cts_in):
        if not z:
            out.append(None if type(ct) is Zero else ct)
    return out


custom_lin_p.impl = _custom_lin_impl
custom_lin_p.eval_with_arrays = True
custom_lin_p.abstract_eval = lambda *avals, out_avals, **_: list(out_avals)
custom_lin_p.transpose = _custom_lin_transpose


def _custom_lin_jvp(primals, tangents, **params):
    # differentiating the tangent map itself (e.g. grad of jvp): as JAX, a missing rule
    raise core.MissingRuleError("custom_lin", "Differentiation (jvp)",
                                "a custom_vjp function's derivative is known only through "
                                "its bwd rule, so forward-mode differentiation of it (or of "
                                "its JVP) is not available; use custom_jvp for that.")


custom_lin_p.jvp = _custom_lin_jvp


def _custom_lin_batch(args, dims, **params):
    # custom_lin is only batched when it would be evaluated: forward mode (jacfwd)
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


custom_lin_p.batch = _custom_lin_batch


# ---------------------------------------------------------------------------
# Staging: custom_jvp_call / custom_vjp_call equations keep the rules for later

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)


def _stage_fun(fun, args):
    in_avals = [core.get_aval(x) for x in args]
    jaxpr, consts, _ = pe.trace_to_jaxpr(lambda *xs: fun(*xs), in_avals)
    return core.ClosedJaxpr(jaxpr, consts)


def _stage_hoisted(trace, fun, args):
    """Stage fun; values of enclosing transformations it closes over become leading
    operands (num_consts of them), so the staged equation never holds a tracer."""
    from purejax._src.jit import _hoist_tracer_consts
    with core.set_current_trace(trace):
        return _hoist_tracer_consts(_stage_fun(fun, args))


class _SubstTrace(Trace):
    """Runs user rule code with closed-over tracers of a finished staging replaced by
    the values that now stand for them: closure conversion without retracing.

    A staged custom_jvp/custom_vjp equation passes the values its function closed over
    as leading operands; when the equation is differentiated later (grad of jit), the
    user's rules still close over the staging's tracers, which this trace swaps out."""

    def __init__(self, parent, mapping: dict):
        self.parent = parent
        self.mapping = mapping

    def _sub(self, xs):
        m = self.mapping
        return [m.get(id(x), x) if isinstance(x, Tracer) else x for x in xs]

    def _wrap(self, f):
        mapping = self.mapping
        return lambda *a, **kw: _run_substituted(mapping, f, *a, **kw)

    def process_primitive(self, prim, args, params):
        with core.set_current_trace(self.parent):
            return prim.bind(*self._sub(args), **params)

    def process_custom_jvp_call(self, fun, jvp, args, symbolic_zeros):
        with core.set_current_trace(self.parent):
            return self.parent.process_custom_jvp_call(self._wrap(fun), self._wrap(jvp),
                                                       self._sub(args), symbolic_zeros)

    def process_custom_vjp_call(self, fun, fwd, bwd, args, out_trees):
        with core.set_current_trace(self.parent):
            return self.parent.process_custom_vjp_call(self._wrap(fun), self._wrap(fwd),
                                                       self._wrap(bwd), self._sub(args),
                                                       out_trees)


def _run_substituted(mapping, f, *args, **kwargs):
    with core.set_current_trace(_SubstTrace(core.current_trace(), mapping)):
        return f(*args, **kwargs)


def _const_converted_jvp(jvp, consts):
    """The staged jvp rule: takes the hoisted constants as its leading primals."""
    if not consts:
        return jvp
    ids, k = [id(c) for c in consts], len(consts)

    def converted(primals, tangents):
        mapping = dict(zip(ids, primals[:k]))
        return _run_substituted(mapping, jvp, list(primals[k:]), list(tangents[k:]))
    return converted


def _const_converted_vjp(fwd, bwd, consts):
    """Staged fwd/bwd taking the hoisted constants as leading operands; fwd passes their
    values on to bwd in front of the residuals. Closed-over values get no cotangent."""
    if not consts:
        return fwd, bwd
    ids, k = [id(c) for c in consts], len(consts)
    const_zeros = [Zero(core.get_aval(c).to_tangent_aval()) for c in consts]

    def fwd_c(*xs, perturbed):
        out, res = _run_substituted(dict(zip(ids, xs[:k])), fwd, *xs[k:],
                                    perturbed=perturbed[k:])
        return out, list(xs[:k]) + list(res)

    def bwd_c(res, cts):
        cts_in = _run_substituted(dict(zip(ids, res[:k])), bwd, list(res[k:]), cts)
        return const_zeros + list(cts_in)
    return fwd_c, bwd_c


def _pe_process_custom_jvp_call(self: pe.JaxprTrace, fun, jvp, args, symbolic_zeros):
    if not self.stage_all and not any(self.is_own(x) for x in args):
        with core.set_current_trace(self.parent):
            return self.parent.process_custom_jvp_call(fun, jvp, args, symbolic_zeros)
    closed, consts = _stage_hoisted(self, fun, args)
    return custom_jvp_call_p.bind(*consts, *args, call_jaxpr=closed,
                                  jvp_jaxpr_fun=_const_converted_jvp(jvp, consts),
                                  num_consts=len(consts), symbolic_zeros=symbolic_zeros)


def _pe_process_custom_vjp_call(self: pe.JaxprTrace, fun, fwd, bwd, args, out_store):
    if not self.stage_all and not any(self.is_own(x) for x in args):
        with core.set_current_trace(self.parent):
            return self.parent.process_custom_vjp_call(fun, fwd, bwd, args, out_store)
    closed, consts = _stage_hoisted(self, fun, args)
    fwd_c, bwd_c = _const_converted_vjp(fwd, bwd, consts)
    return custom_vjp_call_p.bind(*consts, *args, call_jaxpr=closed, fwd_jaxpr_thunk=fwd_c,
                                  bwd=bwd_c, out_trees=out_store, num_consts=len(consts),
                                  symbolic_zeros=False)


pe.JaxprTrace.process_custom_jvp_call = _pe_process_custom_jvp_call
pe.JaxprTrace.process_custom_vjp_call = _pe_process_custom_vjp_call


def _call_jaxpr_impl(*args, call_jaxpr, **_):
    return core.eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *args)


def _closed_fun(closed):
    return lambda *xs: core.eval_jaxpr(closed.jaxpr, closed.consts, *xs)


for _p in (custom_jvp_call_p, custom_vjp_call_p):
    _p.impl = _call_jaxpr_impl
    _p.eval_with_arrays = True
    _p.abstract_eval = lambda *avals, call_jaxpr, **_: list(call_jaxpr.out_avals)


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp_jaxpr_fun, num_consts,
                         symbolic_zeros):
    if not symbolic_zeros:  # the staged rule takes the hoisted constants first
        tangents = [_materialize(t) for t in tangents]
    return jvp_jaxpr_fun(list(primals), list(tangents))


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd_jaxpr_thunk, bwd, out_trees,
                         num_consts, symbolic_zeros):
    # the staged fwd/bwd take the hoisted constants first, as call_jaxpr does
    trace = JVPTrace(core.current_trace())
    # Reuse the trace rule: wrap as tracers of a throwaway JVP trace.
    tracers = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
    outs = _jvp_process_custom_vjp_call(trace, _closed_fun(call_jaxpr), fwd_jaxpr_thunk, bwd,
                                        tracers, out_trees)
    trace.invalidate()
    return [o.primal for o in outs], [o.tangent for o in outs]


custom_jvp_call_p.jvp = _custom_jvp_call_jvp


def _custom_jvp_call_transpose(cts, *args, call_jaxpr, **_):
    # Only linear_transpose gets here (reverse mode goes through the rule): a linear
    # function is its own derivative, so JAX transposes the primal function itself.
    return ad.backward_pass(call_jaxpr.jaxpr, call_jaxpr.consts, cts, args)


custom_jvp_call_p.transpose = _custom_jvp_call_transpose
custom_vjp_call_p.jvp = _custom_vjp_call_jvp


# ---------------------------------------------------------------------------
# Batching: batch the function and its rules together

def _batched(trace, f, in_dims):
    """f (flat in, flat out) vectorised over in_dims with every output batched at axis 0.
    It runs under a batch trace sharing `trace`'s tag, created under whatever trace is
    current when it is called (it may be staged elsewhere), so values the user's
    function closes over from this vmap are recognised as batched."""
    size = trace.axis_size

    def run(*xs):
        sub = batching.BatchTrace(core.current_trace(), size, trace.axis_name, tag=trace.tag)
        tracers = [batching.BatchTracer(sub, x, d) if d is not None else x
                   for x, d in zip(xs, in_dims)]
        with core.set_current_trace(sub):
            outs = f(*tracers)
        res = []
        for o in outs:
            v, d = sub.to_batch_info(o)
            res.append(v if _is_float0(v) else batching.moveaxis(v, d, 0, size))
        return res
    return run


def _float0_zeros(t):
    return np.zeros(t.aval.shape, dtypes.float0)


def _materialize(t):
    """A concrete tangent or cotangent value (float0 zeros for integer-valued ones)."""
    if type(t) is Zero:
        return _float0_zeros(t) if t.aval.dtype == dtypes.float0 else ad.instantiate_zeros(t)
    return t


def _is_float0(t):
    return (type(t) is Zero and t.aval.dtype == dtypes.float0) or (
        isinstance(t, np.ndarray) and t.dtype == dtypes.float0)


def _batch_process_custom_jvp_call(self: batching.BatchTrace, fun, jvp, args, symbolic_zeros):
    # Even with no batched operand the function may close over this vmap's values, so
    # it always runs under this trace (its unbatched results are then broadcast).
    vals, dims = _unbatch(self, args)

    def b_jvp(primals, tangents):
        n = len(primals)

        def flat(*xs):
            p, t = jvp(list(xs[:n]), list(xs[n:]))
            return list(p) + [ad.instantiate_zeros(x) for x in t]
        # a zero tangent stays symbolic (and unbatched) for a symbolic_zeros rule
        t_dims = [None if _is_float0(t) or type(t) is Zero else d for t, d in zip(tangents, dims)]
        outs = _batched(self, flat, list(dims) + t_dims)(*primals, *tangents)
        m = len(outs) // 2
        return outs[:m], outs[m:]

    with core.set_current_trace(self.parent):
        outs = self.parent.process_custom_jvp_call(_batched(self, fun, dims), b_jvp, vals,
                                                   symbolic_zeros)
    return [batching.BatchTracer(self, o, 0) for o in outs]


def _unbatch(trace, args):
    vals, dims = [], []
    for x in args:
        v, d = trace.to_batch_info(x)
        vals.append(v)
        dims.append(d)
    return vals, dims


def _batch_process_custom_vjp_call(self: batching.BatchTrace, fun, fwd, bwd, args, out_store):
    # Even with no batched operand the function may close over this vmap's values, so
    # it always runs under this trace (its unbatched results are then broadcast).
    vals, dims = _unbatch(self, args)
    n_out = []

    def b_fwd(*xs, perturbed):
        def flat(*ys):
            out, res = fwd(*ys, perturbed=perturbed)
            n_out[:] = [len(out)]
            return list(out) + list(res)
        outs = _batched(self, flat, dims)(*xs)
        return outs[:n_out[0]], outs[n_out[0]:]

    def b_bwd(res, cts):
        nr = len(res)

        def flat(*ys):
            return [_materialize(c) for c in bwd(list(ys[:nr]), list(ys[nr:]))]
        # a zero cotangent stays symbolic and unbatched, for a symbolic_zeros bwd
        ct_dims = [None if type(c) is Zero else 0 for c in cts]
        outs = _batched(self, flat, [0] * nr + ct_dims)(*res, *cts)
        from purejax._src import lax
        # an input that was not batched gets the sum of its per-example cotangents
        return [o if _is_float0(o) else lax.reduce_sum(o, (0,)) if d is None
                else batching.moveaxis(o, 0, d) for o, d in zip(outs, dims)]

    with core.set_current_trace(self.parent):
        outs = self.parent.process_custom_vjp_call(_batched(self, fun, dims), b_fwd, b_bwd,
                                                   vals, out_store)
    return [batching.BatchTracer(self, o, 0) for o in outs]


batching.BatchTrace.process_custom_jvp_call = _batch_process_custom_jvp_call
batching.BatchTrace.process_custom_vjp_call = _batch_process_custom_vjp_call


def _custom_jvp_call_batch(args, dims, *, call_jaxpr, jvp_jaxpr_fun, num_consts, symbolic_zeros):
    if num_consts:
        # batched closed-over values: run the (rule-free) function under vmap
        outs = batching.vmap_flat(_closed_fun(call_jaxpr), _axis_size(args, dims), list(dims),
                                  list(args), lambda: [0] * len(call_jaxpr.out_avals))
        return outs, [0] * len(outs)
    trace = batching.BatchTrace(core.current_trace(), _axis_size(args, dims))
    tracers = [batching.BatchTracer(trace, a, d) if d is not None else a for a, d in zip(args, dims)]
    outs = _batch_process_custom_jvp_call(trace, _closed_fun(call_jaxpr), jvp_jaxpr_fun, tracers,
                                          symbolic_zeros)
    trace.invalidate()
    return [o.val for o in outs], [o.batch_dim for o in outs]


def _custom_vjp_call_batch(args, dims, *, call_jaxpr, fwd_jaxpr_thunk, bwd, out_trees,
                           num_consts, symbolic_zeros):
    if num_consts:
        outs = batching.vmap_flat(_closed_fun(call_jaxpr), _axis_size(args, dims), list(dims),
                                  list(args), lambda: [0] * len(call_jaxpr.out_avals))
        return outs, [0] * len(outs)
    trace = batching.BatchTrace(core.current_trace(), _axis_size(args, dims))
    tracers = [batching.BatchTracer(trace, a, d) if d is not None else a for a, d in zip(args, dims)]
    outs = _batch_process_custom_vjp_call(trace, _closed_fun(call_jaxpr), fwd_jaxpr_thunk, bwd,
                                          tracers, out_trees)
    trace.invalidate()
    return [o.val for o in outs], [o.batch_dim for o in outs]


def _axis_size(args, dims):
    return next(core.get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)


custom_jvp_call_p.batch = _custom_jvp_call_batch
custom_vjp_call_p.batch = _custom_vjp_call_batch


# ---------------------------------------------------------------------------
# closure_convert

def closure_convert(fun: Callable, *example_args):
    """(converted_fun, consts): closed-over float/int arrays hoisted into extra
    trailing arguments, so a custom_vjp rule can differentiate with respect to them."""
    from purejax._src.api import abstractify
    leaves, in_tree = tu.tree_flatten((example_args, {}))
    in_avals = [abstractify(x) for x in leaves]
    store = _Store()

    def flat(*xs):
        args, kwargs = tu.tree_unflatten(in_tree, list(xs))
        return _flatten_outputs(fun(*args, **kwargs), store, func_name(fun))

    jaxpr, consts, _ = pe.trace_to_jaxpr(flat, in_avals)
    hoisted = [c for c in consts if isinstance(c, Tracer) or dtypes.is_inexact(core.get_aval(c).dtype)
               or dtypes.is_integer(core.get_aval(c).dtype)]
    if not hoisted:
        return fun, []
    const_vals = list(consts)
    out_tree = store.tree

    def converted(*args_and_consts):
        args = args_and_consts[:len(args_and_consts) - len(const_vals)]
        cs = args_and_consts[len(args_and_consts) - len(const_vals):]
        xs = tu.tree_leaves((args, {}))
        outs = core.eval_jaxpr(jaxpr, list(cs), *xs)
        return tu.tree_unflatten(out_tree, outs)

    return converted, const_vals
