"""Reading npz files whose declared sizes are checked before any data.

``np.load`` trusts a file: a small npz can declare (or inflate to)
gigabytes.  :func:`read_npz` reads each member's ``.npy`` header first,
refuses object arrays and any declared shape or dtype other than those
expected, and then reads at most the declared number of bytes.
"""

import math
import zipfile

import numpy as np

#: Most members an npz may hold.
MEMBER_LIMIT = 64


def member_header(member):
    """``(dtype, shape, fortran_order)`` from the ``.npy`` header at the
    start of the open binary ``member``; ValueError if there is none."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise ValueError(f"npy format version {version} is not supported")
    if dtype.hasobject:
        raise ValueError("it holds Python objects (pickles are refused)")
    return dtype, shape, fortran


def read_member(archive, info, limit, expected):
    """The array of the zip member ``info``, its header checked first.

    ``expected`` is None or ``(dtype, shape)``; ValueError if the header
    differs, declares more than ``limit`` bytes, or the data are short.
    """
    with archive.open(info) as member:
        dtype, shape, fortran = member_header(member)
        nbytes = dtype.itemsize * math.prod(shape)
        if expected is not None and (dtype, shape) != (
            np.dtype(expected[0]),
            tuple(expected[1]),
        ):
            raise ValueError(
                f"{info.filename} declares {dtype} {shape}, expected "
                f"{np.dtype(expected[0])} {tuple(expected[1])}"
            )
        if nbytes > limit:
            raise ValueError(
                f"{info.filename} declares {nbytes} bytes, more than the "
                f"{limit} allowed"
            )
        array = np.empty(shape, dtype, order="F" if fortran else "C")
        got = read_into(member, memoryview(array.reshape(-1, order="A")))
        if got != nbytes or member.read(1):
            raise ValueError(
                f"{info.filename} holds other than the {nbytes} bytes of "
                "data its header declares"
            )
    return array


def read_into(member, view):
    """Fill the byte view ``view`` from ``member``; returns bytes read."""
    view, got = view.cast("B"), 0
    while got < len(view):
        count = member.readinto(view[got:])
        if not count:
            break
        got += count
    return got


def read_npz(file, limit, expected=None):
    """``{key: array}`` of the npz ``file`` (a path or a binary file).

    ``limit``: most bytes one array may declare; ``expected``: None, or
    ``{key: (dtype, shape)}``, the exact members required.  Raises
    ValueError (or zipfile.BadZipFile) naming what is wrong, before
    reading more than the declared sizes allow.
    """
    with zipfile.ZipFile(file) as archive:
        infos = archive.infolist()
        if len(infos) > MEMBER_LIMIT:
            raise ValueError(f"{len(infos)} members, at most {MEMBER_LIMIT}")
        keys = [info.filename.removesuffix(".npy") for info in infos]
        if expected is not None and sorted(keys) != sorted(expected):
            raise ValueError(
                f"it holds {sorted(keys)}, expected {sorted(expected)}"
            )
        return {
            key: read_member(archive, info, limit, expected and expected[key])
            for key, info in zip(keys, infos, strict=True)
        }
