"""Neural-network functions, as jax.nn."""
from purejax._src.attention import dot_product_attention
from purejax._src.nn import (celu, elu, gelu, glu, hard_sigmoid, hard_silu, hard_swish,
                             hard_tanh, identity, leaky_relu, log1mexp, log_sigmoid,
                             log_softmax, logmeanexp, logsumexp, mish, normalize, one_hot,
                             relu, relu6, selu, sigmoid, silu, soft_sign, softmax, softplus,
                             sparse_plus, sparse_sigmoid, squareplus, standardize, swish,
                             tanh)

__all__ = ["celu", "dot_product_attention", "elu", "gelu", "glu", "hard_sigmoid",
           "hard_silu", "hard_swish", "hard_tanh", "identity", "leaky_relu", "log1mexp",
           "log_sigmoid", "log_softmax", "logmeanexp", "logsumexp", "mish", "normalize",
           "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "soft_sign", "softmax",
           "softplus", "sparse_plus", "sparse_sigmoid", "squareplus", "standardize", "swish",
           "tanh"]
