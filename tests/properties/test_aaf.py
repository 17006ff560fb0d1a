"""Properties of the AAF reader and validator (sdet_check/aaf) over generated requests.

A consistent AAF set whose values are replaced by arbitrary text (and whose files get stray
content) is always validated into findings, never a crash, every finding naming a known
rule; a request written by the generator's Record reads back to its attributes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdet_check.aaf.dtd import choose_dtd
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import ENCODINGS, Record
from sdet_check.aaf.model import Op
from sdet_check.aaf.reader import RequestStream, sniff
from sdet_check.aaf.rules import RULES
from sdet_check.errors import InputError
from tests.aaf.conftest import AafSet, base_records, file_name, run, write_file
from tests.strategies import budget

# Values any AAF file can carry: XML characters encodable in ISO-8859-15 (the narrower of
# the two encodings exports use), markup and separators included.
LATIN = st.characters(
    codec="iso-8859-15",
    exclude_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n") + "\r",
)
values = st.one_of(
    st.text(LATIN, max_size=20),
    st.sampled_from(["", " ", "$", "$$", "100$6A", "29/02/2013", "31/04/2024", "0750654D",
                     "<b>", "&amp;", "]]>", "N", "O", "9" * 30, "é" * 200]),
)  # fmt: skip


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aaf")


@st.composite
def edited_sets(draw: st.DrawFn) -> dict[Family, list[Record]]:
    """The base set with some attribute values, keys and operations replaced."""
    records = base_records()
    for _ in range(draw(st.integers(1, 6))):
        family = draw(st.sampled_from(sorted(records)))
        record = records[family][0]
        action = draw(st.sampled_from(["value", "value", "key", "drop", "op", "extra"]))
        if action == "value" and record.attributes:
            name, _ = draw(st.sampled_from(record.attributes))
            record.set(name, draw(st.lists(values, max_size=3)))
        elif action == "key":
            record.key = draw(values)
        elif action == "drop" and record.attributes:
            record.remove(draw(st.sampled_from(record.attributes))[0])
        elif action == "op":
            record.op = draw(st.sampled_from(list(Op)))
        elif action == "extra":
            record.set(
                draw(st.sampled_from(["ENTInconnu", "sn", "ENTPersonJointure"])), [draw(values)]
            )
    return records


@budget(ci=200)
@given(edited_sets(), st.sampled_from(["", "<stray/>", "texte libre", "<addRequest/>"]))
def test_any_edited_set_gives_findings_never_a_crash(
    workdir: Path, records: dict[Family, list[Record]], tail: str
) -> None:
    folder = workdir / "set"
    shutil.rmtree(folder, ignore_errors=True)
    aaf = AafSet(folder, records=records, options={Family.ELEVE: {"tail": tail}})
    aaf.write()
    result, findings = run(folder)
    assert result.records >= 0
    for finding in findings:
        assert finding.rule in RULES and finding.message


@budget(ci=200)
@given(st.binary(max_size=300), st.sampled_from(list(Family)))
def test_any_bytes_in_an_aaf_file_are_findings_or_input_error(
    workdir: Path, data: bytes, family: Family
) -> None:
    folder = workdir / "bytes"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / file_name(family)).write_bytes(data)
    try:
        _result, findings = run(folder)
    except InputError as refused:
        assert refused.problem and refused.fix
        return
    assert all(f.rule in RULES for f in findings)


people = [Family.ELEVE, Family.PERS_EDUC, Family.PERS_REL]


@st.composite
def records(draw: st.DrawFn) -> Record:
    """A request of a person family with arbitrary values for its attributes."""
    family = draw(st.sampled_from(people))
    base = base_records()[family][0]
    attributes = [
        (
            name,
            draw(st.lists(values.filter(lambda v: v.strip() == v and v), min_size=1, max_size=3)),
        )
        for name, _ in base.attributes
    ]
    return Record(Op.ADD, family, draw(values.filter(str.strip)), attributes)


@budget(ci=250)
@given(records())
def test_a_generated_request_reads_back_to_its_attributes(workdir: Path, record: Record) -> None:
    folder = workdir / "round"
    folder.mkdir(exist_ok=True)
    path = write_file(
        folder / file_name(record.family), [record], encoding=ENCODINGS[record.family]
    )
    source = sniff(path, path.name)
    problems: list[object] = []
    stream = RequestStream(source, choose_dtd(folder, None), lambda *a, **k: problems.append(a))
    (request,) = list(stream)
    assert request.op is Op.ADD
    assert request.key == record.key
    for name, written in record.attributes:
        read = request.attributes.get(name)
        assert read is not None, name
        if read:  # values of attributes no check reads are not kept
            assert list(read) == written, name
