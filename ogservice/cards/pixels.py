"""A read-only numpy view of a Pillow image's pixels without copying them.

Pillow exports an image's memory through the Arrow C data interface: RGB and RGBA images are a
fixed-size list of four uint8 per pixel (RGB keeps a padding byte). Reading a few thousand sample
pixels from that view avoids copying a whole region out first (a crop plus `tobytes` of a title's
box is ~1 MB of copying per measurement). Images Pillow cannot export in one piece (larger than
its 16 MB block) fall back to a copy.

Pillow 11.2 added the export, but up to 12.3 exporting an image that borrows its memory (such as
`Image.fromarray` of an RGBA array) crashes the process, so 13.0 is the floor (pyproject.toml
says the same); an older Pillow stops the import here rather than a worker later.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import PIL
from PIL import Image

PILLOW_FLOOR = (13, 0)
if tuple(int(part) for part in PIL.__version__.split(".")[:2]) < PILLOW_FLOOR:
    raise ImportError(f"ogservice needs Pillow >= 13.0, found {PIL.__version__}: pip install -U pillow")


class _ArrowArray(ctypes.Structure):
    """struct ArrowArray of the Arrow C data interface (a stable ABI)."""


_ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


@contextmanager
def pixels(image: Image.Image) -> Iterator[np.ndarray]:
    """(height, width, 4) uint8 view of an RGB or RGBA image, valid inside the `with` block only."""
    if image.mode not in ("RGB", "RGBA"):
        raise ValueError(f"pixels() needs an RGB or RGBA image, not {image.mode}")
    exported = _export(image)
    if exported is None:
        yield np.frombuffer(image.tobytes("raw", "RGBX"), np.uint8).reshape(image.height, image.width, 4)
        return
    array = ctypes.cast(_capsule_pointer(exported, b"arrow_array"), ctypes.POINTER(_ArrowArray)).contents
    values = array.children[0].contents  # the uint8 child of the fixed-size list
    buffer = ctypes.cast(values.buffers[1], ctypes.POINTER(ctypes.c_uint8))
    view = np.ctypeslib.as_array(buffer, shape=(image.height, image.width, 4))
    view.flags.writeable = False
    try:
        yield view
    finally:
        del view, buffer, values, array
        del exported  # the capsule's destructor releases Pillow's export


def in_place(image: Image.Image) -> bool:
    """Whether `pixels(image)` is a view of the image's own memory (else it is a copy)."""
    return image.mode in ("RGB", "RGBA") and _export(image) is not None


def _export(image: Image.Image) -> object | None:
    """The image's Arrow array capsule, or None for an image Pillow keeps in several blocks."""
    try:
        return image.__arrow_c_array__()[1]
    except ValueError:
        return None
