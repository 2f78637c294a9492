"""W6: softplus(gelu_tanh(x)) * tanh(x) + sigmoid(x) on 4,000,000 float32
values, forward and grad(sum(f)).

Large arrays, many elementwise ops: memory-bandwidth bound; measures
temporaries (what a fusing compiler saves) and the cost of the backward pass.
"""

import math

import numpy as np

ID = "W6"
TITLE = "softplus(gelu_tanh(x))*tanh(x)+sigmoid(x), 4M float32 (100k in --quick)"
TASKS = ("forward", "grad")
RTOL, ATOL = 1e-4, 1e-5
K = math.sqrt(2. / math.pi)


def make_inputs(quick):
    n = 100_000 if quick else 4_000_000
    rng = np.random.default_rng(6)
    return {"x": (rng.standard_normal(n) * 3.).astype(np.float32)}


def f_generic(np_like, x):
    """The same formula in every library, from its basic ops."""
    gelu = 0.5 * x * (1. + np_like.tanh(K * (x + 0.044715 * x * x * x)))
    softplus = np_like.log1p(np_like.exp(-np_like.abs(gelu))) + np_like.maximum(gelu, 0.)
    sigmoid = 0.5 * np_like.tanh(0.5 * x) + 0.5
    return softplus * np_like.tanh(x) + sigmoid


def numpy_impl(task, inputs):
    x = inputs["x"]
    if task == "forward":
        return lambda: (f_generic(np, x),)

    def grad():
        x2 = x * x
        t = np.tanh(K * (x + 0.044715 * x2 * x))
        gelu = 0.5 * x * (1. + t)
        dgelu = 0.5 * (1. + t) + 0.5 * x * (1. - t * t) * (K * (1. + 3 * 0.044715 * x2))
        e = np.exp(-np.abs(gelu))
        softplus = np.log1p(e) + np.maximum(gelu, 0.)
        dsoftplus = np.where(gelu >= 0, 1., e) / (1. + e)      # sigmoid(gelu)
        th = np.tanh(x)
        sg = 0.5 * np.tanh(0.5 * x) + 0.5
        return (dsoftplus * dgelu * th + softplus * (1. - th * th) + sg * (1. - sg),)
    return grad


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp = L.jax, L.jnp

    def f(x):
        return f_generic(jnp, x)

    fn = f if task == "forward" else jax.grad(lambda x: jnp.sum(f(x)))
    if jit:
        fn = jax.jit(fn)
    x = jnp.asarray(inputs["x"])
    return lambda: (fn(x),)


def autograd_impl(task, inputs):
    import autograd
    import autograd.numpy as anp

    def f(x):
        return f_generic(anp, x)

    fn = f if task == "forward" else autograd.grad(lambda x: anp.sum(f(x)))
    x = inputs["x"]
    return lambda: (fn(x),)


def torch_impl(task, inputs):
    import torch
    torch_np = _TorchOps(torch)
    x0 = torch.from_numpy(inputs["x"])

    if task == "forward":
        def thunk():
            with torch.no_grad():
                return (f_generic(torch_np, x0),)
        return thunk

    def thunk():
        x = x0.detach().requires_grad_()
        gx, = torch.autograd.grad(f_generic(torch_np, x).sum(), x)
        return (gx,)
    return thunk


class _TorchOps:
    """torch's spelling of the NumPy names f_generic uses (torch.maximum
    wants two tensors; clamp takes the scalar)."""

    def __init__(self, torch):
        self.tanh, self.log1p, self.exp, self.abs = torch.tanh, torch.log1p, torch.exp, torch.abs
        self.maximum = lambda a, b: torch.clamp(a, min=b)
