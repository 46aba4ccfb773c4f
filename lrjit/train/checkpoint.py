"""Checkpoints of training state: params, optimizer state, lrjit schedules and PRNG keys in one ``.npz``.

:func:`save_checkpoint` writes any pytree of arrays and lrjit configs (a dict such as
``{"step": ..., "params": ..., "opt_state": ..., "schedule": sched, "data_key": key}``) atomically, every
leaf bit-exact: dtypes are kept (bfloat16 and the other ``ml_dtypes`` types as their raw bits plus the dtype
name, typed PRNG keys as their key data plus the PRNG implementation), and JAX's weak types too.
:func:`load_checkpoint` rebuilds the state into the structure of a template (``like``) and refuses a
checkpoint whose structure differs, naming the first differing path. A schedule's family and static fields
are part of its pytree structure (see :class:`lrjit.Schedule`), as are optax's state types and the number
of boundaries of a piecewise schedule (a leaf's shape), so a checkpoint cannot be resumed under a
different schedule or optimizer by accident.

Exact resume
------------
A resumed run is bit-identical to an uninterrupted one when everything that the next step reads is
restored exactly:

* ``params``;
* ``opt_state``, whole. It holds optax's step counts (``ScaleByAdamState.count``, and with
  ``optax.inject_hyperparams`` the wrapper's ``count`` and the schedule's ``WrappedScheduleState.count``:
  the step the learning rate is evaluated at), the moments, the last injected hyperparameters, and the
  state of any metric-driven controller chained into the optimizer (a NamedTuple of arrays, saved like any
  optax state);
* the schedule config (``"schedule": sched``). The optimizer holds the schedule in a closure, not in its
  state, so after loading rebuild the optimizer from the restored schedule: the config that produced the
  saved state is the one that continues it;
* the data order: draw each minibatch from the step number (``jax.random.fold_in(data_key, step)``) and
  save ``data_key`` and the step counter, so batch ``n`` is the same batch whether or not the run was
  interrupted (a stateful data iterator would need its own state saved);
* any other PRNG key the step consumes (dropout), derived the same way.

::

    def make_state(sched):
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=sched)
        params = init_params(jax.random.key(0))
        return opt, {"step": 0, "params": params, "opt_state": opt.init(params),
                     "schedule": sched, "data_key": jax.random.key(1)}

    # saving, at any step
    save_checkpoint("run/ckpt.npz", state)

    # resuming, in a fresh process: build the template with the code that started the run
    _, like = make_state(lrjit.CosineDecay(0.0, 90, warmup_target=0.05, warmup_steps=10))
    state = load_checkpoint("run/ckpt.npz", like)
    opt, _ = make_state(state["schedule"])      # the optimizer of the saved schedule
    for step in range(state["step"], total_steps):
        batch = sample(jax.random.fold_in(state["data_key"], step))
        ...                                      # the same jitted train step as before

Bit-identity also needs what a checkpoint cannot hold: the same JAX/jaxlib versions, backend, device kind
and XLA flags, the same compiled step function (a different ``jit`` boundary or ``scan`` unrolling may fuse
differently), and deterministic kernels (on GPU, e.g. ``--xla_gpu_deterministic_ops=true`` where
scatter-adds are involved).

File layout (format version 1): one array per leaf (``leaf_0``, ``leaf_1``, ... in
``jax.tree_util.tree_flatten`` order) and ``__lrjit_checkpoint__``, a UTF-8 JSON document (as ``uint8``)
holding the format name and version, the structure fingerprint ``str(treedef)``, every leaf's path
(``jax.tree_util.keystr``), shape, dtype and how it is stored, and a pre-order description of every pytree
node (type, static data, child keys) used to name the first difference. Files are read with
``allow_pickle=False``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrjit.core import Config, static_names

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CheckpointError",
    "CheckpointMismatchError",
    "load_checkpoint",
    "save_checkpoint",
]

FORMAT = "lrjit.checkpoint"
FORMAT_VERSION = 1
_META_KEY = "__lrjit_checkpoint__"
# Python number types by name; bool first, since True is also an int.
_PYTHON_SCALARS: dict[str, Callable[[Any], Any]] = {
    "bool": bool,
    "int": int,
    "float": float,
    "complex": complex,
}
# Memory addresses in reprs of static data (a function in a ``Partial``) differ between processes.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

PathLike = str | os.PathLike


class CheckpointError(ValueError):
    """A file that is not a valid lrjit checkpoint (truncated, foreign, forged or inconsistent with its own
    metadata, or holding a schedule outside its domain); the message names the file and what is wrong."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's structure differs from the template's.

    Attributes:
      where: the first differing path, e.g. ``"schedule"`` or ``"params['w']"``.
      detail: what differs there, checkpoint first, e.g. ``"shape (3, 4) vs (4, 4)"``.
    """

    def __init__(self, message: str, where: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.detail = detail


# ------------------------------------------------------------------------------------------ saving
def save_checkpoint(path: PathLike, state: Any) -> None:
    """Writes ``state`` to ``path`` as an ``.npz`` file, atomically.

    The file is written next to ``path`` under a temporary name, flushed to disk, then renamed over
    ``path`` with ``os.replace``: a crash leaves either the previous checkpoint or the new one, never a
    partial file. ``path`` is used as given (NumPy's ``.npz`` suffix is not appended).

    Args:
      path: the file to write.
      state: a pytree whose leaves are JAX arrays (typed PRNG keys and weakly typed arrays included),
        NumPy arrays or scalars, or Python ``bool``/``int``/``float``/``complex``; lrjit configs, optax
        states, dicts, lists, tuples and NamedTuples are containers. Arrays must be fully addressable from
        this process.

    Raises:
      TypeError: for a leaf that cannot be stored as an array (a string, an object array, a traced value
        inside ``jit``), naming its path.
    """
    flat, treedef = jax.tree_util.tree_flatten_with_path(state)
    nodes, walked = _describe(state)
    # The walk and JAX's flatten must agree leaf for leaf: the arrays are matched to paths by position.
    if [jax.tree_util.keystr(p) for p, _ in walked] != [jax.tree_util.keystr(p) for p, _ in flat]:
        raise TypeError("save_checkpoint: the pytree's leaves could not be enumerated consistently")
    arrays: dict[str, np.ndarray] = {}
    records: list[dict[str, Any]] = []
    # Everything is encoded (and copied to the host) before a file is created: a bad leaf writes nothing.
    for i, (key_path, value) in enumerate(flat):
        array, record = _encode(key_path, value)
        arrays[f"leaf_{i}"] = array
        records.append(record)
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "treedef": str(treedef),
        "leaves": records,
        "nodes": nodes,
        "jax_version": jax.__version__,
        "x64": bool(jax.config.jax_enable_x64),
    }
    arrays[_META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    _write_atomically(os.fspath(path), arrays)


def _write_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    # A symbolic link is saved through: the file it points to is replaced, the link stays.
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    _remove_stale_temporaries(path)
    # A unique name in the target directory: os.replace is atomic only within one file system.
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 (not tempfile's 0o600) so the checkpoint gets the permissions the umask allows.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temporaries(path: str) -> None:
    """Deletes temporaries of earlier saves to ``path`` whose writing process is gone (a save killed
    mid-write leaves one behind); those of a live process (a concurrent save) are left alone."""
    directory, name = os.path.split(path)
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]{{12}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            match = pattern.fullmatch(entry)
            if match and not _process_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, entry))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no permission to ask: assume alive
        return True
    return True


def _encode(key_path: tuple[Any, ...], value: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """One leaf as (the array stored in the file, its metadata record)."""
    where = _display(key_path)
    record: dict[str, Any] = {"path": jax.tree_util.keystr(key_path)}
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"save_checkpoint: {where} is a traced value; save outside jit/vmap/grad")
    if isinstance(value, bool | int | float | complex) and not isinstance(value, np.generic):
        type_name = next(n for n, t in _PYTHON_SCALARS.items() if isinstance(value, t))
        try:
            array = np.asarray(value)
        except OverflowError as e:
            raise TypeError(f"save_checkpoint: {where}: {value!r} does not fit in a 64-bit array") from e
        if array.dtype == object:
            raise TypeError(f"save_checkpoint: {where}: {value!r} does not fit in a 64-bit array")
        record.update(kind="python", python_type=type_name, shape=[], dtype=f"python {type_name}")
        record["storage"] = array.dtype.name
        return array, record
    if isinstance(value, jax.Array):
        if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
            data = np.asarray(jax.random.key_data(value))
            record.update(
                kind="jax_key",
                shape=list(value.shape),
                dtype=str(value.dtype),
                key_impl=str(jax.random.key_impl(value)),
                storage=data.dtype.name,
            )
            return data, record
        array = np.asarray(value)
        record.update(kind="jax", weak_type=bool(getattr(value, "weak_type", False)))
    elif isinstance(value, np.ndarray):
        array = value
        record["kind"] = "numpy"
    elif isinstance(value, np.generic):
        array = np.asarray(value)
        record["kind"] = "numpy_scalar"
    else:
        raise TypeError(
            f"save_checkpoint: {where} is a {type(value).__name__}, not an array or number: {value!r:.80}"
        )
    stored = _raw_view(where, array)
    record.update(shape=list(array.shape), dtype=array.dtype.name, storage=stored.dtype.name)
    return stored, record


def _raw_view(where: str, array: np.ndarray) -> np.ndarray:
    """``array`` in a dtype that ``.npz`` stores and reads back without pickling."""
    dtype = array.dtype
    if dtype.kind in "biufc" and dtype.type.__module__ == "numpy":
        return array
    if dtype.type.__module__.startswith("ml_dtypes") and dtype.itemsize in (1, 2, 4, 8):
        # NumPy writes these as opaque void records; their bits as unsigned integers round-trip exactly.
        # (np.array, not np.ascontiguousarray, which would turn a 0-d array into shape (1,).)
        contiguous = array if array.flags.c_contiguous else np.array(array, order="C")
        return contiguous.view(np.dtype(f"uint{8 * dtype.itemsize}"))
    raise TypeError(f"save_checkpoint: {where} has dtype {dtype}, which cannot be stored as numbers")


# ----------------------------------------------------------------------------------------- loading
def load_checkpoint(path: PathLike, like: Any) -> Any:
    """Reads a checkpoint written by :func:`save_checkpoint` into the structure of ``like``.

    Args:
      path: the checkpoint file.
      like: a template of the saved state's structure, e.g. the freshly initialized state of the run being
        resumed (built by the same code). Only its structure matters: its pytree definition (container
        types, lrjit schedule families and static fields, optax state types), its leaves' shapes and dtypes,
        and where its JAX arrays live. Its values are ignored; ``jax.ShapeDtypeStruct`` leaves (from
        ``jax.eval_shape``) stand for array leaves as well. A leaf saved as a Python number matches only a
        Python number of the same type (``jax.eval_shape`` turns those into int32/float32 structs).

    Returns:
      The saved state, with ``like``'s pytree definition and the saved leaves, bit for bit: each leaf comes
      back as the kind it was saved as (JAX array, typed PRNG key, NumPy array or scalar, Python number),
      with its dtype and JAX weak type. JAX arrays are placed with the sharding of ``like``'s leaf when that
      leaf is committed to devices (or is a ``ShapeDtypeStruct`` with a sharding), on the default device
      otherwise.

    Raises:
      CheckpointMismatchError: when the saved structure differs from ``like``'s; the message names the
        first differing path (in ``jax.tree_util.tree_flatten`` order) and what differs there, checkpoint
        first: ``"schedule: CosineDecay vs ExponentialDecay"``, ``"schedule.warmup_mode: 'constant' vs
        'linear'"``, ``"params['w']: shape (3, 4) vs (4, 4)"``. Nothing is cast or reshaped.
      CheckpointError: (a ValueError, the base of CheckpointMismatchError) when the file is not an lrjit
        checkpoint (truncated, foreign, not a zip), was written by a newer format version, is inconsistent
        with its own metadata or with ``like`` leaf by leaf (the file's per-leaf records are checked
        against the template, never trusted), holds a schedule outside its domain (loaded configs are
        validated as constructed ones are), or holds 64-bit JAX arrays while x64 is disabled. The message
        names the file and what is wrong.
    """
    path = os.fspath(path)
    try:
        state = _load(path, like)
    except (CheckpointError, FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # already clear, or no file to read at all
    # Anything else a malformed file provokes: a truncated zip, a broken JSON document, a missing entry,
    # an unknown dtype or PRNG implementation...
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        ValueError,
    ) as e:
        raise CheckpointError(f"{path} is not a readable lrjit checkpoint ({type(e).__name__}: {e})") from e
    # Configs come back without running their constructors: check them as construction would.
    for config in jax.tree_util.tree_leaves(state, is_leaf=lambda x: isinstance(x, Config)):
        if isinstance(config, Config):
            try:
                config.validate()
            except ValueError as e:
                raise CheckpointError(f"{path} holds an invalid {type(config).__name__}: {e}") from None
    return state


def _load(path: str, like: Any) -> Any:
    with np.load(path, allow_pickle=False) as npz:
        if _META_KEY not in npz.files:
            raise CheckpointError(f"{path} is not an lrjit checkpoint (no {_META_KEY} entry)")
        meta = json.loads(npz[_META_KEY].tobytes().decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else meta
            raise CheckpointError(f"{path} is not an lrjit checkpoint (format {found!r:.60})")
        if meta.get("version") != FORMAT_VERSION:
            raise CheckpointError(
                f"{path} has checkpoint format version {meta.get('version')}; this lrjit reads version "
                f"{FORMAT_VERSION}"
            )
        like_flat, like_treedef = jax.tree_util.tree_flatten(like)
        like_nodes, _ = _describe(like)
        diff = _first_difference(meta["nodes"], like_nodes)
        if diff is None and _normalize(meta["treedef"]) != _normalize(str(like_treedef)):
            # The node walk found nothing, but JAX's own fingerprint differs: report it whole.
            diff = ("<root>", f"structure {meta['treedef']} vs {like_treedef}")
        if diff is not None:
            where, detail = diff
            raise CheckpointMismatchError(
                f"checkpoint {path} does not match `like`: {where}: {detail} (checkpoint vs like)",
                where=where,
                detail=detail,
            )
        records = meta["leaves"]
        if not isinstance(records, list) or len(records) != len(like_flat):
            count = len(records) if isinstance(records, list) else records
            raise CheckpointError(
                f"{path}: metadata lists {count!r:.40} leaves, the structure has {len(like_flat)}"
            )
        leaves = []
        for i, (record, template) in enumerate(zip(records, like_flat, strict=True)):
            leaf = _decode(path, record, npz[f"leaf_{i}"], template)
            _check_against_template(path, record, leaf, template)
            leaves.append(leaf)
    return jax.tree_util.tree_unflatten(like_treedef, leaves)


def _check_against_template(path: str, record: dict[str, Any], leaf: Any, template: Any) -> None:
    """A decoded leaf must be what the template's leaf is (the file's own records are not trusted)."""
    where = record["path"]
    if isinstance(template, bool | int | float | complex) and not isinstance(template, np.generic):
        if type(leaf) is not type(template):
            kind = type(template).__name__
            raise CheckpointError(
                f"{path}: {where} holds a {type(leaf).__name__}, `like` has a Python {kind}"
            )
        return
    got = (tuple(np.shape(leaf)), str(leaf.dtype))
    want = (tuple(np.shape(template)), str(template.dtype))
    if got != want:
        raise CheckpointError(
            f"{path}: {where} holds {got[1]}{list(got[0])}, `like` has {want[1]}{list(want[0])}"
        )


def _decode(path: str, record: dict[str, Any], stored: np.ndarray, template: Any) -> Any:
    """One stored array back to the leaf it was saved from."""
    where = record["path"]
    shape = tuple(record["shape"])
    kind = record["kind"]
    if stored.dtype.name != record["storage"]:
        raise CheckpointError(
            f"{path}: {where} is stored as {stored.dtype}, its metadata says {record['storage']}"
        )
    if kind == "python":
        if stored.shape != ():
            raise CheckpointError(f"{path}: {where} should be a scalar, the file holds shape {stored.shape}")
        return _PYTHON_SCALARS[record["python_type"]](stored.item())
    if kind == "jax_key":
        if stored.shape[: len(shape)] != shape:
            raise CheckpointError(
                f"{path}: {where} has key data of shape {stored.shape} for keys of shape {shape}"
            )
        keys = jax.random.wrap_key_data(jnp.asarray(stored), impl=record["key_impl"])
        sharding = _target_sharding(template)
        return keys if sharding is None else jax.device_put(keys, sharding)
    dtype = jnp.dtype(record["dtype"])
    array = stored if stored.dtype == dtype else stored.view(dtype)
    if array.shape != shape:
        raise CheckpointError(f"{path}: {where} has shape {array.shape}, its metadata says {shape}")
    if kind == "numpy":
        return array
    if kind == "numpy_scalar":
        return array[()]
    sharding = _target_sharding(template)
    out = jnp.asarray(array) if sharding is None else jax.device_put(array, sharding)
    if out.dtype != dtype:
        # jnp would otherwise turn float64 into float32 (x64 disabled): refuse rather than cast.
        raise CheckpointError(
            f"{path}: {where} is a {dtype} JAX array, which JAX would convert to {out.dtype}; enable x64 "
            f"(jax.config.update('jax_enable_x64', True)) to load it"
        )
    if record.get("weak_type"):
        out = _weakly_typed(out)
    return out


def _target_sharding(template: Any) -> Any:
    """Where to place a restored JAX array: the template leaf's sharding if it pins one, else None."""
    if isinstance(template, jax.ShapeDtypeStruct):
        return template.sharding
    if isinstance(template, jax.Array) and not isinstance(template, jax.core.Tracer) and template.committed:
        return template.sharding
    return None


