"""lax.custom_linear_solve (the `custom_linear_solve` primitive) and lax.custom_root.

Both differentiate *implicitly*: derivatives come from the equation the solver
satisfies, never from the solver's iterations (which may be a while_loop that cannot
be differentiated at all).

- x = solve(A, b) with A given as `matvec`: dx = A^{-1} (db - dA x), computed by
  solving again; the transpose (reverse mode) solves with A^T via `transpose_solve`
  and `vecmat`, the transpose of matvec obtained by linear transposition.
- x* = custom_root(f, ...) with f(x*) = 0 and f closing over parameters p:
  dx* = -(df/dx)^{-1} (df/dp dp), with the tangent system solved by the user's
  `tangent_solve`. Built on custom_jvp, so reverse mode transposes that rule.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from typing import Any, Callable

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.core import Primitive
from purejax._src.custom_derivatives import SymbolicZero, custom_jvp
from purejax._src.debug_info import func_name
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero
from purejax._src.control_flow import common as cf
from purejax._src.prims import elementwise as ew


def _check_tree(what: str, fun: Callable, expected_tree, got_tree, expected_avals, got_avals,
                against: str):
    if expected_tree != got_tree:
        raise TypeError(f"{what} ({func_name(fun)}) output pytree structure must match "
                        f"{against}, got {got_tree} and {expected_tree}.")
    if any(a.shape != b.shape or a.dtype != b.dtype for a, b in zip(expected_avals, got_avals)):
        raise TypeError(f"{what} ({func_name(fun)}) output types {cf._avals_str(got_avals)} "
                        f"must match the types of {against} {cf._avals_str(expected_avals)}.")


def _split_aux(what: str, fun: Callable, traced: cf.Traced, has_aux: bool):
    """(solution treedef, aux treedef or None) of a solver's output."""
    if not has_aux:
        return traced.out_tree, None
    dummy = tu.tree_unflatten(traced.out_tree, list(range(traced.out_tree.num_leaves)))
    if not (isinstance(dummy, (tuple, list)) and len(dummy) == 2):
        raise TypeError(f"{what} ({func_name(fun)}) with has_aux=True must return a pair "
                        f"(solution, aux), got {traced.out_tree}.")
    return tu.tree_structure(dummy[0]), tu.tree_structure(dummy[1])


# ---------------------------------------------------------------------------
# custom_linear_solve

_LinearSolveTuple = namedtuple("_LinearSolveTuple", "matvec vecmat solve transpose_solve")


def _transpose_lengths(t: _LinearSolveTuple) -> _LinearSolveTuple:
    return _LinearSolveTuple(t.vecmat, t.matvec, t.transpose_solve, t.solve)


def _split_solve_args(args, const_lengths: _LinearSolveTuple):
    parts = cf.split_list(args, list(const_lengths))
    return _LinearSolveTuple(*parts[:4]), parts[4]


