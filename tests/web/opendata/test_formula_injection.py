"""No CSV the site serves lets a spreadsheet run a formula (issue #15): texts that start with =,
+, -, @, a tab or a carriage return are neutralised in every public CSV."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import sqlalchemy as sa

from participa.commitments import operations as commitments
from participa.core.db import utcnow
from tests.fixtures.accounts import create_user
from tests.fixtures.certification import closed_consultation
from tests.fixtures.proposals import proposal
from tests.fixtures.registry import create_organisation

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def test_every_public_csv_neutralises_formulas(client, session, uploads) -> None:
    closed = closed_consultation(session, choices=("approve", "reject"), secrecy="named")
    org = closed.people[0][0]
    org.legal_name = '=HYPERLINK("http://malo.example","clic")'
    create_organisation(session, legal_name="+56 9 1234 5678 Club", address="@calle falsa")
    staff = create_user(session, roles=["programme_staff"])
    first = commitments.list_commitments(session)[0]
    commitments.update_commitment(
        session,
        actor=staff,
        commitment=first,
        change={"description": "-1+2 cmd|' /C calc'!A0"},
        reason="=1+1",
        now=utcnow(),
    )
    proposal(session, closed, org, title='=HYPERLINK("http://malo.example","ver")', body="@SUM(1+1)*cmd|' /C calc'!A0")
    session.commit()
    # The roll keeps the names frozen with it: the dangerous one is the organisation's own now.
    from participa.consultations.models import RollEntry

    session.execute(sa.update(RollEntry).where(RollEntry.organisation_id == org.id).values(legal_name=org.legal_name))
    session.commit()

    paths = [urlsplit(r["path"]).path for r in client.get("/datos/datapackage.json").get_json()["resources"]]
    paths.append("/datos/compromisos.csv")
    seen_dangerous_text = 0
    for path in paths:
        body = client.get(path).get_data(as_text=True).lstrip("\ufeff")
        for row in csv.reader(io.StringIO(body), delimiter=";"):
            for cell in row:
                assert not cell.startswith(DANGEROUS) or cell.lstrip("-").replace(",", "").isdigit(), (path, cell)
                seen_dangerous_text += cell.startswith("'") and cell[1:2] in DANGEROUS
    assert seen_dangerous_text >= 6  # the texts were there, neutralised, not missing
    proposals = client.get("/datos/propuestas.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in proposals and "'@SUM" in proposals
