"""A seeded mutator of an 834 (issue 17): the hostile files the sandbox and the 999 writer must survive.

Each mutation is one of the ways files go wrong in practice (a segment lost, doubled or moved, a value
mangled or made a composite, a delimiter inside a value, counts and control numbers broken, a set or a
group repeated, the file cut short, a huge element); ``mutate(text, rng)`` applies one to three of them.
The same seed always gives the same file, so a failure names its seed and can be replayed.
"""

from __future__ import annotations

import random

JUNK = ["", "X", "Z", "0", "99", "-1", "1.5", "A:B", "6:1", "^", " ", "ÿ"[:0], "999999999999", "20271399",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3, "?", "!", "N", "Y", "18", "021", "D8", "RD8"]  # fmt: skip


def _segments(text: str) -> list[list[str]]:
    return [seg.strip("\r\n").split("*") for seg in text.split("~") if seg.strip("\r\n")]


def _join(segments: list[list[str]]) -> str:
    return "".join("*".join(seg) + "~\n" for seg in segments)


def _block(segments: list[list[str]], start_id: str, end_id: str) -> tuple[int, int] | None:
    start = next((i for i, s in enumerate(segments) if s[0] == start_id), None)
    end = next((i for i, s in enumerate(segments) if s[0] == end_id), None)
    return (start, end) if start is not None and end is not None and start < end else None


def _one(segments: list[list[str]], rng: random.Random) -> list[list[str]]:
    body = range(1, max(2, len(segments) - 1))  # never the ISA: that is FIL-001's, tried apart
    i = rng.choice(body)
    seg = segments[i]
    kind = rng.randrange(14)
    if kind == 0:
        del segments[i]
    elif kind == 1:
        segments.insert(i, list(seg))
    elif kind == 2 and i + 1 < len(segments):
        segments[i], segments[i + 1] = segments[i + 1], segments[i]
    elif kind in (3, 4) and len(seg) > 1:
        seg[rng.randrange(1, len(seg))] = rng.choice(JUNK)
    elif kind == 5 and len(seg) > 1:
        j = rng.randrange(1, len(seg))
        seg[j] = seg[j] + ":" + rng.choice(["1", "A", "", "Z"])  # a composite where none belongs
    elif kind == 6:
        seg.append(rng.choice(JUNK + ["", ""]))  # an extra (or trailing empty) element
    elif kind == 7:
        target = rng.choice(["SE", "GE", "IEA", "ST", "GS"])
        for s in segments:
            if s[0] == target and len(s) > 1:
                s[rng.randrange(1, len(s))] = rng.choice(JUNK)
    elif kind == 8 and (block := _block(segments, "ST", "SE")):
        segments[block[1] + 1 : block[1] + 1] = [list(s) for s in segments[block[0] : block[1] + 1]]
    elif kind == 9 and (block := _block(segments, "GS", "GE")):
        segments[block[1] + 1 : block[1] + 1] = [list(s) for s in segments[block[0] : block[1] + 1]]
    elif kind == 10:
        segments.insert(i, [rng.choice(["", "ZZZ", "N@1", "INS", "HD", "DTP", "LS", "LE"])])
    elif kind == 11 and len(seg) > 1:
        j = rng.randrange(1, len(seg))
        seg[j] = "A" * rng.choice([81, 300, 5000])
    elif kind == 12 and len(seg) > 1:
        j = rng.randrange(1, len(seg))
        seg[j] = seg[j][: rng.randrange(0, len(seg[j]) + 1)] + chr(rng.randrange(0x20, 0x7F)).replace("*", "")
    elif kind == 13:
        del segments[i : i + rng.randrange(1, 12)]
    return segments


def mutate(text: str, rng: random.Random) -> str:
    segments = _segments(text)
    for _ in range(rng.randint(1, 3)):
        segments = _one(segments, rng)
    out = _join(segments)
    if rng.random() < 0.05:
        out = out[: rng.randrange(len(out))]  # cut short
    return out