def custom_linear_solve(matvec: Callable, b: Any, solve: Callable,
                        transpose_solve: Callable | None = None, symmetric: bool = False,
                        has_aux: bool = False) -> Any:
    """Solve matvec(x) == b with `solve(matvec, b)`, differentiated implicitly.

    transpose_solve(vecmat, b) solves the transposed system (vecmat is computed by
    linear transposition of matvec); reverse mode needs it, unless symmetric=True, in
    which case `solve` serves for both."""
    b_flat, b_tree = cf.flatten_operands(b)
    b_avals = [x.aval for x in b_flat]
    in_tree = tu.treedef_tuple([b_tree])
    if transpose_solve is None and symmetric:
        transpose_solve = solve

    mv = cf.trace_fun(matvec, in_tree, b_avals, "custom_linear_solve matvec")
    _check_tree("matvec", matvec, b_tree, mv.out_tree, b_avals, mv.jaxpr.out_avals, "b")

    sv = cf.trace_fun(functools.partial(solve, matvec), in_tree, b_avals,
                      "custom_linear_solve solve")
    x_tree, aux_tree = _split_aux("solve", solve, sv, has_aux)
    _check_tree("solve", solve, b_tree, x_tree, b_avals, sv.jaxpr.out_avals[:len(b_flat)], "b")

    if transpose_solve is None:
        vm = tr = None
    else:
        if symmetric:
            vecmat = matvec
            vm = mv
        else:
            from purejax._src.api import linear_transpose
            vjp_fun = linear_transpose(matvec, tu.tree_unflatten(b_tree, b_flat))

            def vecmat(x):
                (y,) = vjp_fun(x)
                return y
            vm = cf.trace_fun(vecmat, in_tree, b_avals, "custom_linear_solve vecmat")
        tr = cf.trace_fun(functools.partial(transpose_solve, vecmat), in_tree, b_avals,
                          "custom_linear_solve transpose_solve")
        tx_tree, _ = _split_aux("transpose_solve", transpose_solve, tr, has_aux)
        _check_tree("transpose_solve", transpose_solve, b_tree, tx_tree, b_avals,
                    tr.jaxpr.out_avals[:len(b_flat)], "b")

    traced = _LinearSolveTuple(mv, vm, sv, tr)
    const_lengths = _LinearSolveTuple(*[0 if t is None else len(t.consts) for t in traced])
    jaxprs = _LinearSolveTuple(*[None if t is None else t.jaxpr for t in traced])
    consts = [c for t in traced if t is not None for c in t.consts]
    outs = linear_solve_p.bind(*consts, *b_flat, const_lengths=const_lengths, jaxprs=jaxprs)
    x = tu.tree_unflatten(b_tree, outs[:len(b_flat)])
    if has_aux:
        return x, tu.tree_unflatten(aux_tree, outs[len(b_flat):])
    return x


linear_solve_p = Primitive("custom_linear_solve", multiple_results=True)
linear_solve_p.eval_with_arrays = True


def _make_linear_solve_runner(params, compile_sub):
    lengths = params["const_lengths"]
    solve_fn = compile_sub(params["jaxprs"].solve, "linear_solve")
    start = lengths.matvec + lengths.vecmat
    stop = start + lengths.solve
    n_consts = sum(lengths)

    def run_linear_solve(*args):
        return solve_fn(*args[start:stop], *args[n_consts:])
    return run_linear_solve


def _linear_solve_impl(*args, const_lengths, jaxprs):
    params = dict(const_lengths=const_lengths, jaxprs=jaxprs)
    return cf.run_lowered(_make_linear_solve_runner, params, args, jaxprs.solve.out_avals)


def _linear_solve_abstract_eval(*avals, const_lengths, jaxprs):
    return list(jaxprs.solve.out_avals)


def _linear_solve_jvp(primals, tangents, *, const_lengths, jaxprs):
    # A x = b  =>  A dx = db - dA x: solve again with the same solver. The solver's own
    # consts get no derivative: it is assumed to solve exactly.
    kw = dict(const_lengths=const_lengths, jaxprs=jaxprs)
    outs = linear_solve_p.bind(*primals, **kw)
    params, b = _split_solve_args(primals, const_lengths)
    params_dot, b_dot = _split_solve_args(tangents, const_lengths)
    nb = len(b)
    x = outs[:nb]
    rhs = list(b_dot)
    mv_dot = [t if type(t) is Zero or cf.is_float_aval(core.get_aval(p))
              else Zero(core.get_aval(p).to_tangent_aval())
              for p, t in zip(params.matvec, params_dot.matvec)]
    if any(type(t) is not Zero for t in mv_dot):
        _, dA_x = ad.jvp_flat(cf.eval_closed(jaxprs.matvec), list(params.matvec) + list(x),
                              mv_dot + [Zero(core.get_aval(v).to_tangent_aval()) for v in x])
        rhs = [r if type(d) is Zero else ad.add_tangents(r, ew.neg(d))
               for r, d in zip(rhs, dA_x)]
    aux_zero = [Zero(a.to_tangent_aval()) for a in jaxprs.solve.out_avals[nb:]]
    if all(type(r) is Zero for r in rhs):
        return outs, [Zero(core.get_aval(v).to_tangent_aval()) for v in x] + aux_zero
    rhs = [ad.instantiate_zeros(r) for r in rhs]
    flat_params = [p for group in params for p in group]
    x_dot = linear_solve_p.bind(*flat_params, *rhs, **kw)[:nb]
    return outs, list(x_dot) + aux_zero


