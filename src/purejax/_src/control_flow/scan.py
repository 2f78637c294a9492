"""lax.scan (the `scan` primitive) and lax.map.

`scan_p.bind(*consts, *init, *xs, jaxpr, length, reverse, num_consts, num_carry,
linear, unroll)` runs `carry, y = jaxpr(*consts, *carry, *x_slices)` for each of
`length` leading slices of xs (backwards when reverse) and returns the final carry
followed by the ys stacked along a new leading axis. `linear[i]` marks operands known
to enter linearly (kept for printing and for JAX parity; the rules do not rely on it).

Reverse mode works because partial evaluation splits a JVP'd scan into a known scan,
which also stacks the per-iteration residuals as extra ys, and a linear scan over
those residuals; residuals that depend only on the consts are computed once outside
the loop. Transposing the linear scan runs the transposed body in the other direction,
accumulating the consts' cotangents in the carry.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.core import ClosedJaxpr, Jaxpr, Primitive
from purejax._src.debug_info import func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import UndefinedPrimal, Zero
from purejax._src.control_flow import common as cf
from purejax._src.control_flow import inline
from purejax._src.prims import shape as shp


# ---------------------------------------------------------------------------
# User-facing functions

def _normalize_unroll(unroll, length: int) -> int:
    """The `unroll` parameter as JAX stores it: True means the whole length, False 1,
    and 0 is kept (JAX documents it as "unroll the entire loop"). It only affects the
    Jaxpr's parameter here: every backend runs the loop the same way."""
    if isinstance(unroll, bool):
        return max(length, 1) if unroll else 1
    try:
        unroll = operator.index(core.concrete_or_error(unroll, "scan unroll"))
    except TypeError:
        raise TypeError(f"`unroll` must be a `bool` or a non-negative `int`, got "
                        f"{unroll!r}.") from None
    if unroll < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    return unroll


def _scan_length(xs_vals, xs_tree, length) -> int:
    lengths = []
    for x in xs_vals:
        shape = x.aval.shape
        if not shape:
            raise ValueError(f"scan got value with no leading axis to scan over: "
                             f"{x.aval.str_short()}.")
        lengths.append(shape[0])
    if length is not None:
        try:
            length = int(core.concrete_or_error(length, "scan length"))
        except TypeError:
            raise TypeError(f"scan length must be a concrete integer, got {length!r}.") from None
        if any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with "
                             f"leading axis sizes {sorted(set(lengths))}.")
        return length
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    if len(set(lengths)) > 1:
        paths = [tu.keystr(p) for p, _ in tu.tree_flatten_with_path(
            tu.tree_unflatten(xs_tree, [0] * xs_tree.num_leaves))[0]]
        detail = ", ".join(f"xs{p} with leading axis size {n}" for p, n in zip(paths, lengths))
        raise ValueError(f"scan got values with different leading axis sizes: {detail}.")
    return lengths[0]


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1,
         _split_transpose: bool = False) -> tuple[Any, Any]:
    """Scan f over leading array axes while carrying along state:

        def scan(f, init, xs, length=None):
            if xs is None:
                xs = [None] * length
            carry = init
            ys = []
            for x in xs:
                carry, y = f(carry, x)
                ys.append(y)
            return carry, np.stack(ys)
    """
    if not callable(f):
        raise TypeError("scan: f argument should be a callable.")
    xs_vals, xs_tree = cf.flatten_operands(xs)
    length = _scan_length(xs_vals, xs_tree, length)
    unroll = _normalize_unroll(unroll, length)
    if cf.disable_jit_enabled():
        return _scan_in_python(f, init, xs_vals, xs_tree, length, reverse)
    init_vals, carry_tree = cf.flatten_operands(init)
    x_avals = [x.aval.update(shape=x.aval.shape[1:]) for x in xs_vals]

    def carry_part(out_tree):
        dummy = tu.tree_unflatten(out_tree, list(range(out_tree.num_leaves)))
        if not (isinstance(dummy, (tuple, list)) and len(dummy) == 2):
            raise TypeError(f"scan body function {func_name(f)} output must be a pair "
                            f"`(carry, y)`, got a value of structure {out_tree}.")
        ct = tu.tree_structure(dummy[0])
        return ct, ct.num_leaves

    body, init_vals = cf.trace_loop_body(
        "scan body", f, lambda t: tu.treedef_tuple([t, xs_tree]), init_vals, carry_tree,
        x_avals, carry_part)
    dummy = tu.tree_unflatten(body.out_tree, list(range(body.out_tree.num_leaves)))
    y_tree = tu.tree_structure(dummy[1])
    nc, ncarry = len(body.consts), len(init_vals)
    outs = scan_p.bind(*body.consts, *init_vals, *xs_vals, jaxpr=body.jaxpr, length=length,
                       reverse=bool(reverse), num_consts=nc, num_carry=ncarry,
                       linear=(False,) * (nc + ncarry + len(xs_vals)), unroll=unroll)
    return (tu.tree_unflatten(carry_tree, outs[:ncarry]),
            tu.tree_unflatten(y_tree, outs[ncarry:]))


