"""lax.while_loop (the `while` primitive) and lax.fori_loop.

`while_p.bind(*cond_consts, *body_consts, *init, cond_jaxpr, body_jaxpr, cond_nconsts,
body_nconsts)` runs `carry = body(*body_consts, *carry)` while
`cond(*cond_consts, *carry)`. Forward-mode differentiation and vmap work; reverse mode
cannot, since the number of iterations (and so the memory for residuals) is unbounded:
transposing it raises JAX's error. fori_loop with static bounds is a scan instead, so
it supports reverse mode.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src import tree_util as tu
from purejax._src.core import Primitive, Tracer
from purejax._src.debug_info import func_name
from purejax._src.errors import ConcretizationTypeError
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero
from purejax._src.control_flow import common as cf
from purejax._src.control_flow import inline
from purejax._src.prims import elementwise as ew
from purejax._src.prims import reductions as red
from purejax._src.prims import shape as shp

WHILE_REVERSE_MODE_ERROR = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static "
    "start/stop.")


# ---------------------------------------------------------------------------
# while_loop

def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """Call body_fun repeatedly while cond_fun is True:

        val = init_val
        while cond_fun(val):
            val = body_fun(val)
        return val
    """
    if not callable(cond_fun) or not callable(body_fun):
        raise TypeError("lax.while_loop: cond_fun and body_fun arguments should be callable.")
    if cf.disable_jit_enabled():
        try:
            val = tu.tree_map(cf.to_operand, init_val)
            while cond_fun(val):
                val = body_fun(val)
            return val
        except ConcretizationTypeError:
            pass  # e.g. under vmap: fall back to the primitive
    init_vals, carry_tree = cf.flatten_operands(init_val)
    body, init_vals = cf.trace_loop_body(
        "while_loop body", body_fun, lambda t: tu.treedef_tuple([t]), init_vals, carry_tree,
        [], lambda out_tree: (out_tree, out_tree.num_leaves))
    carry_avals = [cf.abstractify(x) for x in init_vals]
    cond = cf.trace_fun(cond_fun, tu.treedef_tuple([carry_tree]), carry_avals, "while_loop cond")
    if cond.out_tree.num_leaves != 1 or not tu.treedef_is_leaf(cond.out_tree):
        raise TypeError(f"cond_fun {func_name(cond_fun)} must return a boolean scalar, but got "
                        f"pytree {cond.out_tree}.")
    pred_aval = cond.jaxpr.out_avals[0]
    if pred_aval.shape != () or pred_aval.dtype != np.bool_:
        raise TypeError(f"cond_fun {func_name(cond_fun)} must return a boolean scalar, but got "
                        f"output type(s) [{pred_aval.str_short()}].")
    outs = while_p.bind(*cond.consts, *body.consts, *init_vals,
                        cond_jaxpr=cond.jaxpr, body_jaxpr=body.jaxpr,
                        cond_nconsts=len(cond.consts), body_nconsts=len(body.consts))
    return tu.tree_unflatten(carry_tree, outs)


# ---------------------------------------------------------------------------
# The primitive

while_p = Primitive("while", multiple_results=True)
while_p.eval_with_arrays = True


def _split_while_args(args, cond_nconsts, body_nconsts):
    return (list(args[:cond_nconsts]), list(args[cond_nconsts:cond_nconsts + body_nconsts]),
            list(args[cond_nconsts + body_nconsts:]))


def _make_while_runner(params, compile_sub):
    """A generated function running the loop natively, cond and body inlined."""
    nc, nb = params["cond_nconsts"], params["body_nconsts"]
    n = len(params["body_jaxpr"].out_avals)
    cc, bc, xs = ([f"{p}{i}" for i in range(k)] for p, k in (("c", nc), ("b", nb), ("x", n)))
    assign = f"{', '.join(xs)}, = " if xs else ""
    source = (f"def while_loop({', '.join(cc + bc + xs)}):\n"
              f"    while True:\n"
              f"        pred, = _cond({', '.join(cc + xs)})\n"
              f"        if not pred:\n"
              f"            break\n"
              f"        {assign}_body({', '.join(bc + xs)})\n"
              f"    return [{', '.join(xs)}]\n")
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    return inline.build(source, {"_cond": compile_sub(cond_jaxpr, "while_cond"),
                                 "_body": compile_sub(body_jaxpr, "while_body")},
                        cond_jaxpr.in_avals[:nc] + body_jaxpr.in_avals[:nb]
                        + body_jaxpr.out_avals)


def _eager_while_runner(params, compile_sub):
    """Eager evaluation: a closure around the compiled cond and body (generating an
    inlined loop would cost more than one eager call saves)."""
    cond_fn = cf.unguarded(compile_sub(params["cond_jaxpr"], "while_cond"))
    body_fn = cf.unguarded(compile_sub(params["body_jaxpr"], "while_body"))
    nc, nb = params["cond_nconsts"], params["body_nconsts"]

    def run_while(*args):
        cc, bc, carry = args[:nc], args[nc:nc + nb], list(args[nc + nb:])
        while cond_fn(*cc, *carry)[0]:
            carry = body_fn(*bc, *carry)
        return carry
    return run_while


def _while_impl(*args, **params):
    return cf.run_lowered(_eager_while_runner, params, args, params["body_jaxpr"].out_avals)


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    carry = avals[cond_nconsts + body_nconsts:]
    want = body_jaxpr.out_avals
    if len(carry) != len(want) or any(a.shape != b.shape or a.dtype != b.dtype
                                      for a, b in zip(carry, want)):
        raise TypeError(f"while: carry types {cf._avals_str(carry)} do not match the body's "
                        f"output types {cf._avals_str(want)}")
    return list(want)


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc, bc, init = _split_while_args(primals, cond_nconsts, body_nconsts)
    _, bc_dot, init_dot = _split_while_args(tangents, cond_nconsts, body_nconsts)
    bc_nz = [type(t) is not Zero and cf.is_float_aval(core.get_aval(p))
             for p, t in zip(bc, bc_dot)]
    init_nz = [type(t) is not Zero for t in init_dot]
    carry_nz = cf.jvp_fixed_point(body_jaxpr, body_nconsts, bc_nz, init_nz, [])
    body_jvp, _ = cf.jvp_jaxpr(body_jaxpr, bc_nz + carry_nz, carry_nz)
    # body_jvp takes (bc, carry, bc_dot, carry_dot); the while wants consts first.
    nb, n = body_nconsts, len(init)
    n_bc_dot = sum(bc_nz)
    inv = body_jvp.jaxpr.invars
    body_jvp = cf.with_invars(body_jvp, inv[:nb] + inv[nb + n:nb + n + n_bc_dot]
                              + inv[nb:nb + n] + inv[nb + n + n_bc_dot:])
    dot_avals = [a.to_tangent_aval() for a, nz in zip(body_jaxpr.out_avals, carry_nz) if nz]
    cond_aug = cf.add_unused_invars(cond_jaxpr, dot_avals, len(cond_jaxpr.in_avals))
    bc_dots = [t for t, nz in zip(bc_dot, bc_nz) if nz]
    init_dots = [ad.instantiate_zeros(t) for t, nz in zip(init_dot, carry_nz) if nz]
    outs = while_p.bind(*cc, *bc, *bc_dots, *init, *init_dots, cond_jaxpr=cond_aug,
                        body_jaxpr=body_jvp, cond_nconsts=cond_nconsts,
                        body_nconsts=nb + n_bc_dot)
    it = iter(outs[n:])
    t_out = [next(it) if nz else Zero(a.to_tangent_aval())
             for nz, a in zip(carry_nz, body_jaxpr.out_avals)]
    return outs[:n], t_out


def _while_partial_eval(trace: pe.JaxprTrace, args, unknown, *, cond_jaxpr, body_jaxpr,
                        cond_nconsts, body_nconsts):
    """Carries that do not depend on unknown values are computed now by a known
    while loop; the unknown ones by the whole loop staged again (its known inputs as
    residuals). That staged loop cannot be transposed: reverse mode raises there."""
    params = dict(cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr, cond_nconsts=cond_nconsts,
                  body_nconsts=body_nconsts)
    cc_uk, bc_uk, init_uk = _split_while_args(unknown, cond_nconsts, body_nconsts)
    if any(cc_uk):
        return cf.stage_eqn(trace, while_p, args, params)
    carry_uk = cf.pe_fixed_point(body_jaxpr, bc_uk, init_uk, [])
    cond_reads = cf.used_invars(cond_jaxpr)[cond_nconsts:]
    if any(r and u for r, u in zip(cond_reads, carry_uk)):
        return cf.stage_eqn(trace, while_p, args, params)
    cc, bc, init = _split_while_args(args, cond_nconsts, body_nconsts)
    split = cf.partial_eval_jaxpr_nested(body_jaxpr, bc_uk + carry_uk, carry_uk)
    n_known = sum(not u for u in carry_uk)
    known_body = cf.with_outvars(split.known, split.known.jaxpr.outvars[:n_known])
    known_body = core.ClosedJaxpr(pe.dce_jaxpr(known_body.jaxpr), known_body.consts)
    c_inv = cond_jaxpr.jaxpr.invars
    known_cond = cf.with_invars(cond_jaxpr, c_inv[:cond_nconsts] + [
        v for v, u in zip(c_inv[cond_nconsts:], carry_uk) if not u])
    known_bc = [x for x, u in zip(bc, bc_uk) if not u]
    known_init = [x for x, u in zip(init, carry_uk) if not u]
    with core.set_current_trace(trace.parent):
        known_outs = while_p.bind(*cc, *known_bc, *known_init, cond_jaxpr=known_cond,
                                  body_jaxpr=known_body, cond_nconsts=cond_nconsts,
                                  body_nconsts=len(known_bc))
    if not any(carry_uk):
        return known_outs
    staged = cf.stage_eqn(trace, while_p, args, params)
    return cf.merge_by_mask(carry_uk, [o for o, u in zip(staged, carry_uk) if u], known_outs)


def _while_transpose(cts, *args, **params):
    raise ValueError(WHILE_REVERSE_MODE_ERROR)


@batching.wants_axis_size
def _while_batch(args, dims, *, axis_size, cond_jaxpr, body_jaxpr, cond_nconsts,
                 body_nconsts):
    args = cf.to_batch_front(args, dims)
    bat = [d is not None for d in dims]
    cc_bat, bc_bat, init_bat = _split_while_args(bat, cond_nconsts, body_nconsts)
    cc, bc, init = _split_while_args(args, cond_nconsts, body_nconsts)
    n = len(init)
    carry_bat = list(init_bat)
    while True:
        carry_bat = cf.batch_fixed_point(body_jaxpr, axis_size, bc_bat, carry_bat, [])
        _, (pred_bat,) = cf.batch_jaxpr(cond_jaxpr, axis_size, cc_bat + carry_bat, False)
        if not pred_bat or all(carry_bat):
            break
        # A batched predicate freezes finished lanes with select_n: every carry
        # becomes batched.
        carry_bat = [True] * n
    init = [cf.broadcast_front(x, axis_size) if cb and not ib else x
            for x, cb, ib in zip(init, carry_bat, init_bat)]
    body_b, _ = cf.batch_jaxpr(body_jaxpr, axis_size, bc_bat + carry_bat, carry_bat)
    out_dims = [0 if b else None for b in carry_bat]
    if not pred_bat:
        cond_b, _ = cf.batch_jaxpr(cond_jaxpr, axis_size, cc_bat + carry_bat, False)
        outs = while_p.bind(*cc, *bc, *init, cond_jaxpr=cond_b, body_jaxpr=body_b,
                            cond_nconsts=cond_nconsts, body_nconsts=body_nconsts)
        return outs, out_dims
    cond_b, _ = cf.batch_jaxpr(cond_jaxpr, axis_size, cc_bat + carry_bat, True)
    nc, nb = cond_nconsts, body_nconsts
    carry_avals = [a.update(shape=(axis_size,) + a.shape) for a in body_jaxpr.out_avals]
    cc_avals = [core.get_aval(x) for x in cc]
    bc_avals = [core.get_aval(x) for x in bc]

    def any_lane(*xs):
        (pred,) = cf.eval_closed(cond_b)(*xs)
        return [red.reduce_or(pred, (0,))]

    def masked_body(*xs):
        ccs, bcs, carry = xs[:nc], xs[nc:nc + nb], xs[nc + nb:]
        (pred,) = cf.eval_closed(cond_b)(*ccs, *carry)
        new = cf.eval_closed(body_b)(*bcs, *carry)
        outs = []
        for old, upd in zip(carry, new):
            shape = core.get_aval(old).shape
            which = pred if len(shape) == 1 else shp.broadcast_in_dim(pred, shape, (0,))
            outs.append(shp.select_n(which, old, upd))
        return outs

    cond_any = cf.trace_closed(any_lane, cc_avals + carry_avals)
    body_masked = cf.trace_closed(masked_body, cc_avals + bc_avals + carry_avals)
    outs = while_p.bind(*cc, *cc, *bc, *init, cond_jaxpr=cond_any, body_jaxpr=body_masked,
                        cond_nconsts=nc, body_nconsts=nc + nb)
    return outs, out_dims


while_p.impl = _while_impl
while_p.abstract_eval = _while_abstract_eval
while_p.jvp = _while_jvp
while_p.partial_eval = _while_partial_eval
while_p.transpose = _while_transpose
while_p.batch = _while_batch
cf.register_lowering(while_p, _make_while_runner)


# ---------------------------------------------------------------------------
# fori_loop

def _static_int(x):
    """int(x) when x is known while tracing (JAX's `core.is_concrete` then `int()`, so a
    concrete float bound is truncated), else None."""
    if isinstance(x, Tracer):
        val = x.to_concrete_value()
        if val is None:
            return None
        x = val
    try:
        arr = np.asarray(core.concrete_or_error(x))
    except (TypeError, ConcretizationTypeError):
        return None
    return int(arr)


def _fori_index_dtype(lower, upper, lo_aval, hi_aval):
    """The index dtype of a fori_loop with traced bounds, with JAX's check: the bounds'
    dtypes must be equal, except that a weakly typed signed integer bound (a Python
    int) takes the other signed integer bound's dtype."""
    if lo_aval.dtype == hi_aval.dtype:
        return lo_aval.dtype
    if lo_aval.dtype.kind == "i" and hi_aval.dtype.kind == "i":
        lo_weak, hi_weak = dtypes.is_weakly_typed(lower), dtypes.is_weakly_typed(upper)
        if lo_weak and not hi_weak:
            return hi_aval.dtype
        if hi_weak and not lo_weak:
            return lo_aval.dtype
    raise TypeError("lower and upper arguments to fori_loop must have equal types, got "
                    f"{lo_aval.dtype.name} and {hi_aval.dtype.name}")


