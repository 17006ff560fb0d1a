"""The national nomenclatures of a set: subjects and MEFs, with their defects if wanted."""

from __future__ import annotations

from sdet_check.aaf import names
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.model import Op


def write_subjects(output: Output) -> None:
    """Write the subjects (AAF-OPATTR-001 and AAF-OP-001 if wanted)."""
    take = output.ledger.take
    records = [
        Record(Op.ADD, Family.MATIERE, code,
                [("ENTMatJointure", [code]), ("ENTLibelleMatiere", [label])])
        for code, label in names.SUBJECTS
    ]  # fmt: skip
    if take("AAF-OPATTR-001"):
        records[1].category_name = "categorieMatier"
        records[1].note = ("AAF-OPATTR-001", "catégorie « categorieMatier »")
    for record in records:
        output.write(record)
    if take("AAF-OP-001"):
        code = names.SUBJECTS[-1][0]
        file = output.writer(Family.MATIERE).write(Record(Op.DELETE, Family.MATIERE, code, []))
        output.ledger.record("AAF-OP-001", file, code, "deleteRequest dans un fichier Complet")


def write_mefs(output: Output) -> None:
    """Write the MEFs of collège and lycée (AAF-DTD-001 and AAF-KEY-001 if wanted)."""
    take = output.ledger.take
    seen: list[Record] = []
    for kind in ("college", "lycee"):
        for _, mef, label, _subjects in names.LEVELS[kind]:
            record = Record(
                Op.ADD, Family.MEF, mef,
                [("ENTMefJointure", [mef]), ("ENTLibelleMef", [label]),
                 ("ENTMEFRattach", [mef]), ("ENTMEFSTAT11", [mef[:1] + "1" + mef[1:10]])],
            )  # fmt: skip
            if len(seen) == 1 and take("AAF-DTD-001"):
                record.extra_xml = "<commentaire>MEF de test</commentaire>\n"
                record.note = ("AAF-DTD-001", "élément <commentaire> dans attributes")
            output.write(record)
            seen.append(record)
    if take("AAF-KEY-001"):
        duplicate = seen[0]
        file = output.write(Record(Op.ADD, Family.MEF, duplicate.key, duplicate.attributes))
        output.ledger.record("AAF-KEY-001", file, duplicate.key, "MEF ajouté deux fois")
