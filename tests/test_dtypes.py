import itertools

import numpy as np
import pytest

from purejax._src import config as config_module
from purejax._src import dtypes
from purejax._src.config import config, enable_x64


@pytest.fixture(autouse=True)
def _default_flags():
    saved = dict(config_module._flags)
    config._reset_from_env({})
    yield
    config_module._flags.clear()
    config_module._flags.update(saved)


class Value:
    """Stands in for an Array or Tracer: a dtype and a weak_type flag."""

    def __init__(self, dtype, weak_type=False):
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type


# ---------------------------------------------------------------------------
# The binary promotion table from JAX's "Type promotion semantics" page
# (https://jax.readthedocs.io/en/latest/type_promotion.html), transcribed with
# the bfloat16 row and column removed. It is the x64-enabled table: i*, f*, c*
# are weak (Python int/float/complex).

CODES = "b1 u1 u2 u4 u8 i1 i2 i4 i8 f2 f4 f8 c8 c16 i* f* c*".split()
TABLE_TEXT = """
b1  b1  u1  u2  u4  u8  i1  i2  i4  i8  f2  f4  f8  c8  c16 i*  f*  c*
u1  u1  u1  u2  u4  u8  i2  i2  i4  i8  f2  f4  f8  c8  c16 u1  f*  c*
u2  u2  u2  u2  u4  u8  i4  i4  i4  i8  f2  f4  f8  c8  c16 u2  f*  c*
u4  u4  u4  u4  u4  u8  i8  i8  i8  i8  f2  f4  f8  c8  c16 u4  f*  c*
u8  u8  u8  u8  u8  u8  f*  f*  f*  f*  f2  f4  f8  c8  c16 u8  f*  c*
i1  i1  i2  i4  i8  f*  i1  i2  i4  i8  f2  f4  f8  c8  c16 i1  f*  c*
i2  i2  i2  i4  i8  f*  i2  i2  i4  i8  f2  f4  f8  c8  c16 i2  f*  c*
i4  i4  i4  i4  i8  f*  i4  i4  i4  i8  f2  f4  f8  c8  c16 i4  f*  c*
i8  i8  i8  i8  i8  f*  i8  i8  i8  i8  f2  f4  f8  c8  c16 i8  f*  c*
f2  f2  f2  f2  f2  f2  f2  f2  f2  f2  f2  f4  f8  c8  c16 f2  f2  c8
f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f8  c8  c16 f4  f4  c8
f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  c16 c16 f8  f8  c16
c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c16 c8  c16 c8  c8  c8
c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16
i*  i*  u1  u2  u4  u8  i1  i2  i4  i8  f2  f4  f8  c8  c16 i*  f*  c*
f*  f*  f*  f*  f*  f*  f*  f*  f*  f*  f2  f4  f8  c8  c16 f*  f*  c*
c*  c*  c*  c*  c*  c*  c*  c*  c*  c*  c8  c8  c16 c8  c16 c*  c*  c*
"""


def _parse_table():
    table = {}
    for line in TABLE_TEXT.strip().splitlines():
        row, *cells = line.split()
        assert len(cells) == len(CODES), row
        for col, cell in zip(CODES, cells, strict=True):
            table[row, col] = cell
    return table


TABLE = _parse_table()
STRONG = {"b1": np.bool_, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32, "u8": np.uint64,
          "i1": np.int8, "i2": np.int16, "i4": np.int32, "i8": np.int64, "f2": np.float16,
          "f4": np.float32, "f8": np.float64, "c8": np.complex64, "c16": np.complex128}
WEAK_VALUE = {"i*": 1, "f*": 1.0, "c*": 1j}
WEAK_TYPE = {"i*": int, "f*": float, "c*": complex}
X64_DEFAULT = {"i*": np.int64, "f*": np.float64, "c*": np.complex128}
CANON_32 = {"u8": "u4", "i8": "i4", "f8": "f4", "c16": "c8"}
PAIRS = list(itertools.product(CODES, CODES))


