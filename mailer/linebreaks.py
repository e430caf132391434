"""The characters that end a line, as Python's ``str.splitlines``, mail clients and the ``email``
package (which folds a header there) see them: none may reach an email header.

CR and LF, and also VT, FF, the file/group/record separators, NEL (U+0085) and the Unicode line
and paragraph separators (U+2028, U+2029): a list cell can carry the last three through the
loader, which removes C0 controls only (review 8).
"""

from __future__ import annotations

__all__ = ["LINE_BREAKS", "UNICODE_LINE_BREAKS"]

UNICODE_LINE_BREAKS = "\x85\u2028\u2029"
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e" + UNICODE_LINE_BREAKS
