"""The open-data catalogue and its Frictionless data package (issue #15): every public CSV is
described with a Table Schema, and the frictionless library validates the package against the
files the site serves, on both legs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from frictionless import Package

from tests.fixtures.certification import closed_consultation
from tests.fixtures.registry import create_organisation
from tests.web.support import text


def test_the_data_package_validates_against_the_live_downloads(client, session, uploads, tmp_path: Path) -> None:
    closed_consultation(session, choices=("approve", "reject", "approve"), secrecy="named")
    create_organisation(session, legal_name='=HYPERLINK("http://malo.example","clic")')
    descriptor = client.get("/datos/datapackage.json").get_json()
    names = [resource["name"] for resource in descriptor["resources"]]
    assert {"organizaciones", "compromisos-versiones", "cumplimiento"} <= set(names)
    assert any(name.endswith("-padron") for name in names) and any(name.endswith("-votos") for name in names)
    schemas = {resource["name"]: resource["schema"] for resource in descriptor["resources"]}
    # References between datasets are declared, so that the validation below checks them too.
    assert {"fields": ["comuna_cut"], "reference": {"resource": "comunas", "fields": ["cut"]}} in schemas["proyectos"][
        "foreignKeys"
    ]
    assert schemas["resultados"]["foreignKeys"] and schemas["organizaciones"]["foreignKeys"]
    for resource in descriptor["resources"]:
        response = client.get(urlsplit(resource["path"]).path)
        assert response.status_code == 200, resource["path"]
        if resource["name"] == "organizaciones":  # a name a spreadsheet would run is shown, not run
            assert "'=HYPERLINK" in response.get_data(as_text=True)
        local = tmp_path / f"{resource['name']}.csv"
        local.write_bytes(response.data)
        resource["path"] = local.name
    report = Package(descriptor, basepath=str(tmp_path)).validate()
    problems = report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.valid, problems[:20]


def test_the_catalogue_page_lists_each_dataset_with_its_files_and_licence(client, session) -> None:
    page = text(client.get("/datos"))
    assert "Datos abiertos" in page and "Creative Commons Atribución 4.0" in page
    for path in ("/datos/organizaciones.csv", "/datos/organizaciones.json", "/datos/cumplimiento.csv"):
        assert path in page
    assert "Cumplimiento del programa de gobierno" in page and "<code>fulfilled</code>" in page


def test_the_dcat_catalogue_names_every_dataset_with_its_downloads(client, session) -> None:
    package = client.get("/datos/datapackage.json").get_json()
    response = client.get("/datos/catalogo.jsonld")
    assert response.mimetype == "application/ld+json"
    catalogue = response.get_json()
    assert catalogue["@type"] == "dcat:Catalog" and catalogue["dct:license"]["@id"].startswith(
        "https://creativecommons"
    )
    identifiers = [d["dct:identifier"] for d in catalogue["dcat:dataset"]]
    assert identifiers == [r["name"] for r in package["resources"]]
    for dataset in catalogue["dcat:dataset"]:
        urls = [d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]]
        assert any(url.endswith(".csv") for url in urls)
        for url in urls:
            assert client.get(urlsplit(url).path).status_code == 200
