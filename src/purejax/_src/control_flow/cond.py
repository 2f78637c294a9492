"""lax.cond and lax.switch: the `cond` primitive.

`cond_p.bind(index, *operands, branches=(closed_jaxpr, ...))` applies
branches[index] to the operands (the index is clamped into range). Each branch is a
ClosedJaxpr without consts taking the same operands; lax.cond passes
branches=(false_branch, true_branch) and index = int32(pred), as JAX does.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.core import Primitive, Tracer, Var
from purejax._src.debug_info import func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero
from purejax._src.control_flow import common as cf
from purejax._src.control_flow import inline
from purejax._src.prims import elementwise as ew
from purejax._src.prims import shape as shp


# ---------------------------------------------------------------------------
# User-facing functions

def _check_scalar_index(what: str, x, kinds: str):
    aval = cf.abstractify(x)
    if aval.shape != ():
        raise TypeError(f"{what} must be a scalar, got {x!r} of shape {aval.shape}."
                        if not isinstance(x, Tracer) else
                        f"{what} must be a scalar, got a value of shape {aval.shape}.")
    kind = aval.dtype.kind
    if kind not in kinds:
        raise TypeError(f"{what} type must be either boolean or number, got {aval.dtype.name}."
                        if "b" in kinds else
                        f"Index type must be an integer, got {x!r} of dtype "
                        f"{aval.dtype.name}.")
    return aval


def _branch_label(i: int, n: int, fun: Callable, cond_style: bool) -> str:
    if cond_style:
        return f"{'false_fun' if i == 0 else 'true_fun'} ({func_name(fun)})"
    return f"branch {i} ({func_name(fun)})"


def _trace_branches(funs: Sequence[Callable], ops_tree, ops_avals, cond_style: bool,
                    what: str):
    """Stage every branch with a shared const list; check their outputs agree."""
    traced = [cf.trace_fun(f, ops_tree, ops_avals, what, interpreted=True) for f in funs]
    first = traced[0]
    n = len(funs)
    for i, t in enumerate(traced[1:], 1):
        if t.out_tree != first.out_tree:
            first_desc = (_branch_label(0, n, funs[0], cond_style), first.out_tree)
            other_desc = (_branch_label(i, n, funs[i], cond_style), t.out_tree)
            if cond_style:
                first_desc, other_desc = other_desc, first_desc
            raise TypeError(
                f"{what} branches must return the same pytree structure, but "
                f"{first_desc[0]} returns {first_desc[1]} while {other_desc[0]} returns "
                f"{other_desc[1]}.")
    for i, t in enumerate(traced[1:], 1):
        a0, ai = first.jaxpr.out_avals, t.jaxpr.out_avals
        if any(x.shape != y.shape or x.dtype != y.dtype for x, y in zip(a0, ai)):
            first_desc = (_branch_label(0, n, funs[0], cond_style), cf._avals_str(a0))
            other_desc = (_branch_label(i, n, funs[i], cond_style), cf._avals_str(ai))
            if cond_style:  # name true_fun first, as the user wrote them
                first_desc, other_desc = other_desc, first_desc
            raise TypeError(
                f"{what} branches must have identical output types, but {first_desc[0]} "
                f"returns {first_desc[1]} while {other_desc[0]} returns {other_desc[1]} "
                f"(output structure {first.out_tree}). Make the branches return arrays of "
                "the same shapes and dtypes.")
    # Branches may differ in weak types only. They are kept as traced: as in JAX, the
    # cond's result is typed by branches[0] (see _cond_abstract_eval), while a batched
    # index selects between the branches' own results (strong unless all are weak).
    branches, consts = cf.common_consts(traced)
    return branches, consts, first.out_tree


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any,
         operand: Any = None) -> Any:
    """Conditionally apply true_fun or false_fun to operands.

    Has the semantics of `true_fun(*operands) if pred else false_fun(*operands)` but
    both branches are staged; under vmap with a batched predicate both run and the
    results are selected elementwise."""
    if operand is not None:
        operands = operands + (operand,)
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    if isinstance(pred, (list, tuple)) or pred is None:
        raise TypeError(f"Pred must be a scalar, got {pred!r}.")
    # A number predicate means `pred != 0` (as JAX), floats included.
    _check_scalar_index("Pred", pred, "biuf")
    if cf.disable_jit_enabled() and core.is_concrete(pred):
        return true_fun(*operands) if bool(core.concrete_or_error(pred)) else false_fun(*operands)
    ops, ops_tree = cf.flatten_operands(tuple(operands))
    ops_avals = [o.aval for o in ops]
    branches, consts, out_tree = _trace_branches((false_fun, true_fun), ops_tree, ops_avals,
                                                 True, "lax.cond")
    pred = cf.to_operand(pred)
    if pred.aval.dtype != np.bool_:
        pred = ew.ne(pred, 0)
    index = shp.convert_element_type(pred, np.int32)
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(branches))
    return tu.tree_unflatten(out_tree, outs)


def _clamp_index(index, n: int):
    """clamp(0, index, n - 1) on int32 values (as JAX's switch stages it)."""
    if hasattr(ew, "clamp"):
        return ew.clamp(0, index, n - 1)
    lo = shp.full_like(index, 0)
    hi = shp.full_like(index, n - 1)
    index = shp.select_n(ew.lt(index, lo), index, lo)
    return shp.select_n(ew.gt(index, hi), index, hi)


def switch(index: Any, branches: Sequence[Callable], *operands: Any,
           operand: Any = None) -> Any:
    """Apply branches[clamp(0, index, len(branches) - 1)] to operands."""
    if operand is not None:
        operands = operands + (operand,)
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for b in branches:
        if not callable(b):
            raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    _check_scalar_index("Branch index", index, "iu")
    if len(branches) == 1:
        return branches[0](*operands)
    if cf.disable_jit_enabled() and core.is_concrete(index):
        i = int(np.asarray(core.concrete_or_error(index)))
        return branches[min(max(i, 0), len(branches) - 1)](*operands)
    ops, ops_tree = cf.flatten_operands(tuple(operands))
    ops_avals = [o.aval for o in ops]
    jaxprs, consts, out_tree = _trace_branches(branches, ops_tree, ops_avals, False,
                                               "lax.switch")
    index = shp.convert_element_type(cf.to_operand(index), np.int32)
    index = _clamp_index(index, len(branches))
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(jaxprs))
    return tu.tree_unflatten(out_tree, outs)


