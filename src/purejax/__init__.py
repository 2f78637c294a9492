"""purejax: JAX's composable function transformations in pure Python on NumPy.

    import purejax as jax
    import purejax.numpy as jnp
"""
import purejax._src.numpy.array_methods  # noqa: F401  (operators and methods on arrays)
from purejax._src.api import (ShapeDtypeStruct, block_until_ready, device_get, device_put,
                              eval_shape, grad, hessian, jacfwd, jacrev, jvp, linear_transpose,
                              linearize, make_jaxpr, value_and_grad, vjp, vmap)
from purejax._src.array import Array
from purejax._src.callback import pure_callback
from purejax._src.checkpoint import checkpoint, remat
from purejax._src.config import config, debug_infs, debug_nans
from purejax._src.custom_derivatives import closure_convert, custom_jvp, custom_vjp
from purejax._src.custom_gradient import custom_gradient
from purejax._src.jit import disable_jit, jit
from purejax._src.typeof import typeof
from purejax import (ad_checkpoint, checkpoint_policies, custom_batching,  # noqa: E402
                     custom_derivatives, dtypes, errors, lax, nn, numpy, test_util, tree, tree_util)

__version__ = "0.1.0"

__all__ = [
    "Array", "ShapeDtypeStruct", "ad_checkpoint", "block_until_ready", "checkpoint",
    "checkpoint_policies",
    "closure_convert", "config", "debug_infs", "debug_nans", "errors", "remat",
    "custom_batching", "custom_derivatives", "custom_gradient", "custom_jvp", "custom_vjp",
    "device_get", "device_put", "disable_jit",
    "dtypes", "eval_shape", "grad", "hessian", "jacfwd", "jacrev", "jit", "jvp", "lax",
    "linear_transpose", "linearize", "make_jaxpr", "nn", "numpy", "pure_callback",
    "test_util", "tree", "tree_util", "typeof", "value_and_grad", "vjp", "vmap",
]