def _weakly_typed(x: jax.Array) -> jax.Array:
    """``x`` marked as weakly typed (as arrays made from Python scalars are).

    A weak type changes dtype promotion (a weak float32 times a bfloat16 array stays bfloat16), so a
    resumed step must see the same weak types as the saved one. JAX has no public constructor for it.
    """
    try:
        from jax._src.lax.lax import _convert_element_type
    except ImportError:  # pragma: no cover - depends on JAX internals
        warnings.warn(
            "load_checkpoint: this JAX cannot mark arrays as weakly typed; a weakly typed leaf is "
            "restored strongly typed",
            RuntimeWarning,
            stacklevel=3,
        )
        return x
    return _convert_element_type(x, x.dtype, weak_type=True)


# ------------------------------------------------------------------------------- structure walk
def _describe(tree: Any) -> tuple[list[dict[str, Any]], list[tuple[tuple[Any, ...], Any]]]:
    """Every node and leaf of ``tree`` in pre-order (JAX's flatten order), plus the leaves with paths.

    Each entry: ``where`` (a readable path), ``leaf`` and, for a leaf, its ``shape`` and ``dtype``; for a
    node, its ``type`` (qualified class name), ``aux`` (its static data, as a repr), ``static`` (an lrjit
    config's static fields by name) and ``keys`` (its children's keys).
    """
    entries: list[dict[str, Any]] = []
    leaves: list[tuple[tuple[Any, ...], Any]] = []

    def visit(node: Any, key_path: tuple[Any, ...]) -> None:
        def one_level(x: Any) -> bool:
            # Everything below ``node`` counts as a leaf: flattening then yields its direct children.
            return x is not node

        level = jax.tree_util.tree_structure(node, is_leaf=one_level)
        if level.node_data() is None:
            shape, dtype = _signature(node)
            entries.append({"where": _display(key_path), "leaf": True, "shape": shape, "dtype": dtype})
            leaves.append((key_path, node))
            return
        node_type, aux = level.node_data()
        children = jax.tree_util.tree_flatten_with_path(node, is_leaf=one_level)[0]
        entry: dict[str, Any] = {
            "where": _display(key_path),
            "leaf": False,
            "type": node_type.__qualname__,
            "module": node_type.__module__,
            "aux": _normalize(repr(aux)),
            "keys": [jax.tree_util.keystr(k) for k, _ in children],
        }
        if isinstance(node_type, type) and issubclass(node_type, Config):
            entry["static"] = {
                name: _normalize(repr(v)) for name, v in zip(static_names(node_type), aux, strict=True)
            }
        entries.append(entry)
        for child_path, child in children:
            visit(child, key_path + tuple(child_path))

    visit(tree, ())
    return entries, leaves


