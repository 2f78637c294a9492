"""purejax: JAX's composable function transformations in pure Python on NumPy."""
from purejax._src.config import config
from purejax._src.array import Array
from purejax._src.api import (ShapeDtypeStruct, block_until_ready, device_get, device_put,
                              eval_shape, grad, hessian, jacfwd, jacrev, jvp, linear_transpose,
                              linearize, make_jaxpr, value_and_grad, vjp, vmap)

__version__ = "0.1.0"
from purejax._src.custom_derivatives import closure_convert, custom_jvp, custom_vjp
from purejax import tree_util, dtypes
from purejax._src.jit import disable_jit, jit
from purejax._src.callback import pure_callback
from purejax import custom_batching
from purejax import lax, nn, numpy, test_util
