"""W5: Hessian-vector product of the Rosenbrock function, n = 100,000:
jvp(grad(f), (x,), (v,)) (forward-over-reverse).

Measures second-order autodiff on mid-sized vectors with slicing.
"""

import numpy as np

ID = "W5"
TITLE = "Rosenbrock HVP, n=100,000 (10,000 in --quick): jvp(grad(f), (x,), (v,))"
TASKS = ("hvp",)
RTOL, ATOL = 1e-4, 1e-5


def make_inputs(quick):
    n = 10_000 if quick else 100_000
    rng = np.random.default_rng(5)
    return {"x": rng.uniform(-1.5, 1.5, n).astype(np.float32),
            "v": rng.standard_normal(n).astype(np.float32)}


def rosenbrock(np_like, x):
    a, b = x[:-1], x[1:]
    return np_like.sum(100. * (b - a * a) ** 2 + (1. - a) ** 2)


def numpy_impl(task, inputs):
    x, v = inputs["x"], inputs["v"]

    def thunk():
        # The Hessian is tridiagonal: diag_i = 1200 a_i^2 - 400 b_i + 2 (i < n-1)
        # plus 200 (i > 0); off_i = H[i, i+1] = -400 a_i.
        a, b = x[:-1], x[1:]
        diag = np.empty_like(x)
        diag[:-1] = 1200. * a * a - 400. * b + 2.
        diag[-1] = 0.
        diag[1:] += 200.
        off = -400. * a
        hv = diag * v
        hv[:-1] += off * v[1:]
        hv[1:] += off * v[:-1]
        return (hv,)
    return thunk


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp = L.jax, L.jnp

    def f(x):
        return rosenbrock(jnp, x)

    def hvp(x, v):
        return jax.jvp(jax.grad(f), (x,), (v,))[1]

    fn = jax.jit(hvp) if jit else hvp
    x, v = jnp.asarray(inputs["x"]), jnp.asarray(inputs["v"])
    return lambda: (fn(x, v),)


def autograd_impl(task, inputs):
    # autograd's own helper; it is reverse-over-reverse (autograd has no
    # true forward mode).
    import autograd
    import autograd.numpy as anp

    hvp = autograd.hessian_vector_product(lambda x: rosenbrock(anp, x))
    x, v = inputs["x"], inputs["v"]
    return lambda: (hvp(x, v),)


def torch_impl(task, inputs):
    import torch
    from torch.func import grad, jvp

    g = grad(lambda x: rosenbrock(torch, x))
    x, v = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["v"])
    return lambda: (jvp(g, (x,), (v,))[1],)
