"""Automatic differentiation: forward mode (JVPTrace), linearize (JVP + partial
evaluation) and transposition. Reverse mode = linearize, then transpose."""
from __future__ import annotations

import itertools
from typing import Callable, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Literal, MissingRuleError, ShapedArray, Trace, Tracer
from purejax._src.interpreters import partial_eval as pe


# ---------------------------------------------------------------------------
# Symbolic zeros

class Zero:
    """A tangent or cotangent known to be zero; never materialised unless needed."""
    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    @staticmethod
    def from_primal_value(x) -> "Zero":
        return Zero(core.get_aval(x).to_tangent_aval())

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def zeros_like_aval(aval: ShapedArray):
    from purejax._src.array import Array
    if aval.dtype == dtypes.float0:
        return np.zeros(aval.shape, dtypes.float0)
    from purejax._src.prims.shape import full_like
    return full_like(Array(np.zeros((), aval.dtype), aval.weak_type), 0, shape=aval.shape)


def instantiate_zeros(t):
    if type(t) is Zero:
        return zeros_like_aval(t.aval)
    return t


def add_tangents(x, y):
    if type(x) is Zero:
        return y
    if type(y) is Zero:
        return x
    return add_any_p.bind(x, y)


class UndefinedPrimal:
    """A linear operand of an equation being transposed."""
    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined_primal(x) -> bool:
    return type(x) is UndefinedPrimal


# ---------------------------------------------------------------------------
# Forward mode

_tags = itertools.count()


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: "JVPTrace", primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return core.get_aval(self.primal)

    def to_concrete_value(self):
        p = self.primal
        if isinstance(p, Tracer):
            return p.to_concrete_value()
        return core.concrete_or_error(p)

    def __repr__(self):
        # As JAX 0.10 prints them. A JVP under linearization (grad or vjp inside jit,
        # linearize) is JAX's LinearizeTracer, "GradTracer"; its tangent is being
        # staged, so only its type is shown. Nested tracers print their own repr.
        parent = self._trace.parent
        if type(parent) is pe.JaxprTrace and not parent.stage_all:
            return grad_tracer_repr(self.primal, core.get_aval(self.tangent))
        return f"JVPTracer(primal={self.primal!s}, tangent={self.tangent!s})"


def grad_tracer_repr(primal, tangent_aval: ShapedArray) -> str:
    """How JAX 0.10 prints a value under reverse-mode differentiation."""
    return f"GradTracer(primal={primal!s}, typeof(tangent)={tangent_aval.str_short()})"


class JVPTrace(Trace):
    def __init__(self, parent: Trace, tag=None):
        self.parent = parent
        self.tag = next(_tags) if tag is None else tag

    def _describe(self):
        return "jvp/grad"

    def _concretization_message(self, tracer, what):
        return (f"Attempted {what} of a traced value {tracer.aval.str_short()} under "
                "differentiation whose primal value is itself abstract (e.g. inside jit).")

    def lift(self, x):
        return JVPTracer(self, x, Zero.from_primal_value(x))

    def to_primal_tangent(self, x):
        if type(x) is JVPTracer and x._trace is self:
            return x.primal, x.tangent
        if isinstance(x, Tracer) and not x._trace._alive:
            core._raise_escaped(x)
        return x, None

    def process_primitive(self, prim, args, params):
        primals = []
        tangents = []
        for x in args:
            p, t = self.to_primal_tangent(x)
            primals.append(p)
            tangents.append(t)
        if all(t is None or type(t) is Zero for t in tangents):
            with core.set_current_trace(self.parent):
                return prim.bind(*primals, **params)
        tangents = [Zero.from_primal_value(p) if t is None else t
                    for p, t in zip(primals, tangents)]
        rule = prim.jvp
        if rule is None:
            raise MissingRuleError(prim.name, "Differentiation (jvp)",
                                   "define it with ad.defjvp or wrap the computation in "
                                   "custom_jvp/custom_vjp")
        done = None
        if prim.eval_with_arrays and type(self.parent) is core.EvalTrace:
            # eager cond/scan/remat...: the rule compiled once per structure
            from purejax._src.interpreters.eager_templates import eager_jvp
            done = eager_jvp(prim, primals, tangents, params)
        if done is not None:
            primal_out, tangent_out = done
        else:
            with core.set_current_trace(self.parent):
                primal_out, tangent_out = rule(primals, tangents, **params)
        if prim.multiple_results:
            return [JVPTracer(self, p, t) for p, t in core.zip_checked(primal_out, tangent_out)]
        return JVPTracer(self, primal_out, tangent_out)