def _linear_solve_transpose(cts, *args, const_lengths, jaxprs):
    if jaxprs.transpose_solve is None:
        raise TypeError("transpose_solve required for backwards mode automatic "
                        "differentiation of custom_linear_solve")
    params, b = _split_solve_args(args, const_lengths)
    if any(ad.is_undefined_primal(p) for group in params for p in group):
        raise TypeError("custom_linear_solve can only be transposed with respect to b: "
                        "its matvec and solver must not depend on the linear input.")
    nb = len(b)
    cts_x = cts[:nb]
    if all(type(c) is Zero for c in cts_x):
        return [None] * len(args)
    cts_x = [cf.instantiate_ct(c, core.get_aval(x) if not ad.is_undefined_primal(x) else x.aval)
             for c, x in zip(cts_x, b)]
    params_t = _transpose_lengths(params)
    ct_b = linear_solve_p.bind(*[p for group in params_t for p in group], *cts_x,
                               const_lengths=_transpose_lengths(const_lengths),
                               jaxprs=_transpose_lengths(jaxprs))[:nb]
    n_params = sum(const_lengths)
    return [None] * n_params + [ct if ad.is_undefined_primal(x) else None
                                for ct, x in zip(ct_b, b)]


@batching.wants_axis_size
def _linear_solve_batch(args, dims, *, axis_size, const_lengths, jaxprs):
    # Batch every vector argument (b, x) at axis 0; each sub-Jaxpr is batched with its
    # consts' batch pattern, so vecmat stays the transpose of matvec.
    args = cf.to_batch_front(args, dims)
    bat = [d is not None for d in dims]
    params, b = _split_solve_args(args, const_lengths)
    params_bat, b_bat = _split_solve_args(bat, const_lengths)
    b = [x if bb else cf.broadcast_front(x, axis_size) for x, bb in zip(b, b_bat)]
    nb = len(b)
    new = []
    for j, pb in zip(jaxprs, params_bat):
        new.append(None if j is None else
                   cf.batch_jaxpr(j, axis_size, list(pb) + [True] * nb, True)[0])
    outs = linear_solve_p.bind(*[p for group in params for p in group], *b,
                               const_lengths=const_lengths, jaxprs=_LinearSolveTuple(*new))
    return outs, [0] * len(outs)


linear_solve_p.impl = _linear_solve_impl
linear_solve_p.abstract_eval = _linear_solve_abstract_eval
linear_solve_p.jvp = _linear_solve_jvp
linear_solve_p.transpose = _linear_solve_transpose
linear_solve_p.batch = _linear_solve_batch
cf.register_lowering(linear_solve_p, _make_linear_solve_runner)


# ---------------------------------------------------------------------------
# custom_root

_RootTuple = namedtuple("_RootTuple", "f solve l_and_s")


def _split_root_args(args, const_lengths: _RootTuple):
    parts = cf.split_list(args, list(const_lengths))
    return _RootTuple(*parts[:3]), parts[3]


