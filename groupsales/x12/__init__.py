"""ANSI X12 834 (005010X220A1) as ``edi-834-companion.md`` narrows it: write, read, check, acknowledge.

Both the portal (which writes files) and the carrier sandbox (which receives, checks and
processes them) use this package, so it never imports Django.

- ``model``: the writer's input (``Envelope``, ``Header``, ``Member``, ``Family``, ``Counts``)
- ``writer``: ``write_834`` (streaming) and ``render_834``
- ``sanitize``: the guide's "Data" clean-up, shared with the carrier's name matching (FIL-010)
- ``parser``: ``parse_834``, ``iter_segments``, ``is_interchange`` (FIL-001)
- ``validate``: ``pyx12_issues``, ``companion_issues`` (FIL-003/004/005), ``precheck``
- ``ack999``: ``build_999``

``validate`` and ``ack999`` load pyx12; import them explicitly where needed.
"""

from .model import Address, Counts, Coverage, Employment, Envelope, Family, Header, Member, member_from_api
from .parser import ParsedInterchange, ParsedMember, Segment, is_interchange, iter_segments, parse_834
from .sanitize import clean_email, clean_name_for_match, clean_text
from .writer import CountMismatchError, WriteResult, render_834, write_834

__all__ = [
    "Address",
    "CountMismatchError",
    "Counts",
    "Coverage",
    "Employment",
    "Envelope",
    "Family",
    "Header",
    "Member",
    "ParsedInterchange",
    "ParsedMember",
    "Segment",
    "WriteResult",
    "clean_email",
    "clean_name_for_match",
    "clean_text",
    "is_interchange",
    "iter_segments",
    "member_from_api",
    "parse_834",
    "render_834",
    "write_834",
]