def _scan_in_python(f, init, xs_vals, xs_tree, length, reverse):
    """scan under disable_jit: a Python loop calling f on each slice, as JAX does."""
    from purejax._src.prims import indexing
    if length == 0:
        raise ValueError("zero-length scan is not supported in disable_jit() mode because "
                         "the output type is unknown.")
    carry, ys = init, []
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        x = tu.tree_unflatten(xs_tree, [indexing.index_in_dim(v, i, keepdims=False)
                                        for v in xs_vals])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    stack = lambda *leaves: shp.concatenate(
        [shp.expand_dims(cf.to_operand(v), (0,)) for v in leaves], 0)
    return carry, tu.tree_map(stack, ys[0], *ys[1:])


def map(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:
    """Map f over leading array axes: `np.stack([f(x) for x in xs])`, as a scan.
    With batch_size, f is vmapped over chunks of that many elements; batch_size=0,
    as in JAX, vmaps f over all of xs at once (a single remainder chunk)."""
    if batch_size is None:
        _, ys = scan(lambda _, x: ((), f(x)), (), xs)
        return ys
    from purejax._src.api import vmap
    from purejax._src.prims import indexing
    try:
        batch_size = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"lax.map: batch_size must be an integer, got {batch_size!r}.") from None
    if batch_size < 0:
        raise ValueError(f"lax.map: batch_size must be a non-negative integer, got "
                         f"{batch_size}.")
    xs_vals, xs_tree = cf.flatten_operands(xs)
    n = _scan_length(xs_vals, xs_tree, None)
    num_batches, rem = divmod(n, batch_size) if batch_size else (0, n)
    main = [shp.reshape(indexing.slice_in_dim(x, 0, num_batches * batch_size, axis=0),
                        (num_batches, batch_size) + x.aval.shape[1:]) for x in xs_vals]
    ys = None
    if num_batches:
        _, ys = scan(lambda _, x: ((), vmap(f)(x)), (), tu.tree_unflatten(xs_tree, main))
        ys = tu.tree_map(lambda y: shp.reshape(
            y, (num_batches * batch_size,) + tuple(core.get_aval(y).shape[2:])), ys)
    if rem or not num_batches:  # JAX vmaps f over an empty xs too
        tail = [indexing.slice_in_dim(x, num_batches * batch_size, n, axis=0) for x in xs_vals]
        tail_ys = vmap(f)(tu.tree_unflatten(xs_tree, tail))
        ys = tail_ys if ys is None else tu.tree_map(
            lambda a, b: shp.concatenate([a, b], 0), ys, tail_ys)
    return ys


# ---------------------------------------------------------------------------
# The primitive

scan_p = Primitive("scan", multiple_results=True)
scan_p.eval_with_arrays = True


def _split_scan_args(args, num_consts, num_carry):
    return (list(args[:num_consts]), list(args[num_consts:num_consts + num_carry]),
            list(args[num_consts + num_carry:]))


def _make_scan_runner(params, compile_sub):
    """A generated function running the loop natively with the body inlined; each
    step writes its outputs into preallocated stacked arrays."""
    closed = params["jaxpr"]
    nc, ncarry = params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    y_avals = closed.out_avals[ncarry:]
    nx = len(closed.in_avals) - nc - ncarry
    cs, ks, xs = ([f"{p}{i}" for i in range(k)] for p, k in (("c", nc), ("k", ncarry),
                                                              ("xs", nx)))
    ys = [f"y{i}" for i in range(len(y_avals))]
    stacked = [f"ys{i}" for i in range(len(y_avals))]
    globs = {"_body": compile_sub(closed, "scan_body"), "_empty": np.empty,
             "_steps": range(length - 1, -1, -1) if reverse else range(length)}
    lines = [f"def scan_loop({', '.join(cs + ks + xs)}):"]
    for i, a in enumerate(y_avals):
        globs[f"_yshape{i}"], globs[f"_ydtype{i}"] = (length,) + a.shape, a.dtype
        lines.append(f"    ys{i} = _empty(_yshape{i}, _ydtype{i})")
    outs = ks + ys
    assign = f"{', '.join(outs)}, = " if outs else ""
    lines += ["    for i in _steps:",
              f"        {assign}_body({', '.join(cs + ks + [x + '[i]' for x in xs])})"]
    lines += [f"        ys{i}[i] = y{i}" for i in range(len(ys))]
    lines.append(f"    return [{', '.join(ks + stacked)}]")
    return inline.build("\n".join(lines) + "\n", globs, closed.in_avals[:nc + ncarry])


