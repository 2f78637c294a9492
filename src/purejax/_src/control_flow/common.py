"""Machinery shared by the control-flow primitives (cond, while, scan, linear_solve).

Every control-flow primitive carries its sub-programs as ClosedJaxprs *without*
consts: values the user's functions close over are hoisted into explicit leading
operands (JAX's "initial style"), so that enclosing transformations see them as
ordinary inputs (a closed-over JVP tracer gets differentiated, a closed-over batched
value gets batched).

The rules of those primitives transform their sub-Jaxprs with the helpers below and
bind the primitive again:
- `jvp_jaxpr`: primals + nonzero tangents -> primal outs + nonzero tangent outs;
- `batch_jaxpr`: batched inputs at axis 0 -> outputs batched at axis 0 or unbatched;
- `partial_eval_jaxpr_nested`: split into a known Jaxpr and an unknown one,
  recursing into nested higher-order primitives through their partial_eval rules;
- `transpose_jaxpr`: known inputs + output cotangents -> linear inputs' cotangents.
Each may be asked to *instantiate* outputs (force a nonzero tangent, a batch axis, an
unknown value) so that loop carries keep one type across iterations.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Callable, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src import tree_util as tu
from purejax._src.array import Array
from purejax._src.backends.structural_key import Key, closed_jaxpr_key, params_key
from purejax._src.config import config
from purejax._src.core import ClosedJaxpr, Jaxpr, Literal, ShapedArray, Tracer, Var
from purejax._src.debug_info import DebugInfo, func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero
from purejax._src.control_flow import hoisting


# ---------------------------------------------------------------------------
# Tracing user functions ("initial style")

def abstractify(x) -> ShapedArray:
    """The aval of an operand leaf; NumPy values get JAX's canonical dtype."""
    if isinstance(x, (Array, Tracer)):
        return x.aval
    if dtypes.is_python_scalar(x):
        return ShapedArray((), dtypes.python_scalar_dtype(x), dtypes.is_weakly_typed(x))
    try:
        val = dtypes.coerce_to_array(x)
    except TypeError:
        raise TypeError(f"Value {x!r} of type {type(x).__name__} is not a valid purejax type: "
                        "expected an array, a NumPy array or a Python scalar.") from None
    return ShapedArray(val.shape, val.dtype, False)


def to_operand(x):
    """An operand for `bind`: Arrays and tracers as they are, everything else as an Array."""
    if isinstance(x, (Array, Tracer)):
        return x
    if dtypes.is_python_scalar(x):
        return Array(np.asarray(x, dtypes.python_scalar_dtype(x)), dtypes.is_weakly_typed(x))
    val = dtypes.coerce_to_array(x)
    return Array(val.copy() if val is x else val, False)


def flatten_operands(tree_of_values):
    leaves, tree = tu.tree_flatten(tree_of_values)
    return [to_operand(x) for x in leaves], tree


class Traced:
    """A user function staged out: `jaxpr` takes (consts, *inputs) with the consts
    hoisted to leading invars; `consts` are the values to pass for them."""
    __slots__ = ("jaxpr", "consts", "out_tree")

    def __init__(self, jaxpr: ClosedJaxpr, consts: list, out_tree):
        self.jaxpr = jaxpr
        self.consts = consts
        self.out_tree = out_tree


# fun -> {(in_tree, in_avals, transform, ...): Traced}: as JAX, a function object
# passed again with the same input types is not traced again (its Python runs once:
# prints in it show once; it sees the globals of its first trace).
_traces: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TRACES_PER_FUN = 8


def trace_fun(fun: Callable, in_tree, in_avals: Sequence[ShapedArray], transform: str,
              interpreted: bool = False) -> Traced:
    """Stage `fun(*tree_unflatten(in_tree, args))`; its pytree output is flattened.
    `interpreted`: the primitive's impl interprets the Jaxpr rather than compiling it
    (eager cond), so there is no compiled code to reuse (see hoisting.py).
    Cached per function object and input types, as JAX's control flow caches its
    traces, when the trace closed over no tracer."""
    context = hoisting.eager_context(core.current_trace())
    try:
        per_fun = _traces.get(fun)
        key = (in_tree, tuple((a.shape, a.dtype, a.weak_type) for a in in_avals), transform,
               interpreted, context, config.trace_context())
        hit = per_fun.get(key) if per_fun is not None else None
    except TypeError:  # not weakly referenceable, or unhashable
        per_fun = key = hit = None
    if hit is not None:
        return hit
    traced, reusable = _trace_fun(fun, in_tree, in_avals, transform, interpreted, context)
    if key is not None and reusable:
        if per_fun is None:
            per_fun = _traces[fun] = {}
        elif len(per_fun) >= _TRACES_PER_FUN:
            per_fun.clear()
        per_fun[key] = traced
    return traced