# ---------------------------------------------------------------------------
# The primitive

cond_p = Primitive("cond", multiple_results=True)
cond_p.eval_with_arrays = True


def _pick(index, n: int) -> int:
    i = int(np.asarray(index))
    return min(max(i, 0), n - 1)


def _cond_impl(index, *ops, branches):
    # Eager evaluation: interpret only the chosen branch (no compilation). The result is
    # typed by branches[0], whichever branch ran (the branches may differ in weak type).
    branch = branches[_pick(core.concrete_or_error(index), len(branches))]
    outs = core.eval_jaxpr(branch.jaxpr, branch.consts, *ops)
    return cf.wrap_outputs(outs, branches[0].out_avals)


def _cond_abstract_eval(index, *ops, branches):
    if index.shape != () or index.dtype != np.int32:
        raise TypeError(f"cond: index must be an int32 scalar, got {index.str_short()}")
    want = branches[0].in_avals
    if len(ops) != len(want) or any(
            a.shape != b.shape or a.dtype != b.dtype for a, b in zip(ops, want)):
        raise TypeError(f"cond: operand types {cf._avals_str(ops)} do not match the branches' "
                        f"input types {cf._avals_str(want)}")
    return list(branches[0].out_avals)


def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    ops_dot = tangents[1:]
    nonzero = [type(t) is not Zero and cf.is_float_aval(core.get_aval(p))
               for p, t in zip(ops, ops_dot)]
    out_nz = [False] * len(branches[0].out_avals)
    for b in branches:
        _, nz = cf.jvp_jaxpr(b, nonzero, [False] * len(out_nz))
        out_nz = [x or y for x, y in zip(out_nz, nz)]
    jvp_branches = tuple(cf.jvp_jaxpr(b, nonzero, out_nz)[0] for b in branches)
    nz_dots = [t for t, nz in zip(ops_dot, nonzero) if nz]
    outs = cond_p.bind(index, *ops, *nz_dots, branches=jvp_branches)
    n = len(out_nz)
    it = iter(outs[n:])
    t_out = [next(it) if nz else Zero(a.to_tangent_aval())
             for nz, a in zip(out_nz, branches[0].out_avals)]
    return outs[:n], t_out


