"""The libraries compared, and how to drive each one.

Only the worker process of a library imports it (bench/worker.py), so the
parent process and the other libraries' timings never see it loaded.
"""

import importlib.metadata
import importlib.util
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Library:
    name: str
    modes: tuple          # the rows it contributes per task ("-" when only one)
    modules: tuple        # all must be importable for it to count as installed
    dists: tuple          # distributions whose versions are recorded
    import_stmt: str      # what W8 times
    config: tuple = ()    # (flag, value) pairs set after import: a variant of a library
                          # (not timed again by W8)


LIBRARIES = (
    Library("numpy", ("-",), ("numpy",), ("numpy",), "import numpy"),
    Library("purejax", ("eager", "jit"), ("purejax",), ("purejax",), "import purejax.numpy"),
    # purejax with NumPy's native float32 transcendentals (docs/benchmarks.md)
    Library("purejax-fast32", ("eager", "jit"), ("purejax",), ("purejax",), "import purejax.numpy",
            (("purejax_float32_math", "fast"),)),
    Library("jax", ("eager", "jit"), ("jax", "jaxlib"), ("jax", "jaxlib"), "import jax.numpy"),
    Library("autograd", ("-",), ("autograd",), ("autograd",), "import autograd.numpy"),
    Library("torch", ("eager",), ("torch",), ("torch",), "import torch"),
)
BY_NAME = {lib.name: lib for lib in LIBRARIES}


def installed(lib):
    return all(importlib.util.find_spec(m) is not None for m in lib.modules)


def versions(lib):
    out = {}
    for d in lib.dists:
        try:
            out[d] = importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            out[d] = None
    return out


class _JaxLike:
    """purejax and JAX share one implementation per workload."""

    def __init__(self, jax, jnp, lax):
        self.jax, self.jnp, self.lax = jax, jnp, lax


class Adapter:
    """What the worker needs from one library: build a thunk for a workload,
    force a result, and turn it into NumPy arrays for the cross-check."""

    def __init__(self, name, threads):
        lib = BY_NAME[name]
        # a variant ("purejax-fast32") is driven like the library it configures
        self.name = name = lib.modules[0]
        if name in ("purejax", "jax"):
            if name == "purejax":
                import purejax as jax
                import purejax.numpy as jnp
                from purejax import lax
            else:
                import jax
                import jax.numpy as jnp
                from jax import lax
            for flag, value in lib.config:
                jax.config.update(flag, value)
            self.L = _JaxLike(jax, jnp, lax)
            self._block = jax.block_until_ready
        elif name == "torch":
            import torch
            torch.set_num_threads(threads)
            try:
                torch.set_num_interop_threads(threads)
            except RuntimeError:
                pass  # only settable before the first parallel work
            self._torch = torch
        elif name == "autograd":
            import autograd  # noqa: F401  (fail early when broken)

    def build(self, workload, task, inputs, mode):
        """A thunk, or None when the workload has no version for this library."""
        if self.name == "numpy":
            return workload.numpy_impl(task, inputs)
        if self.name in ("purejax", "jax"):
            return workload.jaxlike_impl(task, inputs, self.L, jit=(mode == "jit"))
        impl = getattr(workload, f"{self.name}_impl", None)
        return None if impl is None else impl(task, inputs)

    def force(self, out):
        """Make sure the result is computed (JAX dispatches asynchronously)."""
        if self.name in ("purejax", "jax"):
            return self._block(out)
        if self.name == "torch":
            return tuple(o.detach().numpy() if isinstance(o, self._torch.Tensor) else o for o in out)
        return tuple(np.asarray(o) for o in out)

    def to_numpy(self, out):
        if self.name == "torch":
            out = self.force(out)
        return [np.array(o) for o in out]