def _trace_fun(fun, in_tree, in_avals, transform, interpreted, context) -> tuple[Traced, bool]:
    """(the Traced, whether a later call may reuse it: it closed over no tracer and no
    NumPy array the user may mutate)."""
    store = []
    eager = context is not None
    nested_operands: list = []
    traces: list = []

    def flat(*args):
        traces.append(core.current_trace())
        if eager:
            nested_operands.append(hoisting.mark_eager_body(core.current_trace()))
        out = fun(*tu.tree_unflatten(in_tree, list(args)))
        leaves, tree = tu.tree_flatten(out)
        store.append(tree)
        for i, x in enumerate(leaves):
            if not (isinstance(x, (Array, Tracer, np.ndarray, np.generic))
                    or dtypes.is_python_scalar(x)):
                raise TypeError(f"{transform}: function {func_name(fun)} returned a value of "
                                f"type {type(x).__name__} at output leaf {i}; outputs must be "
                                "arrays or pytrees of arrays.")
        return [to_operand(x) for x in leaves]

    info = DebugInfo(transform, fun, None)
    jaxpr, consts, _ = pe.trace_to_jaxpr(flat, list(in_avals), debug_info=info)
    if eager and (context == "body" or not interpreted):
        # scalars that change from call to call become operands (hoisting.py)
        jaxpr, consts = hoisting.hoist_varying_literals(fun, transform, jaxpr, consts,
                                                        nested_operands[-1])
    hoisted = pe.convert_constvars_jaxpr(jaxpr)
    reusable = not traces[-1].mutable_consts and not any(isinstance(c, Tracer) for c in consts)
    return Traced(ClosedJaxpr(hoisted, []), list(consts), store[-1]), reusable


def common_consts(traced: Sequence[Traced]) -> tuple[list[ClosedJaxpr], list]:
    """Give several staged functions one shared list of consts: each Jaxpr takes all of
    them (ignoring the others') followed by its own inputs."""
    consts, index = [], {}
    for t in traced:
        for c in t.consts:
            if id(c) not in index:
                index[id(c)] = len(consts)
                consts.append(c)
    out = []
    for t in traced:
        jaxpr = t.jaxpr.jaxpr
        n = len(t.consts)
        own = {index[id(c)]: v for c, v in zip(t.consts, jaxpr.invars[:n])}
        const_vars = [own[i] if i in own else Var(core.get_aval(c)) for i, c in enumerate(consts)]
        out.append(ClosedJaxpr(Jaxpr([], const_vars + list(jaxpr.invars[n:]), jaxpr.outvars,
                                     jaxpr.eqns), []))
    return out, consts


def trace_closed(fun: Callable, in_avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """Stage a flat function of rule code into a ClosedJaxpr (its consts are concrete)."""
    jaxpr, consts, _ = pe.trace_to_jaxpr(fun, list(in_avals))
    if any(isinstance(c, Tracer) for c in consts):
        # A rule closed over a value of an enclosing transformation: pass it as an
        # input instead (the rules here never should).
        raise AssertionError("control flow rule staged a Jaxpr closing over a tracer")
    return ClosedJaxpr(jaxpr, consts)


def eval_closed(closed: ClosedJaxpr) -> Callable:
    return lambda *xs: core.eval_jaxpr(closed.jaxpr, closed.consts, *xs)


def with_invars(closed: ClosedJaxpr, invars: Sequence[Var]) -> ClosedJaxpr:
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, list(invars), j.outvars, j.eqns), closed.consts)


def with_outvars(closed: ClosedJaxpr, outvars: Sequence) -> ClosedJaxpr:
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars, list(outvars), j.eqns), closed.consts)


