"""Public error classes, mirroring `jax.errors`."""
from purejax._src.errors import (
    ConcretizationTypeError,
    JaxRuntimeError,
    NonDifferentiableError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
)

__all__ = [
    "ConcretizationTypeError", "JaxRuntimeError", "NonDifferentiableError",
    "TracerArrayConversionError", "TracerBoolConversionError",
    "TracerIntegerConversionError", "UnexpectedTracerError",
]
