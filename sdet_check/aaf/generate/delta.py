"""The Delta set of the next day: a few changes to the Complet set just written."""

from __future__ import annotations

from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.model import Kind, Op


def write_delta(output: Output, pupils: list[tuple[str, str, str]], staff: list[str]) -> None:
    """Next day: two pupils change regime, one leaves, a staff member's mail changes.

    ``pupils`` are key, structure and class of pupils of the Complet set, ``staff`` keys of
    its staff; AAF-DELTA-001 (a pupil nobody knows) is added if wanted.
    """
    for key, structure, class_code in pupils[:2]:
        record = Record(
            Op.MODIFY, Family.ELEVE, key,
            [("ENTEleveClasses", [f"{structure}${class_code}"]),
             ("ENTEleveRegime", ["DEMI-PENSIONNAIRE DANS L'ETAB."])],
        )  # fmt: skip
        output.write(record, Kind.DELTA)
    for key, _, _ in pupils[2:3]:
        output.write(Record(Op.DELETE, Family.ELEVE, key, []), Kind.DELTA)
    for key in staff[:1]:
        record = Record(Op.MODIFY, Family.PERS_EDUC, key, [("mail", [f"{key}@exemple.fr"])])
        output.write(record, Kind.DELTA)
    if output.ledger.take("AAF-DELTA-001"):
        record = Record(Op.MODIFY, Family.ELEVE, "1999998", [("ENTEleveRegime", ["INTERNE"])])
        file = output.write(record, Kind.DELTA)
        output.ledger.record("AAF-DELTA-001", file, "1999998", "modification d'un élève inconnu")