def _arg(code, how):
    if code in WEAK_VALUE:
        return {"value": WEAK_VALUE, "type": WEAK_TYPE}[how][code]
    return {"value": np.zeros((2,), STRONG[code]), "type": STRONG[code],
            "dtype": np.dtype(STRONG[code]), "str": np.dtype(STRONG[code]).name}[how]


def _expected(code, x64):
    """(dtype, weak) that result_type should give for a table cell."""
    if code in WEAK_VALUE:
        dt = np.dtype(X64_DEFAULT[code])
        return (dt if x64 else dtypes._X64_TO_32.get(dt, dt)), True
    dt = np.dtype(STRONG[code])
    return (dt if x64 else dtypes._X64_TO_32.get(dt, dt)), False


def test_table_is_symmetric():
    for a, b in PAIRS:
        assert TABLE[a, b] == TABLE[b, a], (a, b)


@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_matches_docs_table_x64(a, b):
    with enable_x64(True):
        for how in ("value", "type"):
            got = dtypes.result_type(_arg(a, how), _arg(b, how), return_weak_type_flag=True)
            assert got == _expected(TABLE[a, b], True), (a, b, how)


@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_matches_docs_table_x32(a, b):
    # Without x64, 64-bit types do not exist: inputs are canonicalized before the
    # lattice join and the result after it. So (u8, i8) reads the (u4, i4) cell.
    ca, cb = CANON_32.get(a, a), CANON_32.get(b, b)
    expected = _expected(TABLE[ca, cb], False)
    for how in ("value", "type"):
        got = dtypes.result_type(_arg(a, how), _arg(b, how), return_weak_type_flag=True)
        assert got == expected, (a, b, how)


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_matches_docs_table(a, b):
    with enable_x64(True):
        a_arg = WEAK_TYPE.get(a) or STRONG[a]
        b_arg = WEAK_TYPE.get(b) or STRONG[b]
        cell = TABLE[a, b]
        want = np.dtype(X64_DEFAULT[cell]) if cell in X64_DEFAULT else np.dtype(STRONG[cell])
        assert dtypes.promote_types(a_arg, b_arg) == want


def test_promote_types_examples():
    assert dtypes.promote_types("int32", "float32") == np.float32
    assert dtypes.promote_types(np.dtype("int32"), np.dtype("float32")) == np.float32
    assert dtypes.promote_types("uint8", int) == np.uint8
    assert dtypes.promote_types("float16", float) == np.float16
    # Not canonicalized, even with x64 off.
    assert dtypes.promote_types("int64", "int32") == np.int64
    assert dtypes.promote_types(int, float) == np.float64
    # With x64 off there is no int64 to hold all of uint32 and int32.
    assert dtypes.promote_types("uint32", "int8") == np.int32
    with enable_x64():
        assert dtypes.promote_types("uint32", "int8") == np.int64


def test_dtype_specifier_forms_agree():
    for a, b in itertools.product(STRONG, STRONG):
        want = dtypes.result_type(_arg(a, "type"), _arg(b, "type"))
        for how in ("dtype", "str", "value"):
            assert dtypes.result_type(_arg(a, how), _arg(b, how)) == want


# ---------------------------------------------------------------------------
# Weak types in result_type

def test_weak_flag_examples():
    rt = lambda *a: dtypes.result_type(*a, return_weak_type_flag=True)  # noqa: E731
    assert rt(np.zeros(3, np.int32), 1.0) == (np.float32, True)
    assert rt(np.zeros(3, np.int8), 2) == (np.int8, False)
    assert rt(np.zeros(3, np.float16), 2.0) == (np.float16, False)
    assert rt(1) == (np.int32, True)
    assert rt(1.0) == (np.float32, True)
    assert rt(1, 2.0) == (np.float32, True)
    assert rt(1, 2.0, 3j) == (np.complex64, True)
    assert rt(True, 1) == (np.int32, True)
    assert rt(True, 1.0) == (np.float32, True)
    assert rt(True, np.float16) == (np.float16, False)
    assert rt(True, True) == (np.bool_, False)
    assert rt(np.int32, np.int32, 1) == (np.int32, False)
    with enable_x64():
        assert rt(1, 2.0) == (np.float64, True)
        assert rt(np.zeros(3, np.int32), 1.0) == (np.float64, True)