def _eager_scan_runner(params, compile_sub):
    """Eager evaluation: a closure around the compiled body (generating an inlined
    loop would cost more than one eager call saves)."""
    closed = params["jaxpr"]
    body = cf.unguarded(compile_sub(closed, "scan_body"))
    nc, ncarry = params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    y_avals = closed.out_avals[ncarry:]

    def run_scan(*args):
        consts, carry, xs = args[:nc], list(args[nc:nc + ncarry]), args[nc + ncarry:]
        ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
        for i in (range(length - 1, -1, -1) if reverse else range(length)):
            out = body(*consts, *carry, *[x[i] for x in xs])
            carry = out[:ncarry]
            for y, o in zip(ys, out[ncarry:]):
                y[i] = o
        return list(carry) + ys
    return run_scan


def _scan_out_avals(jaxpr, length, num_carry):
    outs = jaxpr.out_avals
    return list(outs[:num_carry]) + [a.update(shape=(length,) + a.shape)
                                     for a in outs[num_carry:]]


def _scan_impl(*args, **params):
    return cf.run_lowered(_eager_scan_runner, params, args,
                          _scan_out_avals(params["jaxpr"], params["length"],
                                          params["num_carry"]))


def _scan_abstract_eval(*avals, jaxpr, length, reverse, num_consts, num_carry, linear, unroll):
    consts, carry, xs = _split_scan_args(avals, num_consts, num_carry)
    want = jaxpr.in_avals
    got = consts + carry + [a.update(shape=a.shape[1:]) for a in xs]
    if any(a.shape[:1] != (length,) for a in xs) or len(got) != len(want) or any(
            a.shape != b.shape or a.dtype != b.dtype for a, b in zip(got, want)):
        raise TypeError(f"scan: operand types {cf._avals_str(avals)} do not match the body's "
                        f"input types {cf._avals_str(want)} with length {length}")
    return _scan_out_avals(jaxpr, length, num_carry)


