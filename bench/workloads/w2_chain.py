"""W2: a chain of 1000 elementwise ops on a 100-vector, forward and grad.

200 times: s = sin x; c = cos x; x = x + 0.01*s*c; then sum.  Small arrays and
many ops, so this measures per-op overhead (eager) and how well jit removes it.
"""

import numpy as np

ID = "W2"
TITLE = "1000-op elementwise chain on a 100-vector (200 x sin/cos/mul/mul/add), sum"
TASKS = ("forward", "grad")
RTOL, ATOL = 1e-4, 1e-5
STEPS = 200


def make_inputs(quick):
    rng = np.random.default_rng(2)
    return {"x": rng.standard_normal(100).astype(np.float32)}


def numpy_impl(task, inputs):
    x0 = inputs["x"]

    def forward():
        x = x0
        for _ in range(STEPS):
            s = np.sin(x)
            c = np.cos(x)
            x = x + 0.01 * s * c
        return (x.sum(),)

    def grad():
        # Forward keeping s, c; backward: dx_{k+1}/dx_k = 1 + 0.01*(c^2 - s^2).
        x = x0
        saved = []
        for _ in range(STEPS):
            s = np.sin(x)
            c = np.cos(x)
            saved.append((s, c))
            x = x + 0.01 * s * c
        g = np.ones_like(x0)
        for s, c in reversed(saved):
            g = g * (1 + 0.01 * (c * c - s * s))
        return (g,)

    return forward if task == "forward" else grad


def _chain(np_like, x):
    for _ in range(STEPS):
        s = np_like.sin(x)
        c = np_like.cos(x)
        x = x + 0.01 * s * c
    return np_like.sum(x)


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp = L.jax, L.jnp

    def f(x):
        return _chain(jnp, x)

    fn = f if task == "forward" else jax.grad(f)
    if jit:
        fn = jax.jit(fn)
    x = jnp.asarray(inputs["x"])
    return lambda: (fn(x),)


def autograd_impl(task, inputs):
    import autograd
    import autograd.numpy as anp

    def f(x):
        return _chain(anp, x)

    fn = f if task == "forward" else autograd.grad(f)
    x = inputs["x"]
    return lambda: (fn(x),)


def torch_impl(task, inputs):
    import torch
    x0 = torch.from_numpy(inputs["x"])

    if task == "forward":
        def thunk():
            with torch.no_grad():
                return (_chain(torch, x0),)
        return thunk

    def thunk():
        x = x0.detach().requires_grad_()
        gx, = torch.autograd.grad(_chain(torch, x), x)
        return (gx,)
    return thunk