def test_weak_values_with_dtype_attribute():
    rt = lambda *a: dtypes.result_type(*a, return_weak_type_flag=True)  # noqa: E731
    # A lone weak value gives the default dtype of its category.
    assert rt(Value("int16", True)) == (np.int32, True)
    assert rt(Value("float16", True)) == (np.float32, True)
    assert rt(Value("int16", False)) == (np.int16, False)
    # All weak: join the strong dtypes, then take that category's default.
    assert rt(Value("int16", True), Value("int16", True)) == (np.int32, True)
    assert rt(Value("uint32", True), Value("int32", True)) == (np.int32, True)
    assert rt(Value("bool", True), Value("uint8", True)) == (np.uint32, True)
    # Weak with strong: the weak one sits at i*, f* or c*.
    assert rt(Value("int16", True), np.int8) == (np.int8, False)
    assert rt(Value("float16", True), np.int8) == (np.float32, True)
    assert rt(Value("float32", True), Value("int8")) == (np.float32, True)
    assert rt(Value("bool", True), np.int8) == (np.int8, False)
    assert rt(Value("float32", True), Value("float32")) == (np.float32, False)
    with enable_x64():
        assert rt(Value("bool", True), Value("uint8", True)) == (np.uint64, True)


def test_strong_numpy_values_are_not_weak():
    # A NumPy array/scalar is strong even if it is 0-d: int16 + np.array(1) is int64 -> int32.
    assert dtypes.result_type(np.int16(1), np.array(1)) == np.int32
    with enable_x64():
        assert dtypes.result_type(np.int16(1), np.array(1)) == np.int64
        assert dtypes.result_type(np.int16(1), 1) == np.int16


def test_result_type_canonicalizes():
    assert dtypes.result_type("float64") == np.float32
    assert dtypes.result_type(np.zeros(2, np.int64)) == np.int32
    assert dtypes.result_type(np.uint64, np.int64, return_weak_type_flag=True) == (np.int32, False)
    with enable_x64():
        assert dtypes.result_type("float64") == np.float64
        assert dtypes.result_type(np.uint64, np.int64, return_weak_type_flag=True) == (
            np.float64, True)


def test_result_type_many_args_and_none():
    assert dtypes.result_type(np.int8, np.uint8, np.float16, 1) == np.float16
    assert dtypes.result_type(np.int8, np.uint8, 2.0) == np.float32
    assert dtypes.result_type(None) == np.float32
    assert dtypes.result_type(None, np.float16) == np.float32
    assert dtypes.result_type(dtypes.float0, dtypes.float0) == dtypes.float0


def test_result_type_errors():
    with pytest.raises(ValueError, match="at least one"):
        dtypes.result_type()
    with pytest.raises(TypeError):
        dtypes.result_type("U3", np.float32)
    with pytest.raises(TypeError):
        dtypes.result_type(np.array(["a"]), np.float32)
    with pytest.raises(ValueError, match="promotion"):
        dtypes.result_type(dtypes.float0, np.float32)
    with pytest.raises(TypeError):
        dtypes.result_type(object())


def test_non_native_byte_order():
    assert dtypes.result_type(np.zeros(2, ">f4"), np.int8) == np.float32


def test_strict_promotion():
    rt = lambda *a: dtypes.result_type(*a, return_weak_type_flag=True)  # noqa: E731
    with config_module.numpy_dtype_promotion("strict"):
        assert rt(np.int32, int) == (np.int32, False)
        assert rt(np.float32, int) == (np.float32, False)
        assert rt(np.float32, float) == (np.float32, False)
        assert rt(int, float) == (np.float32, True)
        assert rt(np.int32, np.int32) == (np.int32, False)
        assert rt(np.bool_, np.bool_) == (np.bool_, False)
        for a, b in [(np.int32, float), (np.float32, complex), (np.int32, np.int16),
                     (np.bool_, int), (np.float16, np.float32)]:
            with pytest.raises(dtypes.TypePromotionError, match="strict"):
                dtypes.result_type(a, b)
        with pytest.raises(dtypes.TypePromotionError):
            dtypes.promote_types(np.int8, np.int16)
        # Without x64, float64 *is* float32, so there is nothing to promote.
        assert rt(np.float32, np.float64) == (np.float32, False)
        with enable_x64(), pytest.raises(dtypes.TypePromotionError):
            dtypes.result_type(np.float32, np.float64)
    assert issubclass(dtypes.TypePromotionError, ValueError)