def _merge_branch_residuals(res_avals: Sequence[Sequence]) -> tuple[list, list[list[int]]]:
    """One list of residual slots for all branches (JAX's layout): the k-th residual of
    a given aval in one branch shares a slot with the k-th of that aval in every other,
    since only one branch's residuals are ever live. Returns (slot avals, each
    branch's slot index per residual)."""
    slot_of: dict = {}
    slots_per_branch = []
    for avals in res_avals:
        seen: dict = {}
        slots = []
        for a in avals:
            key = (a, seen.get(a, 0))
            seen[a] = key[1] + 1
            slots.append(slot_of.setdefault(key, len(slot_of)))
        slots_per_branch.append(slots)
    return [a for a, _ in slot_of], slots_per_branch


def _cond_partial_eval(trace: pe.JaxprTrace, args, unknown, *, branches):
    """Known index: each branch splits into a known and an unknown part. The known
    cond computes the known outputs and the residual slots shared by all branches
    (zeros in the slots the branch taken does not fill), so both conds have one
    signature; the unknown cond reads only its own branch's residual slots."""
    params = dict(branches=branches)
    if unknown[0]:
        return cf.stage_eqn(trace, cond_p, args, params)
    index, ops = args[0], list(args[1:])
    ops_uk = list(unknown[1:])
    n_out = len(branches[0].out_avals)
    out_uk = [False] * n_out
    for b in branches:
        split = cf.partial_eval_jaxpr_nested(b, ops_uk, False)
        out_uk = [x or y for x, y in zip(out_uk, split.out_unknown)]
    splits = [cf.partial_eval_jaxpr_nested(b, ops_uk, out_uk) for b in branches]
    all_res, res_slots = _merge_branch_residuals([s.res_avals for s in splits])
    n_known_out = n_out - sum(out_uk)

    known_branches = []
    for i, s in enumerate(splits):
        def known_fun(*xs, s=s, i=i):
            outs = cf.eval_closed(s.known)(*xs)
            # Slots of the other branches hold strong zeros, as JAX's `empty_like_aval`
            # (this decides weak types where a batched index selects among slots).
            slots = [ad.zeros_like_aval(a.update(weak_type=False)) for a in all_res]
            for k, r in zip(res_slots[i], outs[n_known_out:]):
                slots[k] = r
            return list(outs[:n_known_out]) + slots
        known_in = [a for a, u in zip(branches[0].in_avals, ops_uk) if not u]
        known_branches.append(cf.trace_closed(known_fun, known_in))

    unknown_branches = []
    for i, s in enumerate(splits):
        j = s.unknown.jaxpr
        res_vars = [Var(a) for a in all_res]
        for k, v in zip(res_slots[i], j.invars[:s.num_res]):
            res_vars[k] = v
        unknown_branches.append(cf.with_invars(s.unknown, res_vars + list(j.invars[s.num_res:])))

    known_ops = [x for x, u in zip(ops, ops_uk) if not u]
    with core.set_current_trace(trace.parent):
        known_outs = cond_p.bind(index, *known_ops, branches=tuple(known_branches))
    residuals = known_outs[n_known_out:]
    unknown_ops = [x for x, u in zip(ops, ops_uk) if u]
    if any(out_uk):
        u_outs = cf.stage_eqn(trace, cond_p, [index, *residuals, *unknown_ops],
                              dict(branches=tuple(unknown_branches)))
    else:
        u_outs = []
    return cf.merge_by_mask(out_uk, u_outs, known_outs[:n_known_out])