def add_unused_invars(closed: ClosedJaxpr, avals: Sequence[ShapedArray], at: int) -> ClosedJaxpr:
    """The same program taking extra ignored inputs inserted at position `at`."""
    inv = list(closed.jaxpr.invars)
    return with_invars(closed, inv[:at] + [Var(a) for a in avals] + inv[at:])


def used_invars(closed: ClosedJaxpr) -> list[bool]:
    """Which inputs the program reads (after dead-code elimination)."""
    j = pe.dce_jaxpr(closed.jaxpr)
    used = set()
    for eqn in j.eqns:
        used.update(v for v in eqn.invars if type(v) is not Literal)
    used.update(v for v in j.outvars if type(v) is not Literal)
    return [v in used for v in closed.jaxpr.invars]


def split_list(xs: Sequence, sizes: Sequence[int]) -> list[list]:
    out, i = [], 0
    for n in sizes:
        out.append(list(xs[i:i + n]))
        i += n
    out.append(list(xs[i:]))
    return out


def merge_by_mask(mask: Sequence[bool], when_true: Sequence, when_false: Sequence) -> list:
    t, f = iter(when_true), iter(when_false)
    out = [next(t) if m else next(f) for m in mask]
    assert next(t, None) is None and next(f, None) is None
    return out


def is_float_aval(aval: ShapedArray) -> bool:
    return dtypes.is_inexact(aval.dtype)


# ---------------------------------------------------------------------------
# Type checks with JAX-style messages

def _avals_str(avals) -> str:
    return "(" + ", ".join(a.str_short() + ("{weak}" if a.weak_type else "") for a in avals) + ")"


def promote_weak_inputs(in_vals: list, in_avals: Sequence[ShapedArray],
                        out_avals: Sequence[ShapedArray]) -> tuple[list, bool]:
    """JAX's `_promote_weak_typed_input`: a weakly typed carry (e.g. a Python scalar)
    whose dtype the body changes is converted, strongly typed, to the promoted dtype.
    Returns the promoted values and whether any changed. A carry whose dtype the body
    keeps is left alone even if its weak type changes (see `trace_loop_body`)."""
    from purejax._src.prims.shape import convert_element_type
    if len(in_vals) != len(out_avals):
        return in_vals, False
    changed = False
    out = list(in_vals)
    for i, (a, b) in enumerate(zip(in_avals, out_avals)):
        # A shape mismatch is the caller's error (check_carry_types reports it).
        if a.weak_type and a.shape == b.shape and a.dtype != b.dtype:
            out[i] = convert_element_type(in_vals[i], dtypes.result_type(a, b), False)
            changed = True
    return out, changed


def check_carry_types(what: str, fun: Callable, in_tree, out_tree, in_avals, out_avals,
                      carry_name: str = "carry") -> None:
    """Raise JAX's TypeError when a loop body's carry output differs from its input."""
    if in_tree != out_tree:
        raise TypeError(
            f"{what} function {func_name(fun)} carry input and carry output must have the "
            f"same pytree structure, but they differ:\n  input {carry_name}: {in_tree}\n"
            f"  output {carry_name}: {out_tree}")
    paths = [tu.keystr(p) for p, _ in tu.tree_flatten_with_path(
        tu.tree_unflatten(in_tree, [0] * in_tree.num_leaves))[0]]
    diffs = []
    for p, a, b in zip(paths, in_avals, out_avals):
        if a.shape != b.shape or a.dtype != b.dtype:
            why = "the shapes do not match" if a.shape != b.shape else "the dtypes do not match"
            diffs.append(f"  * the input carry component {carry_name}{p} has type "
                         f"{a.str_short()} but the corresponding output carry component has "
                         f"type {b.str_short()}, so {why}")
    if diffs:
        raise TypeError(f"{what} function {func_name(fun)} carry input and carry output must "
                        "have equal types, but they differ:\n\n" + "\n".join(diffs) +
                        "\n\nMake the body return values of the same shapes and dtypes as "
                        "its input carry (e.g. with .astype or jnp.asarray(..., dtype)).")