def jvp_flat(fun: Callable, primals: Sequence, tangents: Sequence):
    """Run flat `fun` on JVP tracers; returns (primals_out, tangents_out) with Zero
    for outputs that do not depend on the inputs."""
    parent = core.current_trace()
    trace = JVPTrace(parent)
    in_tracers = [JVPTracer(trace, p, t) for p, t in core.zip_checked(primals, tangents)]
    try:
        with core.set_current_trace(trace):
            outs = fun(*in_tracers)
    finally:
        trace.invalidate()
    primals_out, tangents_out = [], []
    for x in outs:
        p, t = trace.to_primal_tangent(x)
        primals_out.append(p)
        tangents_out.append(Zero.from_primal_value(p) if t is None else t)
    return primals_out, tangents_out


# ---------------------------------------------------------------------------
# Linearize: JVP under a partial-evaluation trace whose unknowns are the tangents

class LinearFunction:
    """The linear map produced by linearize: a Jaxpr from the differentiable input
    tangents to the output tangents that are not symbolically zero, closed over
    residuals."""

    def __init__(self, jaxpr: core.Jaxpr, consts: list, in_avals: list, out_avals: list,
                 in_linear: list[bool], out_nonzero: list[bool]):
        self.jaxpr = jaxpr
        self.consts = consts
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.in_linear = in_linear
        self.out_nonzero = out_nonzero

    def __call__(self, *tangents) -> list:
        args = [instantiate_zeros(t) for t, lin in zip(tangents, self.in_linear) if lin]
        outs = iter(core.eval_jaxpr(self.jaxpr, self.consts, *args))
        return [next(outs) if nz else Zero(a) for nz, a in zip(self.out_nonzero, self.out_avals)]

    def transpose(self, cts_out: Sequence) -> list:
        """Cotangents of the inputs (Zero for inputs that got none)."""
        cts = [ct for ct, nz in core.zip_checked(cts_out, self.out_nonzero) if nz]
        lin_cts = iter(backward_pass(self.jaxpr, self.consts, cts))
        return [next(lin_cts) if lin else Zero(aval)
                for lin, aval in zip(self.in_linear, self.in_avals)]


def linearize_flat(fun: Callable, primals: Sequence, differentiable: Sequence[bool] | None = None):
    """Returns (primals_out, LinearFunction)."""
    def jvp_fn(pe_trace, tangents):
        jvp_trace = JVPTrace(pe_trace)
        in_tracers = [JVPTracer(jvp_trace, p, t) for p, t in zip(primals, tangents)]
        try:
            with core.set_current_trace(jvp_trace):
                outs = fun(*in_tracers)
            pairs = [jvp_trace.to_primal_tangent(x) for x in outs]
        finally:
            jvp_trace.invalidate()
        return ([p for p, _ in pairs],
                [Zero.from_primal_value(p) if t is None else t for p, t in pairs])
    return linearize_jvp(jvp_fn, primals, differentiable)


def linearize_jvp(jvp_fn: Callable, primals: Sequence,
                  differentiable: Sequence[bool] | None = None):
    """Linearize a JVP computation: `jvp_fn(pe_trace, tangents)` returns (primals_out,
    tangents_out), where the tangents are unknowns of `pe_trace` (a partial-evaluation
    trace over the current one; Zero where not differentiable), so its known work runs
    now and its tangent work is staged. Returns (primals_out, LinearFunction)."""
    pe_trace = pe.JaxprTrace(core.current_trace(), stage_all=False)
    in_avals = [core.get_aval(p).to_tangent_aval() for p in primals]
    if differentiable is None:
        differentiable = [dtypes.is_inexact(a.dtype) for a in in_avals]
    tangents = [pe_trace.new_arg(a) if d else Zero(a) for a, d in zip(in_avals, differentiable)]
    try:
        primals_out, tangents_out = jvp_fn(pe_trace, tangents)
        out_avals = [core.get_aval(p).to_tangent_aval() for p in primals_out]
        out_nonzero = [type(t) is not Zero for t in tangents_out]
        outvars = [pe_trace.to_atom(t) for t in tangents_out if type(t) is not Zero]
        jaxpr = core.Jaxpr(pe_trace.constvars, pe_trace.invars, outvars, pe_trace.eqns)
    finally:
        pe_trace.invalidate()
    return primals_out, LinearFunction(jaxpr, pe_trace.consts, in_avals, out_avals,
                                       list(differentiable), out_nonzero)


