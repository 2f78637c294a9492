"""lax.custom_root and lax.custom_linear_solve: values, implicit derivatives against
closed forms and finite differences, jit (both backends), vmap; derivatives never go
through the solver's iterations (the solvers here use while_loop, which reverse mode
could not differentiate)."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads

A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
A_NONSYM = np.array([[4.0, 1.0, 0.5], [-1.0, 3.0, 1.0], [0.2, 1.0, 2.0]])
B = np.array([1.0, 2.0, 3.0])


def newton(f, x0):
    """Newton's method with a while_loop (not reverse-differentiable by itself)."""
    def cond(state):
        _, step = state
        return jnp.abs(step) > 1e-12

    def body(state):
        x, _ = state
        fx, dfx = jax.jvp(f, (x,), (jnp.ones_like(x),))
        step = fx / dfx
        return x - step, step
    return lax.while_loop(cond, body, (x0, jnp.ones_like(x0)))[0]


def scalar_solve(g, y):
    return y / g(1.0)


def sqrt_root(a):
    return lax.custom_root(lambda x: x * x - a, 1.0, newton, scalar_solve)


def richardson(matvec, b):
    """A fixed number of Richardson iterations x += w (b - A x) in a while_loop."""
    def body(c):
        i, x = c
        return i + 1, x + 0.2 * (b - matvec(x))
    return lax.while_loop(lambda c: c[0] < 300, body, (0, jnp.zeros_like(b)))[1]