def _scan_jvp(primals, tangents, *, jaxpr, length, reverse, num_consts, num_carry, linear,
              unroll):
    consts, init, xs = _split_scan_args(primals, num_consts, num_carry)
    c_dot, i_dot, x_dot = _split_scan_args(tangents, num_consts, num_carry)

    def nonzero(ps, ts):
        return [type(t) is not Zero and cf.is_float_aval(core.get_aval(p))
                for p, t in zip(ps, ts)]
    c_nz, i_nz, x_nz = nonzero(consts, c_dot), nonzero(init, i_dot), nonzero(xs, x_dot)
    carry_nz = cf.jvp_fixed_point(jaxpr, num_consts, c_nz, i_nz, x_nz)
    n_ys = len(jaxpr.out_avals) - num_carry
    jvp_j, out_nz = cf.jvp_jaxpr(jaxpr, c_nz + carry_nz + x_nz, carry_nz + [False] * n_ys)
    y_nz = out_nz[num_carry:]
    # jvp_j: (consts, carry, xs, *dots) -> (carry, ys, carry_dots, y_dots); the scan
    # wants each group followed by its tangents.
    n_cd, n_kd, n_xd, n_yd = sum(c_nz), sum(carry_nz), sum(x_nz), sum(y_nz)
    nc, nk, nx = num_consts, num_carry, len(xs)
    p = nc + nk + nx
    inv = jvp_j.jaxpr.invars
    new_in = (inv[:nc] + inv[p:p + n_cd] + inv[nc:nc + nk] + inv[p + n_cd:p + n_cd + n_kd]
              + inv[nc + nk:p] + inv[p + n_cd + n_kd:])
    outv = jvp_j.jaxpr.outvars
    q = nk + n_ys
    new_out = outv[:nk] + outv[q:q + n_kd] + outv[nk:q] + outv[q + n_kd:]
    jvp_j = ClosedJaxpr(Jaxpr(jvp_j.jaxpr.constvars, new_in, new_out, jvp_j.jaxpr.eqns),
                        jvp_j.consts)
    c_dots = [t for t, nz in zip(c_dot, c_nz) if nz]
    i_dots = [ad.instantiate_zeros(t) for t, nz in zip(i_dot, carry_nz) if nz]
    x_dots = [t for t, nz in zip(x_dot, x_nz) if nz]
    lin_c, lin_k, lin_x = _split_scan_args(linear, nc, nk)
    new_linear = tuple(lin_c + [True] * n_cd + lin_k + [True] * n_kd + lin_x + [True] * n_xd)
    outs = scan_p.bind(*consts, *c_dots, *init, *i_dots, *xs, *x_dots, jaxpr=jvp_j,
                       length=length, reverse=reverse, num_consts=nc + n_cd,
                       num_carry=nk + n_kd, linear=new_linear, unroll=unroll)
    carry_out, carry_dot = outs[:nk], outs[nk:nk + n_kd]
    ys, y_dots = outs[nk + n_kd:nk + n_kd + n_ys], outs[nk + n_kd + n_ys:]
    assert len(y_dots) == n_yd
    out_avals = _scan_out_avals(jaxpr, length, num_carry)
    it_k, it_y = iter(carry_dot), iter(y_dots)
    t_out = [next(it_k) if nz else Zero(a.to_tangent_aval())
             for nz, a in zip(carry_nz, out_avals[:nk])]
    t_out += [next(it_y) if nz else Zero(a.to_tangent_aval())
              for nz, a in zip(y_nz, out_avals[nk:])]
    return list(carry_out) + list(ys), t_out


def _scan_partial_eval(trace: pe.JaxprTrace, args, unknown, *, jaxpr, length, reverse,
                       num_consts, num_carry, linear, unroll):
    nc, nk = num_consts, num_carry
    c_uk, init_uk, x_uk = _split_scan_args(unknown, nc, nk)
    consts, init, xs = _split_scan_args(args, nc, nk)
    lin_c, lin_k, lin_x = _split_scan_args(linear, nc, nk)
    carry_uk = cf.pe_fixed_point(jaxpr, c_uk, init_uk, x_uk)
    n_ys = len(jaxpr.out_avals) - nk
    split = cf.partial_eval_jaxpr_nested(jaxpr, c_uk + carry_uk + x_uk,
                                         carry_uk + [False] * n_ys)
    y_uk = split.out_unknown[nk:]
    n_res = split.num_res
    known, kj = split.known, split.known.jaxpr
    n_kc = nc - sum(c_uk)
    n_kk = nk - sum(carry_uk)
    n_kout = len(kj.outvars) - n_res
    res_vars = kj.outvars[n_kout:]
    # Residuals computed from the known consts alone are loop-invariant: compute them
    # once, outside. Residuals that are known xs slices are those xs, not restacked.
    intensive = cf.depends_only_on(known, [True] * n_kc + [False] * (len(kj.invars) - n_kc))
    intensive = intensive[n_kout:]
    kx_invars = kj.invars[n_kc + n_kk:]
    fwd_x = [kx_invars.index(v) if v in kx_invars and not inten else None
             for v, inten in zip(res_vars, intensive)]
    stacked = [not inten and f is None for inten, f in zip(intensive, fwd_x)]
    inv_jaxpr = pe.dce_jaxpr(Jaxpr(kj.constvars, kj.invars[:n_kc],
                                   [v for v, i in zip(res_vars, intensive) if i], kj.eqns))
    body_known = pe.dce_jaxpr(Jaxpr(kj.constvars, kj.invars, list(kj.outvars[:n_kout]) +
                                    [v for v, s in zip(res_vars, stacked) if s], kj.eqns))
    known_consts = [x for x, u in zip(consts, c_uk) if not u]
    known_init = [x for x, u in zip(init, carry_uk) if not u]
    known_xs = [x for x, u in zip(xs, x_uk) if not u]
    known_lin = tuple([l for l, u in zip(lin_c, c_uk) if not u] +
                      [l for l, u in zip(lin_k, carry_uk) if not u] +
                      [l for l, u in zip(lin_x, x_uk) if not u])
    with core.set_current_trace(trace.parent):
        intensive_vals = core.eval_jaxpr(inv_jaxpr, known.consts, *known_consts)
        k_outs = scan_p.bind(*known_consts, *known_init, *known_xs,
                             jaxpr=ClosedJaxpr(body_known, known.consts), length=length,
                             reverse=reverse, num_consts=n_kc, num_carry=n_kk,
                             linear=known_lin, unroll=unroll)
    n_kys = n_kout - n_kk
    known_carry, known_ys = k_outs[:n_kk], k_outs[n_kk:n_kout]
    it_stacked = iter(k_outs[n_kout:])
    extensive_vals = [known_xs[f] if f is not None else next(it_stacked)
                      for f, inten in zip(fwd_x, intensive) if not inten]
    if not any(split.out_unknown):
        return known_carry + known_ys
    uj = split.unknown.jaxpr
    res_in, rest = uj.invars[:n_res], uj.invars[n_res:]
    n_uc, n_uk = sum(c_uk), sum(carry_uk)
    new_in = ([v for v, i in zip(res_in, intensive) if i] + rest
              + [v for v, i in zip(res_in, intensive) if not i])
    unknown_closed = cf.with_invars(split.unknown, new_in)
    u_args = (list(intensive_vals) + [x for x, u in zip(consts, c_uk) if u]
              + [x for x, u in zip(init, carry_uk) if u] + [x for x, u in zip(xs, x_uk) if u]
              + extensive_vals)
    n_int = len(intensive_vals)
    u_lin = tuple([False] * n_int + [l for l, u in zip(lin_c, c_uk) if u]
                  + [l for l, u in zip(lin_k, carry_uk) if u]
                  + [l for l, u in zip(lin_x, x_uk) if u] + [False] * len(extensive_vals))
    u_outs = cf.stage_eqn(trace, scan_p, u_args, dict(
        jaxpr=unknown_closed, length=length, reverse=reverse, num_consts=n_int + n_uc,
        num_carry=n_uk, linear=u_lin, unroll=unroll))
    assert n_kys == n_ys - sum(y_uk)
    carry = cf.merge_by_mask(carry_uk, u_outs[:n_uk], known_carry)
    ys = cf.merge_by_mask(y_uk, u_outs[n_uk:], known_ys)
    return carry + ys