# ---------------------------------------------------------------------------
# Transposition

def backward_pass(jaxpr: core.Jaxpr, consts: Sequence, cts_out: Sequence,
                  args: Sequence | None = None) -> list:
    """Cotangents for jaxpr.invars given cotangents of its outputs.

    `args` gives, per invar, a known value or an UndefinedPrimal marking it linear
    (default: all linear). Equations that do not depend on a linear input are
    evaluated forward first; the rest are walked backwards calling each primitive's
    transpose rule. Known inputs get Zero cotangents."""
    # (this runs on every eager pullback of a custom_jvp rule: kept to plain loops)
    known: dict = dict(core.zip_checked(jaxpr.constvars, consts))
    if args is None:
        linear = set(jaxpr.invars)
    else:
        linear = set()
        for v, a in core.zip_checked(jaxpr.invars, args):
            if type(a) is UndefinedPrimal:
                linear.add(v)
            else:
                known[v] = a
    lin_eqns = []
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if type(v) is not Literal and v in linear:
                linear.update(eqn.outvars)
                lin_eqns.append(eqn)
                break
        else:
            outs = eqn.primitive.bind(*[v.val if type(v) is Literal else known[v]
                                        for v in eqn.invars], **eqn.params)
            if not eqn.primitive.multiple_results:
                outs = (outs,)
            known.update(zip(eqn.outvars, outs))

    ct_env: dict = {}
    for v, ct in core.zip_checked(jaxpr.outvars, cts_out):
        _write_ct(ct_env, linear, v, ct)

    for eqn in reversed(lin_eqns):
        outvars = eqn.outvars
        if len(outvars) == 1:
            ct = ct_env.pop(outvars[0], None)
            if ct is None:
                continue
            cts = [ct]
        else:
            cts = [ct_env.pop(v, None) for v in outvars]
            if all(c is None for c in cts):
                continue
            cts = [Zero(v.aval) if c is None else c for v, c in zip(outvars, cts)]
        eqn_args = [v.val if type(v) is Literal else
                    (UndefinedPrimal(v.aval) if v in linear else known[v]) for v in eqn.invars]
        prim = eqn.primitive
        rule = prim.transpose
        if rule is None:
            raise MissingRuleError(
                prim.name, "Transpose (reverse-mode)",
                "reverse-mode differentiation needs the tangent computation to be linear; "
                "if this comes from a custom_jvp rule, make its tangent output linear in "
                "the input tangents, or use custom_vjp")
        try:
            cts_in = rule(cts if prim.multiple_results else cts[0], *eqn_args, **eqn.params)
        except TypeError as e:
            # a rule that needs a known operand got a linear one (ours say so by name)
            if "UndefinedPrimal" not in str(e):
                raise
            where = f" at {eqn.source}" if eqn.source else ""
            linear_ops = [i for i, a in enumerate(eqn_args) if type(a) is UndefinedPrimal]
            raise TypeError(
                f"cannot transpose {prim.name}{where}: operands {linear_ops} are all "
                f"linear inputs, but {prim.name} is linear in at most one of them. "
                "The function being transposed is not linear in its inputs (for example, "
                "it multiplies two of them).") from None
        for v, ct in core.zip_checked(eqn.invars, cts_in):
            _write_ct(ct_env, linear, v, ct)
    return [ct_env.get(v, Zero(v.aval)) if v in linear else Zero(v.aval.to_tangent_aval())
            for v in jaxpr.invars]


def _write_ct(ct_env: dict, linear: set, v, ct) -> None:
    """Accumulate cotangent `ct` of variable `v` (nothing for a Zero, a literal or a
    known variable)."""
    if ct is None or type(ct) is Zero or type(v) is Literal or v not in linear:
        return
    prev = ct_env.get(v)
    ct_env[v] = ct if prev is None else add_any_p.bind(prev, ct)