def trace_loop_body(what: str, fun: Callable, in_tree_of: Callable, carry_vals: list,
                    carry_tree, other_avals: Sequence[ShapedArray], carry_part: Callable,
                    carry_first: bool = True) -> tuple[Traced, list]:
    """Stage a loop body whose carry must keep its type across iterations.

    `in_tree_of(carry_tree)` is the treedef of the body's positional arguments;
    `carry_part(out_tree)` returns (treedef of the carry in the output, number of carry
    leaves leading the flat output). Weakly typed initial carries (Python scalars) take
    the dtype the body produces, as in JAX. Returns (traced body, carry values).

    As in JAX (whose loops compare carry types with `typematch`, which ignores weak
    types), a carry may enter the body weakly typed and leave it strong, or the
    reverse: the Jaxpr keeps both types, so values the body reads from the carry (a
    scan's ys) keep the input's weak type while the loop's final carry has the
    output's. The loop primitives check carries by shape and dtype only."""
    for attempt in range(2):
        carry_avals = [abstractify(x) for x in carry_vals]
        in_avals = carry_avals + list(other_avals) if carry_first else \
            list(other_avals) + carry_avals
        traced = trace_fun(fun, in_tree_of(carry_tree), in_avals, what)
        out_carry_tree, n = carry_part(traced.out_tree)
        out_avals = traced.jaxpr.out_avals[:n]
        if attempt == 0 and out_carry_tree == carry_tree:
            carry_vals, changed = promote_weak_inputs(carry_vals, carry_avals, out_avals)
            if changed:
                continue
        break
    check_carry_types(what, fun, carry_tree, out_carry_tree, carry_avals, out_avals)
    return traced, carry_vals


# ---------------------------------------------------------------------------
# Staging an equation from inside a partial_eval rule

def stage_eqn(trace: pe.JaxprTrace, prim: core.Primitive, args: Sequence, params: dict):
    invars = [trace.to_atom(x) for x in args]
    out_avals = prim.abstract_eval(*[v.aval for v in invars], **params)
    return trace.add_eqn(prim, invars, out_avals, params)


# ---------------------------------------------------------------------------
# JVP of a Jaxpr

def _cache(closed: ClosedJaxpr, name: str) -> dict:
    c = closed.side.get(name)
    if c is None:
        c = closed.side[name] = {}
    return c


def jvp_jaxpr(closed: ClosedJaxpr, nonzeros: Sequence[bool],
              instantiate: Sequence[bool]) -> tuple[ClosedJaxpr, list[bool]]:
    """(jvp_closed, out_nonzero): jvp_closed maps primals + the nonzero tangents to the
    primal outputs + the tangents of outputs in out_nonzero (those with a nonzero
    tangent, or instantiated as zeros). Integer-valued outputs never get tangents."""
    in_avals = closed.in_avals
    nonzeros = tuple(bool(nz) and is_float_aval(a) for nz, a in zip(nonzeros, in_avals))
    instantiate = tuple(bool(i) and is_float_aval(a)
                        for i, a in zip(instantiate, closed.out_avals))
    key = (nonzeros, instantiate)
    cache = _cache(closed, "cf_jvp")
    hit = cache.get(key)
    if hit is not None:
        return hit
    t_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzeros) if nz]
    n = len(in_avals)
    out_nonzero: list[bool] = []

    def f(*args):
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                    for nz, a in zip(nonzeros, in_avals)]
        p_out, t_out = ad.jvp_flat(eval_closed(closed), list(args[:n]), tangents)
        keep = []
        for t, inst, a in zip(t_out, instantiate, closed.out_avals):
            nz = type(t) is not Zero and is_float_aval(a)
            if nz or inst:
                keep.append(ad.instantiate_zeros(t) if type(t) is Zero else t)
            out_nonzero.append(nz or inst)
        return list(p_out) + keep

    res = (trace_closed(f, list(in_avals) + t_avals), list(out_nonzero))
    cache[key] = res
    return res


def jvp_fixed_point(closed: ClosedJaxpr, n_const: int, const_nz: Sequence[bool],
                    carry_nz: Sequence[bool], rest_nz: Sequence[bool]) -> list[bool]:
    """Which loop carries have nonzero tangents: a carry does when its initial value
    does or when the body gives it one from the others."""
    carry_nz = list(carry_nz)
    nc = len(carry_nz)
    carry_avals = closed.out_avals[:nc]
    carry_nz = [nz and is_float_aval(a) for nz, a in zip(carry_nz, carry_avals)]
    while True:
        _, out_nz = jvp_jaxpr(closed, list(const_nz) + carry_nz + list(rest_nz),
                              carry_nz + [False] * (len(closed.out_avals) - nc))
        new = [a or b for a, b in zip(carry_nz, out_nz[:nc])]
        if new == carry_nz:
            return carry_nz
        carry_nz = new