# ---------------------------------------------------------------------------
# Canonicalization and defaults

def test_canonicalize_dtype_x32():
    assert dtypes.canonicalize_dtype(np.int64) == np.int32
    assert dtypes.canonicalize_dtype(np.uint64) == np.uint32
    assert dtypes.canonicalize_dtype("float64") == np.float32
    assert dtypes.canonicalize_dtype(np.dtype(np.complex128)) == np.complex64
    for dt in (np.bool_, np.int8, np.uint16, np.int32, np.float16, np.float32, np.complex64):
        assert dtypes.canonicalize_dtype(dt) == dt
    assert dtypes.canonicalize_dtype(float) == np.float32
    assert dtypes.canonicalize_dtype(int) == np.int32
    assert dtypes.canonicalize_dtype(complex) == np.complex64
    assert dtypes.canonicalize_dtype(bool) == np.bool_
    assert dtypes.canonicalize_dtype(dtypes.float0) == dtypes.float0
    assert isinstance(dtypes.canonicalize_dtype(np.float32), np.dtype)


def test_canonicalize_dtype_x64():
    with enable_x64():
        for dt in (np.int64, np.uint64, np.float64, np.complex128, np.int8, np.float32):
            assert dtypes.canonicalize_dtype(dt) == dt
        assert dtypes.canonicalize_dtype(float) == np.float64
        assert dtypes.canonicalize_dtype(int) == np.int64
        assert dtypes.canonicalize_dtype(complex) == np.complex128
    assert dtypes.canonicalize_dtype(np.float64) == np.float32


def test_defaults():
    assert not dtypes.x64_enabled()
    assert dtypes.default_float_dtype() == np.float32
    assert dtypes.default_int_dtype() == np.int32
    assert dtypes.default_uint_dtype() == np.uint32
    assert dtypes.default_complex_dtype() == np.complex64
    with enable_x64():
        assert dtypes.x64_enabled()
        assert dtypes.default_float_dtype() == np.float64
        assert dtypes.default_int_dtype() == np.int64
        assert dtypes.default_uint_dtype() == np.uint64
        assert dtypes.default_complex_dtype() == np.complex128


# ---------------------------------------------------------------------------
# Python scalars, dtype(), weak flags

def test_is_python_scalar():
    for x in (True, 1, 1.5, 1j):
        assert dtypes.is_python_scalar(x)
    for x in (np.float64(1), np.int32(1), np.bool_(True), np.complex128(1), np.ones(2),
              "1", None, int, [1]):
        assert not dtypes.is_python_scalar(x)


def test_python_scalar_dtype():
    assert dtypes.python_scalar_dtype(True) == np.bool_
    assert dtypes.python_scalar_dtype(1) == np.int32
    assert dtypes.python_scalar_dtype(1.0) == np.float32
    assert dtypes.python_scalar_dtype(1j) == np.complex64
    with enable_x64():
        assert dtypes.python_scalar_dtype(1) == np.int64
        assert dtypes.python_scalar_dtype(1.0) == np.float64
        assert dtypes.python_scalar_dtype(1j) == np.complex128
    with pytest.raises(TypeError):
        dtypes.python_scalar_dtype(np.float64(1))