def test_custom_root_scalar_newton_sqrt(x64, jit_backend):
    np.testing.assert_allclose(sqrt_root(2.0), np.sqrt(2.0), rtol=1e-14)
    np.testing.assert_allclose(jax.grad(sqrt_root)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-12)
    np.testing.assert_allclose(jax.grad(jax.grad(sqrt_root))(2.0), -0.25 * 2.0 ** -1.5,
                               rtol=1e-10)
    np.testing.assert_allclose(jax.jit(jax.grad(sqrt_root))(2.0), 0.5 / np.sqrt(2.0),
                               rtol=1e-12)
    xs = jnp.array([1.0, 4.0, 9.0])
    np.testing.assert_allclose(jax.vmap(sqrt_root)(xs), [1.0, 2.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(jax.vmap(jax.grad(sqrt_root))(xs), 0.5 / np.sqrt(xs),
                               rtol=1e-12)
    check_grads(sqrt_root, (2.0,), order=2)


def test_custom_root_has_aux_and_jvp(x64):
    def solve_with_aux(f, x0):
        x = newton(f, x0)
        return x, {"residual": f(x)}
    root, aux = lax.custom_root(lambda x: x * x - 3.0, 1.0, solve_with_aux, scalar_solve,
                                has_aux=True)
    np.testing.assert_allclose(root, np.sqrt(3.0))
    assert abs(float(aux["residual"])) < 1e-12
    f = lambda a: lax.custom_root(lambda x: x ** 3 - a, 1.0, newton, scalar_solve)
    _, t = jax.jvp(f, (8.0,), (1.0,))
    np.testing.assert_allclose(t, 1.0 / (3 * 4.0), rtol=1e-12)


def test_custom_root_vector_linear_system(x64):
    # root of f(x) = A x - b with Richardson iterations as the solver; the tangent
    # system is solved the same way, wrapped in custom_linear_solve. Gradients w.r.t. the closed-over A and b follow
    # the closed forms dx/db = A^{-1}, d(sum x)/dA = -(A^{-T} 1) x^T.
    def solve_linear(a, b):
        def f(x):
            return a @ x - b

        def solver(f, x0):
            return richardson(lambda v: f(v) - f(jnp.zeros_like(v)), -f(jnp.zeros_like(x0)))

        def tangent_solve(g, y):
            # transposable (reverse mode): a custom_linear_solve, not a bare while_loop
            return lax.custom_linear_solve(g, y, richardson, transpose_solve=richardson)
        return lax.custom_root(f, jnp.zeros_like(b), solver, tangent_solve)

    x = solve_linear(A, B)
    np.testing.assert_allclose(x, np.linalg.solve(A, B), rtol=1e-10)
    np.testing.assert_allclose(jax.jacfwd(solve_linear, argnums=1)(A, B), np.linalg.inv(A),
                               rtol=1e-9, atol=1e-12)
    g_a = jax.grad(lambda a, b: jnp.sum(solve_linear(a, b)))(A, B)
    lam = np.linalg.solve(A.T, np.ones(3))
    np.testing.assert_allclose(g_a, -np.outer(lam, np.linalg.solve(A, B)), rtol=1e-9)


def solve_sym(a, b):
    return lax.custom_linear_solve(lambda x: a @ x, b, richardson, symmetric=True)


def solve_gen(a, b):
    return lax.custom_linear_solve(lambda x: a @ x, b, richardson, transpose_solve=richardson)


def test_custom_linear_solve_values_and_closed_form_grads(x64, jit_backend):
    x_np = np.linalg.solve(A_NONSYM, B)
    np.testing.assert_allclose(solve_gen(A_NONSYM, B), x_np, rtol=1e-10)
    np.testing.assert_allclose(jax.jit(solve_gen)(A_NONSYM, B), x_np, rtol=1e-10)
    np.testing.assert_allclose(solve_sym(A, B), np.linalg.solve(A, B), rtol=1e-10)
    # loss = |x|^2: dL/db = A^{-T} 2x, dL/dA = -(A^{-T} 2x) x^T
    ga, gb = jax.grad(lambda a, b: jnp.sum(solve_gen(a, b) ** 2), argnums=(0, 1))(A_NONSYM, B)
    lam = np.linalg.solve(A_NONSYM.T, 2 * x_np)
    np.testing.assert_allclose(gb, lam, rtol=1e-9)
    np.testing.assert_allclose(ga, -np.outer(lam, x_np), rtol=1e-9)
    np.testing.assert_allclose(jax.jacfwd(solve_sym, argnums=1)(A, B), np.linalg.inv(A),
                               rtol=1e-9, atol=1e-12)


def test_custom_linear_solve_finite_differences(x64):
    check_grads(solve_gen, (A_NONSYM, B), order=2, atol=1e-5, rtol=1e-5)
    check_grads(lambda b: solve_sym(A, b), (B,), order=1)


@pytest.mark.skipif(not hasattr(jnp, "linalg") or not hasattr(getattr(jnp, "linalg", None),
                                                                "solve"),
                    reason="jnp.linalg.solve not available yet")
def test_custom_linear_solve_matches_jnp_linalg_solve(x64):
    f = lambda a, b: jnp.sum(jnp.sin(solve_gen(a, b)))
    g = lambda a, b: jnp.sum(jnp.sin(jnp.linalg.solve(a, b)))
    np.testing.assert_allclose(jax.grad(f, argnums=(0, 1))(A_NONSYM, B)[1],
                               jax.grad(g, argnums=(0, 1))(A_NONSYM, B)[1], rtol=1e-9)


def test_custom_linear_solve_vmap_and_pytree_b(x64):
    bs = np.stack([B, 2 * B, -B])
    np.testing.assert_allclose(jax.vmap(solve_sym, in_axes=(None, 0))(A, bs),
                               np.linalg.solve(A, bs.T).T, rtol=1e-10)
    As = np.stack([A, 2 * A, A + np.eye(3)])
    np.testing.assert_allclose(jax.vmap(solve_gen)(As, bs),
                               np.stack([np.linalg.solve(a, b) for a, b in zip(As, bs)]),
                               rtol=1e-9)
    grads = jax.vmap(jax.grad(lambda b: jnp.sum(solve_sym(A, b))))(bs)
    np.testing.assert_allclose(grads, np.tile(np.linalg.solve(A, np.ones(3)), (3, 1)),
                               rtol=1e-9)
    # a pytree right-hand side: a block-diagonal system
    def matvec(x):
        return {"u": A @ x["u"], "v": 2.0 * x["v"]}

    def solver(mv, b):
        def body(c):
            i, x = c
            r = mv(x)
            return i + 1, {k: x[k] + 0.2 * (b[k] - r[k]) for k in x}
        return lax.while_loop(lambda c: c[0] < 300, body,
                              (0, {k: jnp.zeros_like(v) for k, v in b.items()}))[1]
    out = lax.custom_linear_solve(matvec, {"u": B, "v": jnp.ones(2)}, solver, symmetric=True)
    np.testing.assert_allclose(out["u"], np.linalg.solve(A, B), rtol=1e-10)
    np.testing.assert_allclose(out["v"], [0.5, 0.5], rtol=1e-10)


def test_custom_linear_solve_reverse_mode_needs_transpose_solve(x64):
    f = lambda b: lax.custom_linear_solve(lambda x: A_NONSYM @ x, b, richardson)
    # forward mode works without transpose_solve
    _, t = jax.jvp(f, (B,), (np.ones(3),))
    np.testing.assert_allclose(t, np.linalg.solve(A_NONSYM, np.ones(3)), rtol=1e-10)
    with pytest.raises(TypeError, match="transpose_solve required"):
        jax.grad(lambda b: jnp.sum(f(b)))(B)


def test_make_jaxpr_shows_custom_linear_solve():
    text = str(jax.make_jaxpr(solve_sym)(A.astype(np.float32), B.astype(np.float32)))
    assert "custom_linear_solve[" in text and "while[" in text


def test_custom_root_output_structure_error():
    with pytest.raises(TypeError, match="initial_guess"):
        lax.custom_root(lambda x: (x, x), 1.0, newton, scalar_solve)