# ---------------------------------------------------------------------------
# Batching of a Jaxpr (batched values carry their batch axis at 0)

def batch_jaxpr(closed: ClosedJaxpr, axis_size: int, in_batched: Sequence[bool],
                instantiate: Sequence[bool] | bool) -> tuple[ClosedJaxpr, list[bool]]:
    in_batched = tuple(bool(b) for b in in_batched)
    if isinstance(instantiate, bool):
        instantiate = (instantiate,) * len(closed.out_avals)
    instantiate = tuple(bool(i) for i in instantiate)
    key = (axis_size, in_batched, instantiate)
    cache = _cache(closed, "cf_batch")
    hit = cache.get(key)
    if hit is not None:
        return hit
    in_avals = [a.update(shape=(axis_size,) + a.shape) if b else a
                for a, b in zip(closed.in_avals, in_batched)]
    out_batched: list[bool] = []

    def f(*args):
        trace = batching.BatchTrace(core.current_trace(), axis_size)
        tracers = [batching.BatchTracer(trace, x, 0) if b else x
                   for x, b in zip(args, in_batched)]
        try:
            with core.set_current_trace(trace):
                outs = core.eval_jaxpr(closed.jaxpr, closed.consts, *tracers)
            infos = [trace.to_batch_info(o) for o in outs]
        finally:
            trace.invalidate()
        res = []
        for (v, d), inst in zip(infos, instantiate):
            if d is None and not inst:
                res.append(v)
                out_batched.append(False)
            else:
                res.append(batching.moveaxis(v, d, 0, axis_size))
                out_batched.append(True)
        return res

    res = (trace_closed(f, in_avals), list(out_batched))
    cache[key] = res
    return res


def batch_fixed_point(closed: ClosedJaxpr, axis_size: int, const_bat: Sequence[bool],
                      carry_bat: Sequence[bool], rest_bat: Sequence[bool]) -> list[bool]:
    carry_bat = list(carry_bat)
    nc = len(carry_bat)
    while True:
        _, out_bat = batch_jaxpr(closed, axis_size, list(const_bat) + carry_bat + list(rest_bat),
                                 carry_bat + [False] * (len(closed.out_avals) - nc))
        new = [a or b for a, b in zip(carry_bat, out_bat[:nc])]
        if new == carry_bat:
            return carry_bat
        carry_bat = new


def to_batch_front(args: Sequence, dims: Sequence[int | None]) -> list:
    return [x if d is None else batching.moveaxis(x, d, 0) for x, d in zip(args, dims)]


def broadcast_front(x, axis_size: int):
    return batching.broadcast_batched(x, axis_size, 0)


# ---------------------------------------------------------------------------
# Partial evaluation of a Jaxpr, recursing into nested control flow

class PartialEvalSplit:
    """known: known inputs -> known outputs + residuals.
    unknown: residuals + unknown inputs -> unknown outputs."""
    __slots__ = ("known", "unknown", "out_unknown", "num_res")

    def __init__(self, known, unknown, out_unknown, num_res):
        self.known = known
        self.unknown = unknown
        self.out_unknown = out_unknown
        self.num_res = num_res

    @property
    def res_avals(self):
        return self.unknown.in_avals[:self.num_res]