_wrappers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _fori_wrappers(body_fun: Callable) -> tuple:
    """(scan body, while cond, while body) running `body_fun`: the same objects for the
    same body_fun, so that their traces are cached as body_fun's would be (as JAX).
    They hold body_fun weakly, so that the cache entry goes with it."""
    try:
        hit = _wrappers.get(body_fun)
        if hit is None:
            hit = _wrappers[body_fun] = _make_fori_wrappers(weakref.ref(body_fun))
        return hit
    except TypeError:  # not weakly referenceable: new wrappers, traced on every call
        return _make_fori_wrappers(lambda: body_fun)


def _make_fori_wrappers(get_body: Callable) -> tuple:
    def scan_body(carry, _):
        i, x = carry
        return (ew.add(i, 1), get_body()(i, x)), None

    def cond(carry):
        i, hi, _ = carry
        return ew.lt(i, hi)

    def body(carry):
        i, hi, x = carry
        return ew.add(i, 1), hi, get_body()(i, x)

    return scan_body, cond, body


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any, *,
              unroll: int | bool | None = None) -> Any:
    """Loop from lower to upper by reduction to while_loop or scan:

        val = init_val
        for i in range(lower, upper):
            val = body_fun(i, val)
        return val

    With bounds known while tracing (Python numbers or concrete arrays) this is a scan
    over `int(lower)`..`int(upper)`, which reverse-mode differentiation supports, and
    the index is a weakly typed int32 (a Python int), as in JAX; otherwise a
    while_loop whose index has the bounds' dtype."""
    from purejax._src.control_flow.scan import scan
    if not callable(body_fun):
        raise TypeError("lax.fori_loop: body_fun argument should be callable.")
    lo_aval, hi_aval = cf.abstractify(lower), cf.abstractify(upper)
    for name, aval in (("lower", lo_aval), ("upper", hi_aval)):
        if aval.shape != () or aval.dtype.kind not in "biuf":
            raise TypeError(f"lax.fori_loop: {name} must be a real scalar (an integer "
                            f"index bound), got {aval.str_short()}.")
    dtype = _fori_index_dtype(lower, upper, lo_aval, hi_aval)
    lo_static, hi_static = _static_int(lower), _static_int(upper)
    if lo_static is not None and hi_static is not None:
        length = max(hi_static - lo_static, 0)
        if length == 0 and cf.disable_jit_enabled():
            return init_val  # as JAX: the Python-loop scan cannot type a zero-length loop

        # A Python int initial index: weakly typed, so `c + i` keeps the carry's dtype.
        (_, result), _ = scan(_fori_wrappers(body_fun)[0], (lo_static, init_val), None,
                              length=length,
                              unroll=1 if unroll is None else unroll)
        return result
    # JAX's test, which accepts unroll=True as well (True == 1).
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are "
                         "statically known.")

    _, cond, body = _fori_wrappers(body_fun)
    # Only a bound of another dtype is converted, so a Python int lower bound keeps
    # the index weakly typed, as in JAX.
    if lo_aval.dtype != dtype:
        lower = shp.convert_element_type(lower, dtype)
    if hi_aval.dtype != dtype:
        upper = shp.convert_element_type(upper, dtype)
    _, _, result = while_loop(cond, body, (lower, upper, init_val))
    return result


__all__ = ["while_loop", "fori_loop", "while_p"]