def _transpose_scan_body(jaxpr: ClosedJaxpr, num_consts, num_carry, c_lin, x_lin, y_nz):
    """The body of the transposed scan: (res_consts, ct_consts_acc, ct_carry, ct_y,
    res_x) -> (ct_consts_acc', ct_carry', ct_x)."""
    key = (num_consts, num_carry, tuple(c_lin), tuple(x_lin), tuple(y_nz))
    cache = cf._cache(jaxpr, "cf_scan_transpose")
    hit = cache.get(key)
    if hit is not None:
        return hit
    c_avals, k_avals, x_avals = _split_scan_args(jaxpr.in_avals, num_consts, num_carry)
    y_avals = jaxpr.out_avals[num_carry:]
    res_c_avals = [a for a, l in zip(c_avals, c_lin) if not l]
    lin_c_avals = [a for a, l in zip(c_avals, c_lin) if l]
    res_x_avals = [a for a, l in zip(x_avals, x_lin) if not l]
    lin_x_avals = [a for a, l in zip(x_avals, x_lin) if l]
    ct_y_avals = [a.to_tangent_aval() for a, nz in zip(y_avals, y_nz) if nz]
    ct_k_avals = [a.to_tangent_aval() for a in k_avals]
    sizes = [len(res_c_avals), len(lin_c_avals), len(k_avals), len(ct_y_avals)]

    def body_t(*args):
        res_c, acc, ct_carry, ct_y, res_x = cf.split_list(args, sizes)
        full = (cf.merge_by_mask(c_lin, [UndefinedPrimal(a) for a in lin_c_avals], res_c)
                + [UndefinedPrimal(a) for a in k_avals]
                + cf.merge_by_mask(x_lin, [UndefinedPrimal(a) for a in lin_x_avals], res_x))
        it = iter(ct_y)
        cts_out = list(ct_carry) + [next(it) if nz else Zero(a.to_tangent_aval())
                                    for nz, a in zip(y_nz, y_avals)]
        cts_in = ad.backward_pass(jaxpr.jaxpr, jaxpr.consts, cts_out, full)
        ct_c, ct_k, ct_x = _split_scan_args(cts_in, num_consts, num_carry)
        ct_c = [c for c, l in zip(ct_c, c_lin) if l]
        new_acc = [a if type(c) is Zero else ad.add_any_p.bind(a, c) for a, c in zip(acc, ct_c)]
        return (new_acc + [cf.instantiate_ct(c, a) for c, a in zip(ct_k, k_avals)]
                + [cf.instantiate_ct(c, a) for c, a, l in zip(ct_x, x_avals, x_lin) if l])

    res = cf.trace_closed(body_t, res_c_avals + [a.to_tangent_aval() for a in lin_c_avals]
                          + ct_k_avals + ct_y_avals + res_x_avals)
    cache[key] = res
    return res


