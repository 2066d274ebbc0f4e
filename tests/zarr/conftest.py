"""Shared fixtures of the zarr codec tests: the MANGO fixture directory and copies of it."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

MANGO = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "mango"


@pytest.fixture
def mango_dir() -> Path:
    """The read-only MANGO fixtures beside the repository checkout."""
    assert MANGO.is_dir(), f"fixtures missing at {MANGO}"
    return MANGO


@pytest.fixture
def fixture_copy(tmp_path: Path, mango_dir: Path) -> Path:
    """A writable copy of every Zarr fixture, in tmp_path."""
    for name in ("tomoLoRes.zarr", "tomoHiRes.zarr", "tomoLoRes_SS_AM.zarr", "generic.ome.zarr"):
        shutil.copytree(mango_dir / name, tmp_path / name)
    return tmp_path


def ngff_schema_errors(document: Any, schema: str, version: str = "0.5") -> list[str]:
    """What the official OME-NGFF JSON schema ``schema`` (``strict_image``, ``bf2raw``, ...) of
    ``version`` finds wrong in ``document`` (the attributes of a group), as shipped by
    ngff-zarr; empty when it validates."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = importlib.util.find_spec("ngff_zarr")
    assert spec is not None and spec.submodule_search_locations, "ngff-zarr is not installed"
    folder = Path(spec.submodule_search_locations[0]) / "spec" / version / "schemas"
    schemas = {file.stem: json.loads(file.read_text()) for file in folder.glob("*.schema")}
    resources = [
        (found["$id"], Resource.from_contents(found, default_specification=DRAFT202012))
        for found in schemas.values()
    ]
    chosen = schemas[schema]
    validator = validator_for(chosen, default=Draft202012Validator)
    checker = validator(chosen, registry=Registry().with_resources(resources))
    return [f"{list(e.absolute_path)}: {e.message}" for e in checker.iter_errors(document)]
