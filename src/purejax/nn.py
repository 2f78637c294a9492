"""Neural-network functions, as jax.nn."""
from purejax._src.nn import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish,
                             hard_tanh, leaky_relu, log_sigmoid, log_softmax, logsumexp,
                             normalize, one_hot, relu, relu6, selu, sigmoid, silu, soft_sign,
                             softmax, softplus, sparse_plus, standardize, swish)

__all__ = ["celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish",
           "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "normalize",
           "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "soft_sign", "softmax",
           "softplus", "sparse_plus", "standardize", "swish"]
