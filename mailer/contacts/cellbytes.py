"""Arrow text columns read as their UTF-8 bytes (numpy), for questions about ASCII characters.

"Does any cell hold a double quote?", "which cells start with '='?": a regular expression
answers by running over every cell; here one numpy pass over the column's bytes does, about
ten times faster. Exact for ASCII characters only: in UTF-8 an ASCII byte is never part of
another character's encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["bytes_of", "holding", "may_hold", "may_hold_c1", "may_hold_run"]


def bytes_of(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets): the UTF-8 bytes of a large_string array without nulls, end to end, and
    where each cell starts in them (``len(cells) + 1`` offsets, the first 0, the last the end)."""
    import numpy as np

    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int64)[cells.offset : cells.offset + len(cells) + 1]
    values = cells.buffers()[2]
    if values is None or not len(cells):
        return np.zeros(0, dtype=np.uint8), offsets - offsets[0] if len(offsets) else np.zeros(1, dtype=np.int64)
    data = np.frombuffer(values, dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data, offsets - offsets[0]


def _lookup(characters: Sequence[str]) -> np.ndarray:
    import numpy as np

    if not all(character.isascii() and len(character) == 1 for character in characters):
        raise ValueError(f"ASCII characters only, not {characters!r}")
    wanted = np.zeros(256, dtype=bool)
    wanted[[ord(character) for character in characters]] = True
    return wanted


def holding(cells: pa.Array, characters: Sequence[str], *, first: bool = False) -> pa.Array | None:
    """Which cells (large_string, no nulls) hold one of these ASCII characters, as a boolean array;
    with ``first``, which start with one. None when no cell does."""
    import numpy as np
    import pyarrow as pa

    wanted = _lookup(characters)
    data, offsets = bytes_of(cells)
    starts, ends = offsets[:-1], offsets[1:]
    if first:
        found = np.zeros(len(cells), dtype=bool)
        filled = ends > starts
        found[filled] = wanted[data[starts[filled]]]
        return pa.array(found) if found.any() else None
    marks = wanted[data]
    if not marks.any():
        return None
    seen = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(marks, dtype=np.int64)])
    return pa.array(seen[ends] > seen[starts])


def may_hold_run(cells: pa.Array, characters: Sequence[str], run: str) -> bool:
    """False only when no cell holds one of ``characters`` nor the text ``run`` (ASCII, two characters).

    A True may be wrong (a run split between two cells): a quick test before an exact one.
    """
    data, _ = bytes_of(cells)
    if _lookup(characters)[data].any():
        return True
    first, second = (ord(character) for character in run)
    return bool(((data[:-1] == first) & (data[1:] == second)).any())


def may_hold(cells: pa.Array, texts: Sequence[str]) -> bool:
    """False only when no cell holds one of ``texts`` (any characters, compared as UTF-8 bytes).

    A True may be wrong (a text split between two cells): a quick test before an exact one.
    """
    data = bytes_of(cells)[0].tobytes()
    wanted = [text.encode("utf-8") for text in texts if text]
    present = {code[0]: code[:1] in data for code in wanted}  # one quick pass per first byte
    return any(present[code[0]] and code in data for code in wanted)


def may_hold_c1(cells: pa.Array) -> bool:
    """Whether a cell holds one of the C1 control characters (U+0080 to U+009F, NEL among them):
    in UTF-8, the byte 0xC2 before one of 0x80 to 0x9F, which no other character is written as.
    Exact (a cell of UTF-8 text never ends in 0xC2)."""
    import numpy as np

    data, _ = bytes_of(cells)
    lead = np.flatnonzero(data[:-1] == 0xC2)  # few: U+0080 to U+00BF (no-break space, °, £, «, »)
    if not len(lead):
        return False
    follows = data[lead + 1]
    return bool(((follows >= 0x80) & (follows <= 0x9F)).any())
