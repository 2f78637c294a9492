"""W3: value_and_grad of a 784-512-512-10 ReLU MLP, batch 128, softmax
cross-entropy, w.r.t. all six parameter arrays.

Dominated by six 128x512-ish matmuls forward and backward: measures whether
the library keeps out of BLAS's way.
"""

import numpy as np

ID = "W3"
TITLE = "MLP 784-512-512-10 ReLU, batch 128, softmax xent: value_and_grad"
TASKS = ("value_and_grad",)
RTOL, ATOL = 2e-3, 1e-4
SIZES = (784, 512, 512, 10)
BATCH = 128


def make_inputs(quick):
    rng = np.random.default_rng(3)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params.append((rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32))
        params.append((rng.standard_normal(n_out) * 0.1).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    y = np.eye(SIZES[-1], dtype=np.float32)[labels]
    return {"params": params, "x": x, "y": y}


def numpy_impl(task, inputs):
    w1, b1, w2, b2, w3, b3 = inputs["params"]
    x, y = inputs["x"], inputs["y"]
    n = np.float32(x.shape[0])

    def thunk():
        z1 = x @ w1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ w2 + b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ w3 + b3
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        se = e.sum(axis=1, keepdims=True)
        logp = logits - m - np.log(se)
        loss = -(y * logp).sum() / n
        # backward
        dlogits = (e / se - y) / n
        dw3 = h2.T @ dlogits
        db3 = dlogits.sum(axis=0)
        dh2 = dlogits @ w3.T
        dz2 = dh2 * (z2 > 0)
        dw2 = h1.T @ dz2
        db2 = dz2.sum(axis=0)
        dh1 = dz2 @ w2.T
        dz1 = dh1 * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        return (loss, dw1, db1, dw2, db2, dw3, db3)
    return thunk


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp, lax = L.jax, L.jnp, L.lax

    def loss_fn(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = jnp.maximum(x @ w1 + b1, 0.)
        h = jnp.maximum(h @ w2 + b2, 0.)
        logits = h @ w3 + b3
        m = lax.stop_gradient(jnp.max(logits, axis=1, keepdims=True))
        logp = logits - m - jnp.log(jnp.sum(jnp.exp(logits - m), axis=1, keepdims=True))
        return -jnp.sum(y * logp) / x.shape[0]

    fn = jax.value_and_grad(loss_fn)
    if jit:
        fn = jax.jit(fn)
    params = [jnp.asarray(p) for p in inputs["params"]]
    x, y = jnp.asarray(inputs["x"]), jnp.asarray(inputs["y"])

    def thunk():
        loss, grads = fn(params, x, y)
        return (loss, *grads)
    return thunk


def autograd_impl(task, inputs):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    def loss_fn(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = anp.maximum(anp.dot(x, w1) + b1, 0.)
        h = anp.maximum(anp.dot(h, w2) + b2, 0.)
        logits = anp.dot(h, w3) + b3
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.sum(y * logp) / x.shape[0]

    fn = autograd.value_and_grad(loss_fn)
    params = list(inputs["params"])
    x, y = inputs["x"], inputs["y"]

    def thunk():
        loss, grads = fn(params, x, y)
        return (loss, *grads)
    return thunk


def torch_impl(task, inputs):
    import torch
    params = [torch.from_numpy(p).requires_grad_() for p in inputs["params"]]
    x, y = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["y"])

    def thunk():
        w1, b1, w2, b2, w3, b3 = params
        h = torch.relu(x @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        logits = h @ w3 + b3
        logp = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        loss = -(y * logp).sum() / x.shape[0]
        grads = torch.autograd.grad(loss, params)
        return (loss.detach(), *grads)
    return thunk