def custom_root(f: Callable, initial_guess: Any, solve: Callable,
                tangent_solve: Callable, has_aux: bool = False) -> Any:
    """Differentiably solve f(x) = 0 with `solve(f, initial_guess)`.

    Derivatives with respect to values f closes over follow from the implicit function
    theorem; `tangent_solve(g, y)` must solve the linear system g(x) = y where g is f
    linearized at the root (for scalars: `lambda g, y: y / g(1.0)`)."""
    guess_flat, guess_tree = cf.flatten_operands(initial_guess)
    guess_avals = [x.aval for x in guess_flat]
    in_tree = tu.treedef_tuple([guess_tree])

    f_t = cf.trace_fun(f, in_tree, guess_avals, "custom_root f")
    _check_tree("f", f, guess_tree, f_t.out_tree, guess_avals, f_t.jaxpr.out_avals,
                "initial_guess")

    solve_t = cf.trace_fun(functools.partial(solve, f), in_tree, guess_avals,
                           "custom_root solve")
    sol_tree, aux_tree = _split_aux("solve", solve, solve_t, has_aux)
    n = len(guess_flat)
    _check_tree("solve", solve, guess_tree, sol_tree, guess_avals,
                solve_t.jaxpr.out_avals[:n], "initial_guess")

    def linearize_and_solve(x, b):
        from purejax._src.api import linearize
        _, f_jvp = linearize(f, x)
        return tangent_solve(f_jvp, b)

    ls_t = cf.trace_fun(linearize_and_solve, tu.treedef_tuple([guess_tree, guess_tree]),
                        guess_avals + guess_avals, "custom_root tangent_solve")
    _check_tree("tangent_solve", tangent_solve, guess_tree, ls_t.out_tree, guess_avals,
                ls_t.jaxpr.out_avals, "initial_guess")

    traced = _RootTuple(f_t, solve_t, ls_t)
    const_lengths = _RootTuple(*[len(t.consts) for t in traced])
    jaxprs = _RootTuple(*[t.jaxpr for t in traced])
    consts = [c for t in traced for c in t.consts]
    outs = _custom_root(const_lengths, jaxprs, *consts, *guess_flat)
    sol = tu.tree_unflatten(guess_tree, outs[:n])
    if has_aux:
        return sol, tu.tree_unflatten(aux_tree, outs[n:])
    return sol


def _custom_root_fun(const_lengths, jaxprs, *args):
    params, guess = _split_root_args(args, const_lengths)
    return cf.eval_closed(jaxprs.solve)(*params.solve, *guess)


_custom_root = custom_jvp(_custom_root_fun, nondiff_argnums=(0, 1))


def _custom_root_jvp(const_lengths, jaxprs, primals, tangents):
    # f(p, x*(p)) = 0  =>  df/dp dp + df/dx dx* = 0  =>  dx* = -(df/dx)^{-1} (df/dp dp)
    # symbolic zeros reach rules as the public SymbolicZero; the JVP helpers below
    # work with the internal Zero
    tangents = [Zero(t.aval) if type(t) is SymbolicZero else t for t in tangents]
    params, _ = _split_root_args(primals, const_lengths)
    outs = _custom_root(const_lengths, jaxprs, *primals)
    n = len(jaxprs.f.out_avals)
    solution = outs[:n]
    params_dot, _ = _split_root_args(tangents, const_lengths)
    f_dots = [t if type(t) is Zero or cf.is_float_aval(core.get_aval(p))
              else Zero(core.get_aval(p).to_tangent_aval())
              for p, t in zip(params.f, params_dot.f)]
    f = cf.eval_closed(jaxprs.f)
    _, rhs = ad.jvp_flat(lambda *ps: f(*ps, *solution), list(params.f), f_dots)
    aux_dot = [Zero(core.get_aval(o).to_tangent_aval()) for o in outs[n:]]
    if all(type(r) is Zero for r in rhs):
        return outs, [Zero(core.get_aval(s).to_tangent_aval()) for s in solution] + aux_dot
    rhs = [ad.instantiate_zeros(r) for r in rhs]
    sol_dot = cf.eval_closed(jaxprs.l_and_s)(*params.l_and_s, *solution, *rhs)
    return outs, [ew.neg(s) for s in sol_dot] + aux_dot


_custom_root.defjvp(_custom_root_jvp, symbolic_zeros=True)

__all__ = ["custom_linear_solve", "custom_root", "linear_solve_p"]