def test_dtype_of_things():
    assert dtypes.dtype(1.0) == np.float32
    assert dtypes.dtype(1) == np.int32
    assert dtypes.dtype(False) == np.bool_
    assert dtypes.dtype(float) == np.float32
    assert dtypes.dtype(np.ones(2)) == np.float64  # not canonicalized by default
    assert dtypes.dtype(np.ones(2), canonicalize=True) == np.float32
    assert dtypes.dtype(np.int64(1)) == np.int64
    assert dtypes.dtype(np.float32) == np.float32
    assert dtypes.dtype("int16") == np.int16
    assert dtypes.dtype(np.dtype("complex128"), canonicalize=True) == np.complex64
    assert dtypes.dtype(Value("uint8")) == np.uint8
    assert dtypes.dtype(dtypes.float0) == dtypes.float0
    with enable_x64():
        assert dtypes.dtype(1.0) == np.float64
        assert dtypes.dtype(np.ones(2), canonicalize=True) == np.float64
    with pytest.raises(ValueError):
        dtypes.dtype(None)
    with pytest.raises(TypeError):
        dtypes.dtype("U3")
    with pytest.raises(TypeError):
        dtypes.dtype(object())


def test_is_weakly_typed():
    assert dtypes.is_weakly_typed(1)
    assert dtypes.is_weakly_typed(1.0)
    assert dtypes.is_weakly_typed(1j)
    # As in JAX, bool is never weak (it is the bottom of the lattice anyway).
    assert not dtypes.is_weakly_typed(True)
    assert not dtypes.is_weakly_typed(np.float64(1.0))
    assert not dtypes.is_weakly_typed(np.ones(2))
    assert not dtypes.is_weakly_typed(float)
    assert dtypes.is_weakly_typed(Value("float32", True))
    assert not dtypes.is_weakly_typed(Value("float32", False))
    assert not dtypes.is_weakly_typed("float32")

    class WithAval:
        dtype = np.dtype(np.float32)
        aval = Value("float32", True)

    assert dtypes.is_weakly_typed(WithAval())
    assert dtypes.result_type(WithAval(), np.float16) == np.float16


# ---------------------------------------------------------------------------
# Predicates, float0, info

def test_float0():
    assert dtypes.float0 == np.dtype([("float0", np.void, 0)])
    assert dtypes.float0.itemsize == 0
    assert np.zeros((3, 2), dtypes.float0).shape == (3, 2)


def test_tangent_dtype():
    for dt in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64):
        assert dtypes.tangent_dtype(dt) == dtypes.float0
    for dt in (np.float16, np.float32, np.float64, np.complex64, np.complex128):
        assert dtypes.tangent_dtype(dt) == dt
    assert dtypes.tangent_dtype(dtypes.float0) == dtypes.float0
    assert dtypes.tangent_dtype(np.dtype("float32")) == np.float32
    with pytest.raises(TypeError):
        dtypes.tangent_dtype("U3")


def test_issubdtype():
    assert dtypes.issubdtype(np.float32, np.floating)
    assert dtypes.issubdtype("uint32", np.unsignedinteger)
    assert dtypes.issubdtype(np.dtype("complex64"), np.complexfloating)
    assert not dtypes.issubdtype("complex64", np.integer)
    assert dtypes.issubdtype(np.int8, np.integer)
    assert not dtypes.issubdtype(np.bool_, np.integer)
    assert dtypes.issubdtype(np.floating, np.inexact)
    assert dtypes.issubdtype(np.float64, float) and not dtypes.issubdtype(np.float32, float)
    assert dtypes.issubdtype(dtypes.float0, dtypes.float0)
    assert dtypes.issubdtype(dtypes.float0, np.void)
    assert not dtypes.issubdtype(dtypes.float0, np.floating)
    assert not dtypes.issubdtype(dtypes.float0, np.number)
    assert not dtypes.issubdtype(np.dtype("V4"), dtypes.float0)
    assert not dtypes.issubdtype(np.float32, dtypes.float0)
    assert dtypes.issubdtype(Value("int16"), np.signedinteger)


