import numpy as np
import pytest

from purejax._src import config as config_module
from purejax._src.config import config, disable_jit, disable_x64, enable_x64


@pytest.fixture(autouse=True)
def _restore_flags():
    # Start every test from the built-in defaults, whatever the environment says.
    saved = dict(config_module._flags)
    config._reset_from_env({})
    yield
    config_module._flags.clear()
    config_module._flags.update(saved)


DEFAULTS = {
    "jax_enable_x64": False,
    "jax_disable_jit": False,
    "jax_debug_nans": False,
    "jax_debug_infs": False,
    "jax_numpy_rank_promotion": "allow",
    "jax_default_matmul_precision": None,
    "jax_platforms": None,
    "jax_traceback_filtering": "auto",
    "jax_numpy_dtype_promotion": "standard",
    "purejax_jit_backend": "numpy_codegen",
    "purejax_dump_generated_code": False,
    "purejax_eager_tape": True,
    "purejax_float32_math": "xla",
}


def test_defaults_with_empty_environment():
    for name, value in DEFAULTS.items():
        assert config_module._env_default(name, {}) == value
    config._reset_from_env({})
    assert config.values == DEFAULTS


def test_known_flags_are_exactly_the_documented_ones():
    assert set(config.known_flags()) == set(DEFAULTS)


def test_attribute_read_and_read_agree():
    for name in DEFAULTS:
        assert getattr(config, name) == config.read(name)


def test_update_then_read():
    config.update("jax_enable_x64", True)
    assert config.jax_enable_x64 is True
    assert config.read("jax_enable_x64") is True
    assert config.x64_enabled is True
    assert config_module._flags["jax_enable_x64"] is True
    config.update("jax_enable_x64", False)
    assert config.jax_enable_x64 is False


def test_update_enum_and_optional_flags():
    config.update("jax_numpy_rank_promotion", "raise")
    assert config.jax_numpy_rank_promotion == "raise"
    config.update("jax_default_matmul_precision", "highest")
    assert config.jax_default_matmul_precision == "highest"
    config.update("jax_default_matmul_precision", None)
    assert config.jax_default_matmul_precision is None
    config.update("jax_platforms", "cpu")
    assert config.jax_platforms == "cpu"
    config.update("jax_numpy_dtype_promotion", "strict")
    assert config.jax_numpy_dtype_promotion == "strict"
    config.update("jax_traceback_filtering", "off")
    assert config.jax_traceback_filtering == "off"


@pytest.mark.parametrize("getter", [
    lambda name: getattr(config, name),
    lambda name: config.read(name),
    lambda name: config.update(name, True),
])
def test_unknown_flag_names_the_flag_and_lists_known_ones(getter):
    with pytest.raises(AttributeError) as info:
        getter("jax_enable_x65")
    msg = str(info.value)
    assert "jax_enable_x65" in msg
    assert "jax_enable_x64" in msg and "jax_debug_nans" in msg


@pytest.mark.parametrize("bad", [1, 0, "True", None, np.bool_(True), 1.0])
@pytest.mark.parametrize("name", ["jax_enable_x64", "jax_disable_jit", "jax_debug_nans",
                                  "jax_debug_infs"])
def test_bool_flags_accept_only_bools(name, bad):
    with pytest.raises(TypeError, match=name):
        config.update(name, bad)
    assert config.read(name) is False  # unchanged


def test_enum_flags_validate_values():
    with pytest.raises(ValueError, match="jax_numpy_rank_promotion"):
        config.update("jax_numpy_rank_promotion", "sometimes")
    with pytest.raises(TypeError):
        config.update("jax_numpy_rank_promotion", True)
    with pytest.raises(ValueError):
        config.update("jax_numpy_dtype_promotion", "loose")
    with pytest.raises(ValueError):
        config.update("jax_traceback_filtering", "everything")
    with pytest.raises(ValueError):
        config.update("jax_default_matmul_precision", "ultra")
    with pytest.raises(TypeError):
        config.update("jax_platforms", 3)
    assert config.jax_numpy_rank_promotion == "allow"


def test_attribute_assignment_is_refused():
    with pytest.raises(AttributeError, match="update"):
        config.jax_enable_x64 = True  # type: ignore[misc]
    assert config.jax_enable_x64 is False