def partial_eval_jaxpr_nested(closed: ClosedJaxpr, unknowns: Sequence[bool],
                              instantiate: Sequence[bool] | bool) -> PartialEvalSplit:
    """Split `closed` by evaluating it under a partial-evaluation trace whose parent
    stages the known part. Nested primitives with a partial_eval rule (cond, scan,
    pjit...) split themselves, so a JVP'd loop inside a branch keeps its primal part
    known. Known outputs listed in `instantiate` are made unknown (as residuals)."""
    unknowns = tuple(bool(u) for u in unknowns)
    if isinstance(instantiate, bool):
        instantiate = (instantiate,) * len(closed.out_avals)
    instantiate = tuple(bool(i) for i in instantiate)
    key = (unknowns, instantiate)
    cache = _cache(closed, "cf_pe")
    hit = cache.get(key)
    if hit is not None:
        return hit
    in_avals = closed.in_avals
    known_trace = pe.JaxprTrace(core.current_trace(), stage_all=True)
    pe_trace = pe.JaxprTrace(known_trace, stage_all=False)
    try:
        known_in = [known_trace.new_arg(a) for a, u in zip(in_avals, unknowns) if not u]
        unknown_in = [pe_trace.new_arg(a) for a, u in zip(in_avals, unknowns) if u]
        args = merge_by_mask(unknowns, unknown_in, known_in)
        with core.set_current_trace(pe_trace):
            outs = core.eval_jaxpr(closed.jaxpr, closed.consts, *args)
        out_unknown = [pe_trace.is_own(o) or inst for o, inst in zip(outs, instantiate)]
        u_jaxpr, residuals = pe_trace.to_jaxpr([o for o, u in zip(outs, out_unknown) if u])
        known_outs = [o for o, u in zip(outs, out_unknown) if not u]
        k_jaxpr, k_consts = known_trace.to_jaxpr(known_outs + list(residuals))
    finally:
        pe_trace.invalidate()
        known_trace.invalidate()
    if any(isinstance(c, Tracer) for c in k_consts):
        raise AssertionError("partial evaluation of a control-flow body closed over a tracer")
    unknown = ClosedJaxpr(pe.convert_constvars_jaxpr(u_jaxpr), [])
    res = PartialEvalSplit(ClosedJaxpr(k_jaxpr, k_consts), unknown, out_unknown,
                           len(residuals))
    cache[key] = res
    return res


def pe_fixed_point(closed: ClosedJaxpr, const_uk: Sequence[bool], carry_uk: Sequence[bool],
                   rest_uk: Sequence[bool]) -> list[bool]:
    carry_uk = list(carry_uk)
    nc = len(carry_uk)
    while True:
        split = partial_eval_jaxpr_nested(
            closed, list(const_uk) + carry_uk + list(rest_uk),
            carry_uk + [False] * (len(closed.out_avals) - nc))
        new = [a or b for a, b in zip(carry_uk, split.out_unknown[:nc])]
        if new == carry_uk:
            return carry_uk
        carry_uk = new


def depends_only_on(closed: ClosedJaxpr, allowed_invars: Sequence[bool]) -> list[bool]:
    """Per output: whether it depends only on the allowed inputs (and constants)."""
    j = closed.jaxpr
    tainted = {v for v, ok in zip(j.invars, allowed_invars) if not ok}
    for eqn in j.eqns:
        if any(type(v) is not Literal and v in tainted for v in eqn.invars):
            tainted.update(eqn.outvars)
    return [type(v) is Literal or v not in tainted for v in j.outvars]


# ---------------------------------------------------------------------------
# Transposition of a Jaxpr

def transpose_jaxpr(closed: ClosedJaxpr, linear: Sequence[bool],
                    ct_nonzero: Sequence[bool]) -> ClosedJaxpr:
    """Maps the known (non-linear) inputs + the nonzero output cotangents to the
    cotangents of the linear inputs (zeros instantiated): the same construction jit's
    transpose rule uses, cached on the ClosedJaxpr."""
    from purejax._src.jit import _transpose_jaxpr
    return _transpose_jaxpr(closed, tuple(bool(x) for x in linear),
                            tuple(bool(x) for x in ct_nonzero))


def instantiate_ct(ct, aval: ShapedArray):
    """A concrete cotangent for an input of type `aval` (zeros for Zero)."""
    if type(ct) is Zero or ct is None:
        return ad.zeros_like_aval(aval.to_tangent_aval())
    return ct


# ---------------------------------------------------------------------------
# Evaluation helpers for the primitives' impls (eager mode)

def compile_sub(closed: ClosedJaxpr, name: str) -> Callable:
    """The jit backend's callable on raw NumPy values, cached on the ClosedJaxpr and,
    across eager calls, by the Jaxpr's structure (see `_structural_cached`)."""
    from purejax._src.config import _flags
    from purejax._src.jit import compiled_for
    fn = closed.side.get(("compiled", _flags.get("purejax_jit_backend"), False))
    if fn is not None:
        return fn
    return _structural_cached(_compiled_subs, ("compiled", name), closed_jaxpr_key(closed),
                              lambda: compiled_for(closed, name, inline=False))