def test_kind_predicates():
    assert dtypes.is_float(np.float16) and dtypes.is_float("float64") and dtypes.is_float(float)
    assert not dtypes.is_float(np.complex64) and not dtypes.is_float(np.int32)
    assert dtypes.is_complex(np.complex64) and not dtypes.is_complex(np.float32)
    assert dtypes.is_integer(np.int8) and dtypes.is_integer(np.uint64)
    assert not dtypes.is_integer(np.bool_) and not dtypes.is_integer(np.float32)
    assert dtypes.is_inexact(np.float32) and dtypes.is_inexact(np.complex128)
    assert not dtypes.is_inexact(np.int32) and not dtypes.is_inexact(dtypes.float0)
    assert not dtypes.is_float(dtypes.float0) and not dtypes.is_integer(dtypes.float0)


def test_finfo_iinfo():
    assert dtypes.finfo(np.float32).eps == np.finfo(np.float32).eps
    assert dtypes.finfo(np.zeros(2, np.float16)).bits == 16
    assert dtypes.finfo(Value("float64")).bits == 64
    assert dtypes.iinfo(np.int8).max == 127
    assert dtypes.iinfo("uint16").max == 65535
    with pytest.raises(ValueError):
        dtypes.finfo(np.int32)


def test_scalar_type_of_and_itemsize_bits():
    assert dtypes.scalar_type_of(1.0) is float
    assert dtypes.scalar_type_of(np.ones(2, np.int8)) is int
    assert dtypes.scalar_type_of(np.ones(2, np.uint8)) is int
    assert dtypes.scalar_type_of(True) is bool
    assert dtypes.scalar_type_of(Value("complex64")) is complex
    assert dtypes.itemsize_bits(np.float32) == 32
    assert dtypes.itemsize_bits(np.bool_) == 8
    assert dtypes.itemsize_bits(dtypes.float0) == 0


def test_scalar_type_names():
    assert dtypes.bool_ is np.bool_
    assert dtypes.float32 is np.float32 and dtypes.complex128 is np.complex128
    for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float16", "float64", "complex64"):
        assert getattr(dtypes, name) is getattr(np, name)


# ---------------------------------------------------------------------------
# coerce_to_array

@pytest.mark.parametrize("x,x32,x64", [
    (3, np.int32, np.int64),
    (2.5, np.float32, np.float64),
    (1j, np.complex64, np.complex128),
    (True, np.bool_, np.bool_),
    ([1.0, 2.0], np.float32, np.float64),
    ([1, 2], np.int32, np.int64),
    ((1, 2), np.int32, np.int64),
    ([1, 2.0], np.float32, np.float64),
    ([True, 2], np.int32, np.int64),
    ([True, False], np.bool_, np.bool_),
    ([1, 1j], np.complex64, np.complex128),
    ([[1, 2], [3, 4.0]], np.float32, np.float64),
    ([], np.float32, np.float64),
    ([np.float32(1), 2.0], np.float32, np.float32),
    ([np.int8(1), 2], np.int8, np.int8),
    ([np.float64(1), 2], np.float32, np.float64),
    ([np.ones(2, np.int8), [1, 2]], np.int8, np.int8),
    (np.ones(3), np.float32, np.float64),
    (np.array([1, 2], np.uint64), np.uint32, np.uint64),
    (np.ones(2, np.float16), np.float16, np.float16),
    (np.int8(3), np.int8, np.int8),
    (np.float64(2.0), np.float32, np.float64),
])
def test_coerce_to_array_dtypes(x, x32, x64):
    out = dtypes.coerce_to_array(x)
    assert isinstance(out, np.ndarray)
    assert out.dtype == x32
    assert out.shape == np.shape(x)
    with enable_x64():
        assert dtypes.coerce_to_array(x).dtype == x64


def test_coerce_to_array_values_and_explicit_dtype():
    np.testing.assert_array_equal(dtypes.coerce_to_array([[1, 2], [3, 4]]), [[1, 2], [3, 4]])
    assert dtypes.coerce_to_array(1.5, dtype=np.int16).dtype == np.int16
    assert dtypes.coerce_to_array([1, 2], dtype="float64").dtype == np.float32
    assert dtypes.coerce_to_array(np.ones(2), dtype=np.float16).dtype == np.float16
    with enable_x64():
        assert dtypes.coerce_to_array([1, 2], dtype="float64").dtype == np.float64
    z = dtypes.coerce_to_array(np.ones((2, 3), np.int32), dtype=dtypes.float0)
    assert z.dtype == dtypes.float0 and z.shape == (2, 3)


