"""Building ETSS files for tests, the demo and benchmarks: edit the demo file's lines, recompute the trailer.

The demo file is the project's own (:mod:`groupsales.demo_etss`). Not used by the running portal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from groupsales.demo_etss import DEMO_RATE_FILE, EtssTrailer, etss_bytes, rate_file_lines, write_etss_file
from groupsales.etss import AGE_BANDS

SAMPLE_NAME = DEMO_RATE_FILE.name


_written: set[Path] = set()


def sample_path() -> Path:
    """The demo rate file (with its sidecar) in ``settings.SAMPLES_DIR``, written once per process."""
    folder = Path(settings.SAMPLES_DIR)
    if folder.resolve() not in _written:
        write_etss_file(folder)
        _written.add(folder.resolve())
    return folder / SAMPLE_NAME


def sample_lines() -> list[str]:
    """The demo file's lines without the TRL line (and without line ends)."""
    return list(rate_file_lines())


def trailer(lines: Iterable[str], body_sha256: str) -> str:
    counted = EtssTrailer()
    for line in lines:
        counted.add(line)
    return counted.line(body_sha256)


def build_etss(lines: list[str]) -> bytes:
    """A whole file from its lines before TRL, with a correct trailer."""
    return etss_bytes(lines)


def with_header(lines: list[str], *, seq: int | None = None, load_type: str | None = None) -> list[str]:
    fields = lines[0].split("|")
    if seq is not None:
        fields[4] = f"{seq:06d}"
    if load_type is not None:
        fields[6] = load_type
    return ["|".join(fields), *lines[1:]]


def file_name(seq: int, state: str = "KY") -> str:
    return f"HUM_ETSS_SG_{state}_20261101_{seq:06d}.txt"


def write_etss(folder: Path, lines: list[str], *, seq: int, sidecar: bool = False) -> Path:
    """Write ``lines`` as sequence ``seq`` (header and name agree) into ``folder``."""
    data = build_etss(with_header(lines, seq=seq))
    path = folder / file_name(seq)
    path.write_bytes(data)
    if sidecar:
        (folder / f"{path.name}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
    return path


def generated_lines(*, plans: int, areas: int = 2, quarters: int = 4) -> Iterator[str]:
    """A synthetic KY FULL file body: ``plans`` age-rated medical plans × ``areas`` × ``quarters`` × 51
    bands (plus the sample's places), for benchmarks."""
    yield "HDR|2.1|HUMANA|12345|000001|20261101T0610Z|FULL|SG|20270101|20271231|KY"
    for p in range(plans):
        yield (
            f"PLN|12345KY{p + 1:07d}|HSG-{p}|KY|MED|Plan {p}|PPO|SILVER|AGE|Y|Y|EFFDATE|3|26|KYS001|KYN01|Y|"
            "3500.00|7000.00|6500.00|13000.00|20270101|20271231"
        )
    for a in range(areas):
        yield f"ARE|KY|KY-RA{a + 1:02d}|KY Area {a + 1}|COUNTY|20270101|20271231"
    for county in range(1, 240, 2):
        area = f"KY-RA{county % areas + 1:02d}"
        yield f"GEO|KY|COUNTY|21{county:03d}|21{county:03d}|{area}|KYS001|N|20270101|20271231"
    yield "GEO|KY|ZIP5|40202|21111|KY-RA02|KYS001|N|20270101|20271231"
    starts = ["0101", "0401", "0701", "1001"][:quarters]
    ends = ["0331", "0630", "0930", "1231"][:quarters]
    ends[-1] = "1231"
    for p in range(plans):
        for a in range(areas):
            for q, (start, end) in enumerate(zip(starts, ends, strict=True)):
                for i, band in enumerate(AGE_BANDS):
                    rate = Decimal(300 + i * 10 + p % 50 + q) + Decimal("0.25")
                    yield (
                        f"ARA|12345KY{p + 1:07d}|KY-RA{a + 1:02d}|2027{start}|2027{end}|{band}|{rate}|"
                        f"{rate * Decimal('1.2'):.2f}"
                    )


def write_generated(path: Path, *, plans: int, areas: int = 2, quarters: int = 4) -> Path:
    """Stream a generated file to ``path`` with its trailer (memory flat)."""
    sha = hashlib.sha256()
    counted = EtssTrailer()
    with open(path, "wb") as out:
        for line in generated_lines(plans=plans, areas=areas, quarters=quarters):
            data = f"{line}\n".encode()
            sha.update(data)
            out.write(data)
            counted.add(line)
        out.write(f"{counted.line(sha.hexdigest())}\n".encode())
    return path