# ---------------------------------------------------------------------------
# Rule helpers (used in each primitive's block)

def defjvp(prim: core.Primitive, *jvp_fns: Callable | None) -> None:
    """JVP as a sum of per-operand terms: jvp_fns[i](t_i, *primals, **params);
    None marks an operand with no derivative."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_out = Zero.from_primal_value(out)
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                t_out = add_tangents(t_out, fn(t, *primals, **params))
        return out, t_out

    prim.jvp = rule


def defjvp2(prim: core.Primitive, *jvp_fns: Callable | None) -> None:
    """Like defjvp, but each term also receives the primal output:
    jvp_fns[i](t_i, ans, *primals, **params)."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_out = Zero.from_primal_value(out)
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                t_out = add_tangents(t_out, fn(t, out, *primals, **params))
        return out, t_out

    prim.jvp = rule


def defjvp_zero(prim: core.Primitive) -> None:
    """Piecewise-constant or integer-valued: the derivative is zero everywhere."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero.from_primal_value(o) for o in out]
        return out, Zero.from_primal_value(out)

    prim.jvp = rule


def deflinear(prim: core.Primitive, transpose_rule: Callable) -> None:
    """A primitive linear in all operands: its JVP applies it to the tangents."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            t_out = Zero.from_primal_value(out) if not prim.multiple_results else \
                [Zero.from_primal_value(o) for o in out]
        else:
            t_out = prim.bind(*map(instantiate_zeros, tangents), **params)
        return out, t_out

    def transpose(ct, *args, **params):
        if type(ct) is Zero:
            return [None] * len(args)
        return transpose_rule(ct, *args, **params)

    prim.jvp = jvp
    prim.transpose = transpose


def deflinear1(prim: core.Primitive, transpose_rule: Callable) -> None:
    """Linear in its first operand only; the other operands are parameters-like
    (e.g. indices). transpose_rule(ct, *args, **params) returns the first operand's ct."""

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t = tangents[0]
        if type(t) is Zero:
            return out, Zero.from_primal_value(out)
        return out, prim.bind(t, *primals[1:], **params)

    def transpose(ct, *args, **params):
        if type(ct) is Zero:
            return [None] * len(args)
        return [transpose_rule(ct, *args, **params)] + [None] * (len(args) - 1)

    prim.jvp = jvp
    prim.transpose = transpose


def defbilinear(prim: core.Primitive, lhs_rule: Callable, rhs_rule: Callable) -> None:
    """Bilinear primitives (mul, dot_general): JVP by the product rule; transpose
    with respect to whichever operand is linear."""

    def jvp(primals, tangents, **params):
        x, y = primals
        tx, ty = tangents
        out = prim.bind(x, y, **params)
        t_out = Zero.from_primal_value(out)
        if type(tx) is not Zero:
            t_out = add_tangents(t_out, prim.bind(tx, y, **params))
        if type(ty) is not Zero:
            t_out = add_tangents(t_out, prim.bind(x, ty, **params))
        return out, t_out

    def transpose(ct, x, y, **params):
        if type(ct) is Zero:
            return [None, None]
        ct_x = lhs_rule(ct, x, y, **params) if is_undefined_primal(x) else None
        ct_y = rhs_rule(ct, x, y, **params) if is_undefined_primal(y) else None
        return [ct_x, ct_y]

    prim.jvp = jvp
    prim.transpose = transpose


# add_any: the sum of two tangents or cotangents (no broadcasting, no promotion)
add_any_p = core.Primitive("add_any")
add_any_p.def_impl(lambda x, y: np.add(x, y))
add_any_p.def_abstract_eval(lambda x, y: ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type))
deflinear(add_any_p, lambda ct, x, y: [ct, ct])


def _add_any_batch(args, dims):
    # Both operands have the same (unbatched) shape: give both the batch axis at 0.
    from purejax._src.interpreters import batching
    size = next(core.get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
    x, y = (batching.moveaxis(a, d, 0, size) for a, d in zip(args, dims))
    return add_any_p.bind(x, y), 0


add_any_p.batch = _add_any_batch
