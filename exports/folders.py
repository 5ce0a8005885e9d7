"""Writing an export into a folder: never outside the allowed roots, never over what is there.

A folder checked when the form was sent can be swapped for a symbolic link by
the time the worker writes, so nothing here trusts a path twice. The
destination is opened one component at a time from "/" with O_NOFOLLOW, and
everything below it is made relative to directory descriptors: folders with
mkdir (which fails on anything already there, links included) and files with
O_CREAT | O_EXCL | O_NOFOLLOW. Once a descriptor is open, renaming or relinking
the path it came from no longer changes where the bytes go.
"""

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from exports.naming import numbered_name

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_MOST_NUMBERED_FOLDERS = 999


class UnsafeFolder(Exception):
    """A destination that cannot be written safely; the message says why, for the user."""


@contextlib.contextmanager
def opened(descriptor: int) -> Iterator[int]:
    """Close a directory descriptor when the block ends."""
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def open_destination(path: str, roots: Iterable[Path]) -> int:
    """The folder at path, opened without following a link anywhere on the way.

    Refused unless path lies in one of roots (resolved paths) and every component
    from "/" down is a real folder.
    """
    folder = Path(path)
    roots = list(roots)
    if not folder.is_absolute() or ".." in folder.parts:
        raise UnsafeFolder(f"{path} is not a plain absolute path.")
    if not any(folder == root or folder.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots) or "nowhere (SP404_EXPORT_ROOTS is empty)"
        raise UnsafeFolder(f"Exports may only be written under: {allowed}. {path} is not.")
    descriptor = os.open("/", _FOLDER_FLAGS)
    for name in folder.parts[1:]:
        with opened(descriptor) as parent:
            descriptor = open_folder(parent, name, shown_as=path)
    return descriptor


def open_folder(parent: int, name: str, *, create: bool = False, shown_as: str = "") -> int:
    """The folder name inside parent (made first if create), refused if it is a link."""
    if name in ("", ".", "..") or "/" in name:
        raise UnsafeFolder(f"{name!r} is not a folder name an export writes.")
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, dir_fd=parent)
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except OSError as error:
        raise UnsafeFolder(
            f"Cannot write into {shown_as or name}: {_why_not(parent, name, error)}"
        ) from None


def create_beside(parent: int, name: str) -> tuple[str, int]:
    """A new, empty folder called name, or "name 2", "name 3"... when that is taken.

    mkdir creates or fails in one step, so two exports racing for a name, or a
    file or link already called that, can never end up sharing a folder.
    """
    for number in range(1, _MOST_NUMBERED_FOLDERS + 1):
        candidate = name if number == 1 else numbered_name(name, number)
        try:
            os.mkdir(candidate, dir_fd=parent)
        except FileExistsError:
            continue
        except OSError as error:
            raise UnsafeFolder(f"Cannot create the folder {candidate}: {error.strerror}.") from None
        return candidate, open_folder(parent, candidate)
    raise UnsafeFolder(f"There are already {_MOST_NUMBERED_FOLDERS} folders named {name}.")


@contextlib.contextmanager
def new_file(folder: int, relative: str) -> Iterator[BinaryIO]:
    """An empty file to fill, which takes its name inside folder only if the block succeeds.

    Only for the export's own folder: the file is written beside its name
    (".partial") and renamed over it, so a file a killed run left under that
    name is completed, not kept.
    """
    with _holding(folder, relative, create=True) as (directory, name):
        partial = f"{name}.partial"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial, dir_fd=directory)  # left by a killed run
        output = os.fdopen(os.open(partial, _NEW_FILE_FLAGS, 0o644, dir_fd=directory), "w+b")
        try:
            with output:
                yield output
            os.rename(partial, name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial, dir_fd=directory)
            raise


def open_file(folder: int, relative: str) -> BinaryIO:
    """A file below folder, opened for reading without following a link on the way."""
    with _holding(folder, relative) as (directory, name):
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.fdopen(os.open(name, flags, dir_fd=directory), "rb")


@contextlib.contextmanager
def _holding(folder: int, relative: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
    """(the folder that holds relative's last part, that part), open while the block runs."""
    *subfolders, name = relative.split("/")
    directory = os.dup(folder)
    for subfolder in subfolders:
        with opened(directory) as parent:
            directory = open_folder(parent, subfolder, create=create)
    with opened(directory):
        yield directory, name


def read_text(folder: int, name: str, limit: int = 1 << 20) -> str:
    """The start of a text file in folder, or "" when it is missing or not a plain file."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError:
        return ""
    with os.fdopen(descriptor, "rb") as text:
        if not stat.S_ISREG(os.fstat(text.fileno()).st_mode):
            return ""
        return text.read(limit).decode("ascii", errors="replace")


def _why_not(parent: int, name: str, error: OSError) -> str:
    """Why name in parent could not be opened as a folder, in words."""
    try:
        mode = os.lstat(name, dir_fd=parent).st_mode
    except FileNotFoundError:
        return f"{name} does not exist (is the card mounted?)."
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return f"{name} is a symbolic link, and exports never follow links."
    if mode and not stat.S_ISDIR(mode):
        return f"{name} is a file, not a folder."
    return f"{name}: {error.strerror}."
