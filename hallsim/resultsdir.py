"""Results folders that hallsim owns: it writes only there, and deletes only what it wrote.

A folder becomes a hallsim results folder when hallsim first writes into it;
``.hallsim-results.json`` (the *record*) then lists every file hallsim wrote
there.  The rules (README, "Your files are safe"):

- a missing or empty folder is claimed; a folder with a record is hallsim's;
  any other non-empty folder is refused (``OutputError``, exit 2) unless
  ``force``, and even then hallsim only writes beside what is there: it never
  overwrites or deletes a file that its record does not list;
- every file is written under a temporary name in the same folder and then
  renamed, so a file appears under its final name only when it is complete;
- while a command writes, it holds an exclusive lock on ``.hallsim.lock``
  (``fcntl.flock``: released by the kernel if the process dies); a second
  writer gets ``FolderBusy`` (exit 2) instead of mixing two runs' files;
- the record says ``complete: false`` while a command writes; a reader that
  finds it so knows the folder is incomplete (a disk filled up, a crash).

Folders written by hallsim before the record existed (a ``summary.json`` with
hallsim's metadata, or a sweep's ``manifest.json``) are adopted: hallsim's own
file names there count as its own.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

RECORD = ".hallsim-results.json"
LOCK = ".hallsim.lock"
_TMP_PREFIX = ".hallsim-tmp-"

_LEGACY_DIRS = ("plots", "scenarios", "parts")

RESULT_FILES = (
    "summary.json",
    "replications.parquet",
    "replications.csv",
    "periods.parquet",
    "periods.csv",
    "matters.parquet",
    "groups.parquet",
    "classes.parquet",
    "clerks.parquet",
    "citizens.parquet",
)
"""Files a run or compare may write at the top of its folder (scenario copies go in scenarios/)."""

MANIFEST = "manifest.json"
# our files in a sweep folder (the only ones --force removes)
OWN_FILES = (
    MANIFEST,
    "results.parquet",
    "results.csv",
    "summary.parquet",
    "summary.csv",
    "scenario.toml",
    "scenario.json",
)

# kinds of results that may replace each other in one folder
_FAMILY = {
    "run": "results",
    "compare": "results",
    "sweep": "sweep",
    "fit": "fit",  # the fit report beside a fitted scenario
    "backtest": "backtest",
    "optimise": "optimise",
}

MAX_NAME_CHARS = 80
"""Longest folder or file name derived from a scenario name (well below the
255-byte limit of common file systems, even for CJK characters of 3 bytes)."""


def json_safe(value: Any) -> Any:
    """JSON-safe, recursively: NaN and infinities → None, numpy scalars → Python numbers.

    The one JSON cleaner (results files and the command line's ``--json``); numpy is
    not imported: its scalars are recognised by their ``item`` method.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class OutputError(ValueError):
    """The output place is the user's mistake (exists as a file, not ours, unwritable): exit 2."""


class FolderBusy(OutputError):
    """Another hallsim process is writing into the folder: exit 2."""


class WriteFailed(OSError):
    """Writing failed part-way (disk full, I/O error): exit 1 with one line."""


def safe_name(label: str) -> str:
    """A file-system-safe folder or file name for a scenario's ``name`` (a label, not a path).

    Keeps letters of every script (``社保大厅`` stays as it is) and ``-_.+=,()``;
    replaces path separators, control and other characters with ``_``; never
    ``.``/``..``, never starting with a dot, never empty, at most
    MAX_NAME_CHARS characters.
    """
    text = unicodedata.normalize("NFC", str(label))
    chars = [c if (c.isalnum() or c in "-_.+=,()") and c.isprintable() else "_" for c in text]
    name = re.sub(r"_+", "_", "".join(chars)).strip(" ._") or "scenario"
    return name[:MAX_NAME_CHARS].rstrip(" .") or "scenario"


def _io_message(exc: OSError, path: Path) -> str:
    reason = exc.strerror or type(exc).__name__
    return f"{path}: {reason}"


class ResultsFolder:
    """One command's use of a results folder: check, lock, write atomically, record.

    ``kind`` names what the folder holds (run, compare, sweep, plot, report).
    With ``replace``, the files hallsim wrote there before and does not write
    again are deleted when the command finishes (a new run's folder never
    mixes in an old run's log or plots); without it (plot, report) files are
    only added.

    >>> with ResultsFolder(Path("results/x"), "run").open() as folder:  # doctest: +SKIP
    ...     folder.write_text("summary.json", "{}")
    """

    def __init__(self, path: str | os.PathLike, kind: str, *, force: bool = False, replace=True):
        text = os.fspath(path)
        if not str(text).strip():
            raise OutputError("--out: the folder name is empty")
        if "\x00" in text:
            raise OutputError(f"{text!r}: a folder name cannot contain a NUL character")
        self.path = Path(text)
        self.kind = kind
        self.force = force
        self.replace = replace
        self._owned: set[str] = set()
        self._written: set[str] = set()
        self._created_folder = False
        self._lock_fd: int | None = None

    # --- checks (read-only: nothing is written when they fail) ---------------

    def check(self) -> None:
        """Raise OutputError if this folder cannot be used; writes nothing."""
        p = self.path
        for parent in [p, *p.parents]:
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    where = "" if parent == p else f" (in --out {p})"
                    raise OutputError(f"{parent}: exists and is not a folder{where}")
                if not os.access(parent, os.W_OK | os.X_OK):
                    raise OutputError(f"{parent}: no permission to write here")
                break
        if not p.is_dir():
            return
        held = self.held_kind()
        if self.replace and held is not None and _FAMILY.get(held) != _FAMILY.get(self.kind):
            raise OutputError(
                f"{p}: holds the results of {_article(held)} {held}; choose another --out for "
                f"{_article(self.kind)} {self.kind}"
            )
        self._owned = self._read_owned()
        if (p / RECORD).exists():
            return
        foreign = [e.name for e in p.iterdir() if e.name not in (LOCK, RECORD)]
        legacy = self._legacy_owned()
        if legacy is not None:
            self._owned |= legacy
            return
        if foreign and not self.force:
            shown = ", ".join(sorted(foreign)[:3]) + (", …" if len(foreign) > 3 else "")
            raise OutputError(
                f"{p}: is not empty and not a hallsim results folder (holds {shown}); "
                "choose another --out, or add --force to write beside these files "
                "(hallsim never deletes or overwrites them)"
            )

    def check_free(self, rel: str) -> None:
        """Refuse to write ``rel`` if a file of the user's (not in the record) is there."""
        target = self.path / rel
        mine = rel in self._owned or rel in self._written  # written before, or this session
        if (target.exists() or target.is_symlink()) and not mine:
            raise OutputError(
                f"{target}: exists and was not written by hallsim; it is left alone "
                "(move it, or choose another --out)"
            )
        for parent in PurePosixPath(rel).parents:
            if str(parent) == ".":
                continue
            d = self.path / str(parent)
            if d.exists() and not d.is_dir():
                raise OutputError(f"{d}: exists and is not a folder")

    def held_kind(self) -> str | None:
        """What the folder holds: "run", "compare", "sweep", "optimise" (None: nothing
        of hallsim's)."""
        try:
            obj = json.loads((self.path / RECORD).read_text(encoding="utf-8"))
            if obj.get("kind") in _FAMILY:
                return obj["kind"]
        except (OSError, ValueError, AttributeError):
            pass
        if (self.path / "manifest.json").is_file() and self._legacy_owned() is not None:
            return "sweep"
        if (self.path / "summary.json").is_file() and self._legacy_owned() is not None:
            return "run"
        return None

    def _read_owned(self) -> set[str]:
        record = self.path / RECORD
        if not record.is_file():
            return set()
        try:
            obj = json.loads(record.read_text(encoding="utf-8"))
            return {str(f) for f in obj.get("files", [])}
        except (OSError, ValueError, AttributeError):
            return set()

    def _legacy_owned(self) -> set[str] | None:
        """Files of a folder written before the record existed, or None if it is not one."""
        p = self.path
        signature = False
        for name in ("summary.json", "manifest.json"):
            try:
                obj = json.loads((p / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(obj, dict) and (
                "hallsim" in obj or "scenario_hash" in obj or obj.get("kind") == "sweep"
            ):
                signature = True
        if not signature:
            return None
        names = {*RESULT_FILES, *OWN_FILES, "report.html"}
        owned = {e.name for e in p.iterdir() if e.is_file() and e.name in names}
        for d in _LEGACY_DIRS:
            if (p / d).is_dir():
                owned.add(d)
                owned |= {f.relative_to(p).as_posix() for f in (p / d).rglob("*") if f.is_file()}
        return owned

    # --- the write session ----------------------------------------------------

    @contextlib.contextmanager
    def open(self) -> Iterator[ResultsFolder]:
        """Check, create, lock; yield; then finish the record (or undo a bare creation)."""
        self.check()
        try:
            self._created_folder = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock()
        except OSError as exc:
            raise OutputError(_io_message(exc, self.path)) from None
        ok = False
        try:
            legacy = self._legacy_owned() if not (self.path / RECORD).exists() else None
            self._owned = self._read_owned() | (legacy or set())
            self._write_record(complete=False)
            yield self
            ok = True
        finally:
            try:
                if ok:
                    self._finish()
                elif not self._written:
                    self._undo_empty()
                else:
                    self._write_record(complete=False)
            finally:
                self._unlock()

    def _lock(self) -> None:
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl
        except ImportError:  # not POSIX: the record's pid is the only guard
            self._lock_fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise FolderBusy(
                    f"{self.path}: another hallsim command is writing into this folder; "
                    "wait for it to finish or choose another --out"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def _undo_empty(self) -> None:
        """Nothing was written (bad input found late, a failure): leave no trace."""
        if not self._owned:
            with contextlib.suppress(OSError):
                (self.path / RECORD).unlink()
            if self._created_folder:
                with contextlib.suppress(OSError):
                    (self.path / LOCK).unlink()
                    self.path.rmdir()
        else:
            self._write_record(complete=True)

    def _finish(self) -> None:
        if self.replace:
            for rel in sorted(self._owned - self._written):
                if (self.path / rel).is_dir():
                    continue  # a folder hallsim made goes when it is empty (_prune_dirs)
                with contextlib.suppress(FileNotFoundError):
                    (self.path / rel).unlink()
                self._owned.discard(rel)
                self._prune_dirs(rel)
        self._write_record(complete=True)

    def _prune_dirs(self, rel: str) -> None:
        for parent in PurePosixPath(rel).parents:
            if str(parent) == ".":
                return
            with contextlib.suppress(OSError):
                (self.path / str(parent)).rmdir()  # only if empty

    def save_record(self) -> None:
        """Write the record now (still incomplete): for files written by other processes."""
        self._write_record(complete=False)

    def _write_record(self, complete: bool) -> None:
        kind = self.kind if self.replace else (self.held_kind() or self.kind)
        obj = {
            "hallsim_results_folder": 1,
            "kind": kind,
            "complete": complete,
            "pid": os.getpid(),
            "files": sorted(self._owned | self._written),
        }
        text = json.dumps(obj, indent=1, ensure_ascii=False) + "\n"
        self._atomic(self.path / RECORD, lambda p: p.write_text(text, encoding="utf-8"))

    # --- writing files ---------------------------------------------------------

    def own(self, rel: str) -> Path:
        """Reserve ``rel`` (a relative POSIX path) for writing; returns its full path."""
        rel = PurePosixPath(rel).as_posix()
        if rel.startswith("/") or ".." in PurePosixPath(rel).parts:
            raise ValueError(f"not a path inside the results folder: {rel!r}")
        self.check_free(rel)
        target = self.path / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(_io_message(exc, target.parent)) from None
        return target

    def write(self, rel: str, writer: Callable[[Path], object]) -> Path:
        """Write ``rel`` with ``writer(temporary_path)``, then rename it into place."""
        target = self.own(rel)
        self._atomic(target, writer)
        self._written.add(PurePosixPath(rel).as_posix())
        return target

    def write_text(self, rel: str, text: str) -> Path:
        return self.write(rel, lambda p: p.write_text(text, encoding="utf-8"))

    def write_bytes(self, rel: str, data: bytes) -> Path:
        return self.write(rel, lambda p: p.write_bytes(data))

    def delete(self, rel: str) -> None:
        """Delete a file hallsim wrote (a no-op for anything else)."""
        rel = PurePosixPath(rel).as_posix()
        if (rel in self._owned or rel in self._written) and not (self.path / rel).is_dir():
            with contextlib.suppress(FileNotFoundError):
                (self.path / rel).unlink()
            self._owned.discard(rel)
            self._written.discard(rel)
            self._prune_dirs(rel)

    def owns(self, rel: str) -> bool:
        return PurePosixPath(rel).as_posix() in (self._owned | self._written)

    def adopt(self, rel: str) -> None:
        """Record a file written into the folder by other means (e.g. a sweep worker)."""
        self._written.add(PurePosixPath(rel).as_posix())

    @staticmethod
    def _atomic(target: Path, writer: Callable[[Path], object]) -> None:
        atomic_write(target, writer)


def atomic_write(target: Path, writer: Callable[[Path], object]) -> None:
    """``writer(tmp)`` into a temporary file beside ``target``, then ``os.replace``.

    On failure the temporary file is removed and ``target`` is as it was;
    an OSError becomes WriteFailed naming the file.
    """
    tmp = target.with_name(f"{_TMP_PREFIX}{uuid.uuid4().hex[:12]}-{target.name}")
    try:
        writer(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise WriteFailed(exc.errno, _io_message(exc, target)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


SIGNATURE = b"hallsim"
"""Files hallsim writes outside a results folder carry this in their first bytes
(PNG/PDF/SVG metadata, the report's ``<meta name="generator">``): such a file
may be replaced by a later command writing the same path."""


def _made_by_hallsim(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return SIGNATURE in head


def write_single_file(
    target: Path, writer: Callable[[Path], object], *, force: bool = False
) -> Path:
    """Write one file the user named (``plot --out``, ``report --out``), atomically.

    Inside a hallsim results folder the folder's rules apply (record, lock).
    Elsewhere nothing but the file is written, and an existing file is
    replaced only if hallsim made it (it carries SIGNATURE) or with ``force``.
    A parent that is a file, or a place without write permission, is an
    OutputError naming it.
    """
    target = Path(target)
    if not str(target).strip() or target.name in ("", ".", ".."):
        raise OutputError(f"--out {str(target)!r}: not a file name")
    if target.is_dir():
        raise OutputError(f"{target}: is a folder")
    if (target.parent / RECORD).is_file():
        with ResultsFolder(target.parent, "files", replace=False).open() as folder:
            if force:
                folder._owned.add(target.name)
            folder.write(target.name, writer)
        return target
    ResultsFolder(target.parent, "files", force=True).check()
    if (target.exists() or target.is_symlink()) and not force and not _made_by_hallsim(target):
        raise OutputError(
            f"{target}: exists and was not written by hallsim; "
            "add --force to replace it, or choose another --out"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(_io_message(exc, target.parent)) from None
    atomic_write(target, writer)
    return target


def _article(word: str) -> str:
    """'an optimise', 'a run': the message reads as English whatever the kind."""
    return "an" if word[:1].lower() in "aeiou" else "a"
