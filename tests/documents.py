"""Read PDFs as a person would: page count, extracted text, rasterised pages, raw streams."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} absent en CI : .ci/run doit installer poppler-utils")
        pytest.skip(f"{tool} absent (apt-get install poppler-utils)")
    return found


def pdf_pages(path: Path) -> int:
    info = subprocess.run(
        [need("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    command = [need("pdftotext"), "-layout"]
    if first is not None:
        command += ["-f", str(first)]
    if last is not None:
        command += ["-l", str(last)]
    return subprocess.run(
        [*command, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_streams(data: bytes) -> bytes:
    """Every stream of a PDF, inflated when compressed, to search the raw content."""
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            chunks.append(match.group(1))
    return b"\n".join(chunks)


def rasterise(path: Path, page: int, out: Path, dpi: int = 70) -> Path:
    prefix = out.with_suffix("")
    subprocess.run(
        [need("pdftoppm"), "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
         "-singlefile", str(path), str(prefix)],
        check=True, capture_output=True,
    )  # fmt: skip
    return prefix.with_suffix(".png")


def pdf_bytes_text(data: bytes) -> str:
    """The text of a PDF given as bytes (pdftotext on a temporary copy)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(data)
        return pdf_text(path)
