"""W4: per-example gradients of logistic regression, 1024 examples x 100
features: vmap(grad(loss), in_axes=(None, 0, 0)).

Measures how vmap batches a gradient (should become two matrix-vector sized
ops) against the closed form.
"""

import numpy as np

ID = "W4"
TITLE = "per-example grads, logistic regression 1024x100: vmap(grad(loss), (None,0,0))"
TASKS = ("vmap_grad",)
RTOL, ATOL = 1e-4, 1e-6
N, D = 1024, 100


def make_inputs(quick):
    rng = np.random.default_rng(4)
    return {"w": (rng.standard_normal(D) * 0.1).astype(np.float32),
            "X": rng.standard_normal((N, D)).astype(np.float32),
            "y": rng.integers(0, 2, N).astype(np.float32)}


def numpy_impl(task, inputs):
    w, X, y = inputs["w"], inputs["X"], inputs["y"]

    def thunk():
        # d/dw [softplus(x.w) - y x.w] = (sigmoid(x.w) - y) x
        z = X @ w
        r = 0.5 * np.tanh(0.5 * z) + 0.5 - y
        return (r[:, None] * X,)
    return thunk


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp = L.jax, L.jnp

    def loss(w, x, y):
        z = jnp.dot(x, w)
        return jnp.logaddexp(0., z) - y * z

    fn = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))
    if jit:
        fn = jax.jit(fn)
    w, X, y = (jnp.asarray(inputs[k]) for k in ("w", "X", "y"))
    return lambda: (fn(w, X, y),)


def autograd_impl(task, inputs):
    # autograd has no vmap: the honest spelling is a Python loop over examples.
    import autograd
    import autograd.numpy as anp

    def loss(w, x, y):
        z = anp.dot(x, w)
        return anp.logaddexp(0., z) - y * z

    g = autograd.grad(loss)
    w, X, y = inputs["w"], inputs["X"], inputs["y"]
    return lambda: (np.stack([g(w, X[i], y[i]) for i in range(X.shape[0])]),)


def torch_impl(task, inputs):
    import torch
    from torch.func import grad, vmap

    def loss(w, x, y):
        z = torch.dot(x, w)
        return torch.logaddexp(torch.zeros((), dtype=z.dtype), z) - y * z

    fn = vmap(grad(loss), in_dims=(None, 0, 0))
    w, X, y = (torch.from_numpy(inputs[k]) for k in ("w", "X", "y"))
    return lambda: (fn(w, X, y),)
