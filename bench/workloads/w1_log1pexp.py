"""W1: grad of the seed's custom_jvp log1pexp at 3.0, one call at a time.

Measures per-call overhead of differentiating a tiny scalar function with a
custom derivative rule: almost no arithmetic, all dispatch.
"""

import numpy as np

ID = "W1"
TITLE = "grad(log1pexp)(3.) with a custom_jvp rule, per call"
TASKS = ("grad",)
RTOL, ATOL = 1e-6, 1e-7


def make_inputs(quick):
    return {"x": 3.0}  # a Python float, as in the seed


def numpy_impl(task, inputs):
    x = np.float32(inputs["x"])

    def thunk():
        return (np.float32(1) - np.float32(1) / (np.float32(1) + np.exp(x)),)
    return thunk


def seed_log1pexp(jax, jnp):
    """Seed 001's log1pexp and its JVP rule, as written there."""
    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1. + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        x, = primals
        x_dot, = tangents
        ans = log1pexp(x)
        ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
        return ans, ans_dot

    return log1pexp, log1pexp_jvp


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp = L.jax, L.jnp
    log1pexp, _ = seed_log1pexp(jax, jnp)
    g = jax.grad(log1pexp)
    if jit:
        g = jax.jit(g)
    x = inputs["x"]
    return lambda: (g(x),)


def autograd_log1pexp():
    """log1pexp as an autograd primitive with the same derivative as a VJP."""
    import autograd.numpy as anp
    from autograd.extend import primitive, defvjp

    @primitive
    def log1pexp(x):
        return anp.log(1. + anp.exp(x))

    defvjp(log1pexp, lambda ans, x: lambda g: g * (1 - 1 / (1 + anp.exp(x))))
    return log1pexp


def autograd_impl(task, inputs):
    import autograd
    g = autograd.grad(autograd_log1pexp())
    x = np.float32(inputs["x"])  # a Python float would make autograd use float64
    return lambda: (g(x),)


def torch_impl(task, inputs):
    import torch

    class Log1pExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.log(1. + torch.exp(x))

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * (1 - 1 / (1 + torch.exp(x)))

    xval = inputs["x"]

    def thunk():
        x = torch.tensor(xval, dtype=torch.float32, requires_grad=True)
        gx, = torch.autograd.grad(Log1pExp.apply(x), x)
        return (gx,)
    return thunk
