"""The sources root belongs to the departments: `make run` never creates, changes or deletes anything in it.

Real runs of scripts/demo.py (what `make run` runs) on a department's copy of the small simulator root, checksummed
before and after: the SHA-256 of every file and the list of files and folders must be identical. Default data is
generated only when no root is configured, and only into $LAKEHOUSE_HOME/sources.
"""
from __future__ import annotations

import importlib.util
import shutil

import pytest

from tests.crash.demo_run import REPO, fingerprint, prepare_home, run_demo, summary


@pytest.mark.slow
def test_make_run_leaves_a_configured_root_byte_identical(small_run):
    # the session's small run: a department's copy of the small root, fingerprinted before its first `make run`
    # (tests/crash/test_kill9.py runs `make run` there again: the root must stay identical through all of them)
    department_root, home, before, code, out = small_run
    assert any(k.startswith("samr/") for k in before) and len(before) > 20
    assert code == 0, summary(out)
    assert f"sources root: {department_root} (configured by LAKEHOUSE_SOURCES_ROOT" in out
    assert "published now: version" in out, summary(out)
    assert fingerprint(department_root) == before
    assert not (home / "sources").exists()  # nothing generated anywhere when a root is configured


@pytest.mark.slow
def test_a_root_without_the_registry_gets_no_registry_file(small_root, tmp_path):
    root = tmp_path / "no-registry"
    shutil.copytree(small_root, root, ignore=lambda folder, names: ["samr.db"] if folder.endswith("samr") else [])
    before = fingerprint(root)
    assert "samr" in before and "samr/samr.db" not in before
    home = tmp_path / "home"
    prepare_home(home)
    code, out = run_demo(home, root, tmp_path / "run.log")
    assert "S1 registry: none" in out, summary(out)
    assert not (root / "samr" / "samr.db").exists()
    assert fingerprint(root) == before, summary(out)


def _demo_module(monkeypatch, enterprises: int):
    monkeypatch.setenv("LAKEHOUSE_DEMO_ENTERPRISES", str(enterprises))
    spec = importlib.util.spec_from_file_location("demo_under_test", REPO / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_data_only_when_no_root_is_configured(monkeypatch, tmp_path, capsys):
    from resources.settings import LakehouseSettings

    demo = _demo_module(monkeypatch, 200)
    home = tmp_path / "home"

    # a configured root is used as it is, even an empty one: nothing is generated into it
    configured = tmp_path / "configured"
    configured.mkdir()
    monkeypatch.setenv("LAKEHOUSE_SOURCES_ROOT", str(configured))
    root, ours, said = demo.sources_root(LakehouseSettings(home=str(home)))
    assert (root, ours) == (configured, False) and "configured by LAKEHOUSE_SOURCES_ROOT" in said
    assert list(configured.iterdir()) == [] and not home.exists()

    # a configured root that does not exist is an error, and is not created
    monkeypatch.setenv("LAKEHOUSE_SOURCES_ROOT", str(tmp_path / "missing"))
    with pytest.raises(SystemExit, match="no such folder"):
        demo.sources_root(LakehouseSettings(home=str(home)))
    assert not (tmp_path / "missing").exists()

    # no root configured: the default data is generated once, into $LAKEHOUSE_HOME/sources
    monkeypatch.delenv("LAKEHOUSE_SOURCES_ROOT")
    root, ours, said = demo.sources_root(LakehouseSettings(home=str(home)))
    assert (root, ours) == (home / "sources", True) and "generated now" in said
    assert (root / "samr" / "samr.db").is_file()
    assert sorted(p.name for p in home.iterdir()) == ["sources"]  # the scratch folder was renamed into place
    generated = fingerprint(root)
    root, ours, said = demo.sources_root(LakehouseSettings(home=str(home)))
    assert "generated earlier" in said and fingerprint(root) == generated