def test_coerce_to_array_keeps_float0_and_array_likes():
    z = np.zeros(3, dtypes.float0)
    assert dtypes.coerce_to_array(z).dtype == dtypes.float0

    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.arange(3, dtype=np.int64)

    out = dtypes.coerce_to_array(ArrayLike())
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [0, 1, 2])


def test_coerce_to_array_overflow():
    with pytest.raises(OverflowError):
        dtypes.coerce_to_array(2**40)
    with pytest.raises(OverflowError):
        dtypes.coerce_to_array([2**40])
    with enable_x64():
        assert dtypes.coerce_to_array(2**40).dtype == np.int64
        with pytest.raises(OverflowError):
            dtypes.coerce_to_array(2**70)


@pytest.mark.parametrize("bad", ["abc", b"abc", {}, {"a": 1}, None, {1, 2}, object(),
                                 ["a", "b"], [1, None], [1, {}]])
def test_coerce_to_array_rejects_non_array_likes(bad):
    with pytest.raises(TypeError, match="purejax cannot convert|Cannot determine"):
        dtypes.coerce_to_array(bad)
    with pytest.raises(TypeError):
        dtypes.coerce_to_array(bad, dtype=np.float32)


def test_coerce_to_array_rejects_non_numeric_arrays():
    with pytest.raises(TypeError, match="dtype"):
        dtypes.coerce_to_array(np.array(["a"]))
    with pytest.raises(TypeError):
        dtypes.coerce_to_array(np.array([object()]))
    with pytest.raises(TypeError):
        dtypes.coerce_to_array(1.0, dtype="U3")


def test_coerce_to_array_error_message():
    with pytest.raises(TypeError, match="purejax cannot convert str to an array: expected"):
        dtypes.coerce_to_array("abc")
    with pytest.raises(TypeError, match="purejax cannot convert dict to an array"):
        dtypes.coerce_to_array({})


# ---------------------------------------------------------------------------
# The public module

def test_public_module_reexports():
    import importlib
    public = importlib.import_module("purejax.dtypes")
    for name in ("float0", "canonicalize_dtype", "result_type", "promote_types", "issubdtype",
                 "finfo", "iinfo", "is_weakly_typed", "scalar_type_of", "itemsize_bits",
                 "TypePromotionError"):
        assert getattr(public, name) is getattr(dtypes, name)


# ---------------------------------------------------------------------------
# jnp scalar types called on Python scalars (a fast path in scalar_types)

@pytest.mark.parametrize("name,x,want", [
    ("float32", 3, 3.0), ("float32", 2.5, 2.5), ("float16", True, 1.0), ("int32", 7, 7),
    ("int8", -3, -3), ("uint8", 200, 200), ("bool_", 2.0, True), ("complex64", 1.5, 1.5),
])
def test_scalar_types_on_python_scalars(name, x, want):
    import purejax.numpy as jnp
    out = getattr(jnp, name)(x)
    assert out.dtype == np.dtype(getattr(np, name)) and out.shape == () and not out.weak_type
    assert out == want


def test_scalar_types_check_what_asarray_checks():
    import warnings

    import purejax.numpy as jnp
    with pytest.raises(OverflowError, match="int32"):
        jnp.int32(2 ** 40)
    with pytest.raises(OverflowError, match="uint8"):
        jnp.uint8(-1)
    with warnings.catch_warnings(record=True) as w:  # a 64-bit type without x64
        warnings.simplefilter("always")
        out = jnp.float64(2.0)
    assert out.dtype == np.float32 and any("float64" in str(m.message) for m in w)
    with enable_x64():
        assert jnp.float64(2.0).dtype == np.float64 and jnp.int64(2 ** 40) == 2 ** 40