def _signature(x: Any) -> tuple[list[int], str]:
    """A leaf's (shape, dtype name); Python numbers are ``"python int"`` etc., distinct from arrays."""
    if isinstance(x, bool | int | float | complex) and not isinstance(x, np.generic):
        return [], "python " + next(n for n, t in _PYTHON_SCALARS.items() if isinstance(x, t))
    shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
    if shape is None or dtype is None:
        return [], type(x).__name__
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return [int(d) for d in shape], str(dtype)
    return [int(d) for d in shape], np.dtype(dtype).name


def _first_difference(saved: list[dict[str, Any]], like: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(path, what differs) at the first entry where the two pre-order walks disagree, or None."""
    for a, b in zip(saved, like, strict=False):  # a length difference is reported below
        where = a["where"]
        if a["where"] != b["where"]:
            return where, f"a different path ({a['where']} vs {b['where']})"
        if a["leaf"] != b["leaf"]:
            return where, f"{_what(a)} vs {_what(b)}"
        if a["leaf"]:
            parts = []
            if a["shape"] != b["shape"]:
                parts.append(f"shape {tuple(a['shape'])} vs {tuple(b['shape'])}")
            if a["dtype"] != b["dtype"]:
                parts.append(f"dtype {a['dtype']} vs {b['dtype']}")
            if parts:
                return where, ", ".join(parts)
            continue
        if a["type"] != b["type"]:
            return where, f"{a['type']} vs {b['type']}"
        static_a, static_b = a.get("static"), b.get("static")
        if static_a is not None and static_b is not None:
            for name, value in static_a.items():
                if static_b.get(name) != value:
                    field = name if where == "<root>" else f"{where}.{name}"
                    return field, f"{value} vs {static_b.get(name)}"
        if a["keys"] != b["keys"]:
            only_a = [k for k in a["keys"] if k not in b["keys"]]
            only_b = [k for k in b["keys"] if k not in a["keys"]]
            parts = []
            if only_a:
                parts.append("only in the checkpoint: " + ", ".join(only_a))
            if only_b:
                parts.append("only in like: " + ", ".join(only_b))
            return where, f"{a['type']} children differ ({'; '.join(parts) or 'order'})"
        if a["aux"] != b["aux"]:
            return where, f"{a['type']} static data {a['aux']} vs {b['aux']}"
    if len(saved) != len(like):
        longer = saved if len(saved) > len(like) else like
        return longer[min(len(saved), len(like))]["where"], f"{len(saved)} vs {len(like)} tree entries"
    return None


def _what(entry: dict[str, Any]) -> str:
    if entry["leaf"]:
        return f"a value {entry['dtype']}{list(entry['shape'])}"
    if entry["type"] == "NoneType":  # an unset optional field, e.g. CosineDecay without warmup_target
        return "None"
    return f"a {entry['type']}"


def _display(key_path: tuple[Any, ...]) -> str:
    """A readable path: ``params['w']``, ``opt_state[1].count``, ``schedule.warmup_mode``.

    Like ``jax.tree_util.keystr``, with a leading string dict key or attribute written as a bare name.
    """
    if not key_path:
        return "<root>"
    first, rest = key_path[0], key_path[1:]
    if isinstance(first, jax.tree_util.DictKey) and isinstance(first.key, str) and first.key.isidentifier():
        head = first.key
    elif isinstance(first, jax.tree_util.GetAttrKey):
        head = first.name
    else:
        head = jax.tree_util.keystr((first,))
    return head + jax.tree_util.keystr(tuple(rest))


def _normalize(text: str) -> str:
    return _ADDRESS.sub("", text)