def _scan_transpose(cts, *args, jaxpr, length, reverse, num_consts, num_carry, linear, unroll):
    consts, init, xs = _split_scan_args(args, num_consts, num_carry)
    c_lin = [ad.is_undefined_primal(c) for c in consts]
    x_lin = [ad.is_undefined_primal(x) for x in xs]
    k_avals = jaxpr.out_avals[:num_carry]
    ct_carry = [cf.instantiate_ct(c, a) for c, a in zip(cts[:num_carry], k_avals)]
    ct_ys = cts[num_carry:]
    y_nz = [type(c) is not Zero for c in ct_ys]
    body_t = _transpose_scan_body(jaxpr, num_consts, num_carry, c_lin, x_lin, y_nz)
    res_c = [c for c, l in zip(consts, c_lin) if not l]
    res_x = [x for x, l in zip(xs, x_lin) if not l]
    acc0 = [ad.zeros_like_aval(c.aval.to_tangent_aval()) for c, l in zip(consts, c_lin) if l]
    ct_y_vals = [c for c in ct_ys if type(c) is not Zero]
    n_lc = len(acc0)
    outs = scan_p.bind(*res_c, *acc0, *ct_carry, *ct_y_vals, *res_x, jaxpr=body_t,
                       length=length, reverse=not reverse, num_consts=len(res_c),
                       num_carry=n_lc + num_carry,
                       linear=tuple([False] * len(res_c) + [True] * (n_lc + num_carry)
                                    + [True] * len(ct_y_vals) + [False] * len(res_x)),
                       unroll=unroll)
    it_c = iter(outs[:n_lc])
    ct_init = outs[n_lc:n_lc + num_carry]
    it_x = iter(outs[n_lc + num_carry:])
    return ([next(it_c) if l else None for l in c_lin]
            + [ct if ad.is_undefined_primal(x) else None for ct, x in zip(ct_init, init)]
            + [next(it_x) if l else None for l in x_lin])


@batching.wants_axis_size
def _scan_batch(args, dims, *, axis_size, jaxpr, length, reverse, num_consts, num_carry,
                linear, unroll):
    nc, nk = num_consts, num_carry
    c_dims, k_dims, x_dims = _split_scan_args(dims, nc, nk)
    consts, init, xs = _split_scan_args(args, nc, nk)
    consts = cf.to_batch_front(consts, c_dims)
    init = cf.to_batch_front(init, k_dims)
    # xs keep the scan axis first: their batch axis goes to 1, i.e. 0 within a slice.
    xs = [x if d is None else batching.moveaxis(x, d, 1) for x, d in zip(xs, x_dims)]
    c_bat = [d is not None for d in c_dims]
    x_bat = [d is not None for d in x_dims]
    carry_bat = cf.batch_fixed_point(jaxpr, axis_size, c_bat,
                                     [d is not None for d in k_dims], x_bat)
    n_ys = len(jaxpr.out_avals) - nk
    body_b, out_bat = cf.batch_jaxpr(jaxpr, axis_size, c_bat + carry_bat + x_bat,
                                     carry_bat + [False] * n_ys)
    init = [cf.broadcast_front(x, axis_size) if b and d is None else x
            for x, b, d in zip(init, carry_bat, k_dims)]
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=body_b, length=length, reverse=reverse,
                       num_consts=nc, num_carry=nk, linear=linear, unroll=unroll)
    return outs, ([0 if b else None for b in carry_bat]
                  + [1 if b else None for b in out_bat[nk:]])


scan_p.impl = _scan_impl
scan_p.abstract_eval = _scan_abstract_eval
scan_p.jvp = _scan_jvp
scan_p.partial_eval = _scan_partial_eval
scan_p.transpose = _scan_transpose
scan_p.batch = _scan_batch
cf.register_lowering(scan_p, _make_scan_runner)

__all__ = ["scan", "map", "scan_p"]