def unguarded(fn: Callable) -> Callable:
    """The generated function without its per-call np.errstate guard: a loop runs
    inside one guard (the enclosing generated code's, or run_lowered's) instead of
    entering a new one every iteration."""
    return getattr(fn, "raw", fn)


def raw_value(x):
    if type(x) is Array:
        return x._value
    if isinstance(x, np.ndarray):
        return x.copy()  # the result may alias it, and Arrays freeze their buffer
    return np.asarray(x)


def wrap_outputs(outs: Sequence, avals: Sequence[ShapedArray]) -> list:
    res = []
    for o, a in core.zip_checked(outs, avals):
        if type(o) is Array:
            res.append(o if o.weak_type == a.weak_type else Array(o._value, a.weak_type))
            continue
        v = np.asarray(o)
        if v.dtype != a.dtype:
            v = v.astype(a.dtype)
        res.append(Array(v, a.weak_type))
    return res


def run_lowered(make_runner: Callable, params: dict, args: Sequence,
                out_avals: Sequence[ShapedArray]) -> list:
    """Evaluate a control-flow primitive eagerly with the same Python loop the code
    generator emits, running its sub-Jaxprs through the jit backend."""
    runner = _cached_runner(make_runner, params)
    with np.errstate(all="ignore"):  # as generated code: inf/nan computed silently
        outs = runner(*[raw_value(a) for a in args])
    return wrap_outputs(outs, out_avals)


def _cached_runner(make_runner: Callable, params: dict) -> Callable:
    """make_runner(params, compile_sub), cached on the first sub-Jaxpr in params and
    by the params' structure (the runner holds generated code: building it for every
    eager call would cost more than running it)."""
    from purejax._src.config import _flags
    closed = next((v for v in params.values() if type(v) is ClosedJaxpr), None)
    if closed is None:
        closed = next((v[0] for v in params.values() if type(v) is tuple and v
                       and type(v[0]) is ClosedJaxpr), None)
    try:
        key = ("runner", make_runner, _flags.get("purejax_jit_backend"),
               tuple(sorted(params.items())))
        hash(key)
    except TypeError:
        key = None
    if closed is not None and key is not None:
        runner = closed.side.get(key)
        if runner is not None:
            return runner
    runner = _structural_cached(_runners, ("runner", make_runner), params_key(params),
                                lambda: make_runner(params, compile_sub))
    if closed is not None and key is not None:
        closed.side[key] = runner
    return runner


# Eager control flow traces its user functions again on every call when they are new
# function objects (closures made by the calling function, the usual case; the same
# object is traced once, see trace_fun), so its sub-Jaxprs are new objects each time
# (the caches on them start empty) though usually equal in structure to the last
# call's. These caches map structural keys (backends/structural_key.py: equal keys,
# equal generated code) to what was built for an earlier call, so a repeated call
# costs tracing, a key and the run.
_runners: OrderedDict = OrderedDict()
_compiled_subs: OrderedDict = OrderedDict()
STRUCTURAL_CACHE_SIZE = 256


def _structural_cached(cache: OrderedDict, what: tuple, skey: Key | None,
                       build: Callable[[], Callable]) -> Callable:
    """build(), or what it returned for an earlier call with the same `what`, structural
    key `skey`, backend and x64 flag (the avals already tell x64 programs apart; the flag
    is there in case an impl run by constant folding reads it)."""
    from purejax._src.config import _flags
    if skey is None or _flags.get("purejax_dump_generated_code"):
        return build()  # unkeyable, or the user asked to see the code of every compile
    key = what + (_flags.get("purejax_jit_backend"), _flags.get("jax_enable_x64"), skey)
    hit = cache.get(key)
    if hit is not None:
        try:
            cache.move_to_end(key)
        except KeyError:  # evicted meanwhile by another thread
            pass
        return hit
    built = cache[key] = build()
    while len(cache) > STRUCTURAL_CACHE_SIZE:
        try:
            cache.popitem(last=False)  # the least recently used
        except KeyError:
            break
    return built


def register_lowering(prim: core.Primitive, make_runner: Callable) -> None:
    from purejax._src.backends import numpy_codegen
    numpy_codegen.register_lowering(prim, lambda eqn, compile_sub: make_runner(eqn.params,
                                                                              compile_sub))


def disable_jit_enabled() -> bool:
    from purejax._src.config import _flags
    return bool(_flags.get("jax_disable_jit"))