def test_enable_x64_restores_previous_value():
    assert config.jax_enable_x64 is False
    with enable_x64():
        assert config.jax_enable_x64 is True
        with enable_x64(False):
            assert config.jax_enable_x64 is False
        assert config.jax_enable_x64 is True
    assert config.jax_enable_x64 is False


def test_enable_x64_restores_on_exception():
    with pytest.raises(RuntimeError):
        with enable_x64(True):
            raise RuntimeError("boom")
    assert config.jax_enable_x64 is False


def test_enable_x64_rejects_non_bool():
    with pytest.raises(TypeError):
        with enable_x64(1):  # type: ignore[arg-type]
            pass
    assert config.jax_enable_x64 is False


def test_disable_x64():
    config.update("jax_enable_x64", True)
    with disable_x64():
        assert config.jax_enable_x64 is False
    assert config.jax_enable_x64 is True


def test_disable_jit_context_manager():
    assert config.jax_disable_jit is False
    with disable_jit():
        assert config.jax_disable_jit is True
        with disable_jit(False):
            assert config.jax_disable_jit is False
        assert config.jax_disable_jit is True
    assert config.jax_disable_jit is False


def test_other_context_managers():
    with config_module.numpy_dtype_promotion("strict"):
        assert config.jax_numpy_dtype_promotion == "strict"
    assert config.jax_numpy_dtype_promotion == "standard"
    with config_module.numpy_rank_promotion("warn"):
        assert config.jax_numpy_rank_promotion == "warn"
    assert config.jax_numpy_rank_promotion == "allow"
    with config_module.debug_nans():
        assert config.jax_debug_nans is True
    with config_module.debug_infs():
        assert config.jax_debug_infs is True
    with config_module.default_matmul_precision("float32"):
        assert config.jax_default_matmul_precision == "float32"
    assert not config.jax_debug_nans and not config.jax_debug_infs
    assert config.jax_default_matmul_precision is None


def test_trace_context_tracks_x64():
    before = config.trace_context()
    with enable_x64():
        assert config.trace_context() != before
    assert config.trace_context() == before


@pytest.mark.parametrize("text", ["1", "true", "True", "TRUE", "yes", "y", "on", "t", " 1 "])
def test_bool_env_truthy(text):
    assert config_module._env_default("jax_enable_x64", {"JAX_ENABLE_X64": text}) is True


@pytest.mark.parametrize("text", ["0", "false", "False", "no", "", "2", "nope"])
def test_bool_env_falsy(text):
    assert config_module._env_default("jax_enable_x64", {"JAX_ENABLE_X64": text}) is False


def test_env_vars_drive_defaults(monkeypatch):
    monkeypatch.setenv("JAX_ENABLE_X64", "1")
    monkeypatch.setenv("JAX_DISABLE_JIT", "yes")
    monkeypatch.setenv("JAX_DEBUG_NANS", "True")
    monkeypatch.setenv("JAX_NUMPY_RANK_PROMOTION", "raise")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    config._reset_from_env()
    assert config.jax_enable_x64 is True
    assert config.jax_disable_jit is True
    assert config.jax_debug_nans is True
    assert config.jax_debug_infs is False
    assert config.jax_numpy_rank_promotion == "raise"
    assert config.jax_platforms == "cpu"
    # The dtype machinery reads the same dict, so it sees the change at once.
    from purejax._src import dtypes
    assert dtypes.x64_enabled() is True
    assert dtypes.canonicalize_dtype(np.float64) == np.float64

    monkeypatch.setenv("JAX_ENABLE_X64", "false")
    config._reset_from_env()
    assert config.jax_enable_x64 is False
    assert dtypes.canonicalize_dtype(np.float64) == np.float32


def test_bad_enum_env_var_warns_and_uses_default():
    with pytest.warns(RuntimeWarning, match="JAX_NUMPY_RANK_PROMOTION"):
        value = config_module._env_default("jax_numpy_rank_promotion",
                                           {"JAX_NUMPY_RANK_PROMOTION": "bogus"})
    assert value == "allow"


def test_flag_dict_identity_is_stable():
    flags = config_module._flags
    config._reset_from_env({})
    config.update("jax_enable_x64", True)
    assert config_module._flags is flags and flags["jax_enable_x64"] is True


def test_dir_and_help():
    assert "jax_enable_x64" in dir(config)
    assert "64-bit" in config.help("jax_enable_x64")
    assert "jax_enable_x64=False" in repr(config)