def _cond_transpose(cts, index, *ops, branches):
    if ad.is_undefined_primal(index):
        raise AssertionError("cond: the branch index cannot be linear")
    linear = [ad.is_undefined_primal(x) for x in ops]
    ct_nz = [type(c) is not Zero for c in cts]
    if not any(ct_nz) or not any(linear):
        return [None] * (1 + len(ops))
    t_branches = tuple(cf.transpose_jaxpr(b, linear, ct_nz) for b in branches)
    known = [x for x in ops if not ad.is_undefined_primal(x)]
    outs = cond_p.bind(index, *known, *[c for c in cts if type(c) is not Zero],
                       branches=t_branches)
    it = iter(outs)
    return [None] + [next(it) if lin else None for lin in linear]


@batching.wants_axis_size
def _cond_batch(args, dims, *, axis_size, branches):
    index, ops = args[0], list(args[1:])
    idx_dim, op_dims = dims[0], list(dims[1:])
    ops = cf.to_batch_front(ops, op_dims)
    in_bat = [d is not None for d in op_dims]
    n_out = len(branches[0].out_avals)
    if idx_dim is None:
        out_bat = [False] * n_out
        for b in branches:
            _, ob = cf.batch_jaxpr(b, axis_size, in_bat, False)
            out_bat = [x or y for x, y in zip(out_bat, ob)]
        new = tuple(cf.batch_jaxpr(b, axis_size, in_bat, out_bat)[0] for b in branches)
        outs = cond_p.bind(index, *ops, branches=new)
        return outs, [0 if b else None for b in out_bat]
    # A batched index: every branch runs on the whole batch and select_n picks, per
    # batch member, the result of its branch (as JAX converts cond to select).
    index = batching.moveaxis(index, idx_dim, 0)
    index = _clamp_index(index, len(branches))
    results = [cf.eval_closed(cf.batch_jaxpr(b, axis_size, in_bat, True)[0])(*ops)
               for b in branches]
    outs = []
    for k in range(n_out):
        cases = [r[k] for r in results]
        shape = core.get_aval(cases[0]).shape
        which = index if len(shape) == 1 else shp.broadcast_in_dim(index, shape, (0,))
        outs.append(shp.select_n(which, *cases))
    return outs, [0] * n_out


def _make_cond_runner(params, compile_sub):
    """A generated function choosing its branch with if/elif, branches inlined (an
    index out of range is clamped, as in JAX)."""
    branches = params["branches"]
    n_ops = len(branches[0].in_avals)
    ops = [f"o{i}" for i in range(n_ops)]
    outs = [f"r{i}" for i in range(len(branches[0].out_avals))]
    assign = f"{', '.join(outs)}, = " if outs else ""
    lines = [f"def cond_branches(index, {', '.join(ops)}):", "    i = int(index)"]
    last = len(branches) - 1
    for k in range(len(branches)):
        test = ("if True:" if last == 0 else "if i <= 0:" if k == 0 else
                "else:" if k == last else f"elif i == {k}:")
        lines += [f"    {test}", f"        {assign}_branch{k}({', '.join(ops)})"]
    lines.append(f"    return [{', '.join(outs)}]")
    return inline.build("\n".join(lines) + "\n", {
        f"_branch{k}": compile_sub(b, f"cond_branch{k}") for k, b in enumerate(branches)},
        [None] + list(branches[0].in_avals))


cond_p.impl = _cond_impl
cond_p.abstract_eval = _cond_abstract_eval
cond_p.jvp = _cond_jvp
cond_p.partial_eval = _cond_partial_eval
cond_p.transpose = _cond_transpose
cond_p.batch = _cond_batch
cf.register_lowering(cond_p, _make_cond_runner)

__all__ = ["cond", "switch", "cond_p"]
