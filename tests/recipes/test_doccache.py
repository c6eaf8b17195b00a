"""The command line's disk cache of the embedded recipe documents (cns_core.recipes.doccache):
a hit builds the same store as a parse, and anything amiss means a parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cns_core.recipes import doccache, load_store, reset_store_cache
from cns_core.recipes.datadir import read_data_files
from cns_core.recipes.store import _embedded_documents, parse_store

RECIPE = ["recipe", "--service", "eks", "--accelerator", "h100", "--os", "ubuntu"]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache on, in the test's own XDG_CACHE_HOME."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    doccache.enable()
    reset_store_cache()
    yield home
    doccache.enable(False)
    reset_store_cache()


def _cache_file(home: Path) -> Path:
    return home / "cns" / doccache.CACHE_FILE


def _parsed_store():
    doccache.enable(False)
    try:
        return parse_store(read_data_files(None))
    finally:
        doccache.enable()


def test_a_hit_gives_the_same_store_as_a_parse(cache_home):
    cold = load_store()
    assert _cache_file(cache_home).is_file()
    reset_store_cache()
    warm = load_store()
    assert warm is not cold
    assert warm == cold == _parsed_store()


def test_the_documents_from_the_cache_are_the_parsed_ones(cache_home):
    embedded = read_data_files(None).embedded
    parsed = _embedded_documents(embedded)
    cached = _embedded_documents(embedded)
    assert json.loads(_cache_file(cache_home).read_text())["documents"] == parsed
    assert cached == parsed
    assert list(cached) == list(parsed)


def test_changed_data_is_parsed_again(cache_home):
    data = read_data_files(None)
    _embedded_documents(data.embedded)
    changed = dict(data.embedded)
    changed["overlays/base.yaml"] += "\n# changed\n"
    calls: list[str] = []
    names = ["overlays/base.yaml"]

    def parse(rel: str) -> str:
        calls.append(rel)
        return rel

    assert doccache.documents(changed, names, parse) == {"overlays/base.yaml": "overlays/base.yaml"}
    assert calls == names  # the old cache's key differs: never used
    assert doccache.documents(changed, names, parse) == {"overlays/base.yaml": "overlays/base.yaml"}
    assert calls == names  # now cached for the changed data


def test_a_cache_with_another_key_or_a_forged_one_is_not_used(cache_home):
    files = {"a.yaml": "a: 1\n"}
    doccache.documents(files, ["a.yaml"], lambda rel: {"a": 1})
    held = json.loads(_cache_file(cache_home).read_text())
    held["key"] = "0" * 64
    held["documents"] = {"a.yaml": {"a": 2}}
    _cache_file(cache_home).write_text(json.dumps(held))
    assert doccache.documents(files, ["a.yaml"], lambda rel: {"a": 1}) == {"a.yaml": {"a": 1}}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"format": 1}',
        "\xff\xfe not json",
        '{"format": 1, "key": 3, "documents": []}',
    ],
)
def test_a_corrupt_cache_file_is_ignored(cache_home, text):
    cold = load_store()
    _cache_file(cache_home).write_text(text, encoding="latin-1")
    reset_store_cache()
    assert load_store() == cold


def test_an_unwritable_cache_dir_still_works(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    doccache.enable()
    reset_store_cache()
    try:
        assert load_store() == _parsed_store()
    finally:
        doccache.enable(False)
        reset_store_cache()
    assert blocker.read_text().startswith("a file")
    assert list(tmp_path.iterdir()) == [blocker]


def test_only_plain_json_documents_are_cached(cache_home):
    for value in ({1: "int key"}, (1, 2), float("nan"), {"when": object()}):
        doccache.documents({"a.yaml": "x"}, ["a.yaml"], lambda rel, v=value: {"v": v})
        assert not _cache_file(cache_home).exists()
    assert doccache.is_plain({"a": [1, 1.5, True, None, "s", {"b": -0.0}]})


def test_the_cache_is_off_outside_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(doccache, "_enabled", False)  # as a library or the web app starts
    reset_store_cache()
    load_store()
    reset_store_cache()
    assert list(tmp_path.iterdir()) == []


def test_the_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert doccache.cache_dir() == str(tmp_path / "cns")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert doccache.cache_dir() == str(tmp_path / "home" / ".cache" / "cns")


def _cns(args: list[str], env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    script = (
        "import sys\nfrom cns_core.cli import main\nsys.argv = ['cns', *sys.argv[1:]]\n"
        "try:\n    main()\nfinally:\n" + (code or "    pass\n")
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=False
    )


def test_recipe_json_with_a_warm_cache_does_not_import_yaml(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    args = [*RECIPE, "--intent", "inference", "-t", "json"]
    report = "    print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'ruamel')), file=sys.stderr)\n"
    cold = _cns(args, env, report)
    assert cold.returncode == 0, cold.stderr
    assert (tmp_path / "cns" / doccache.CACHE_FILE).is_file()
    warm = _cns(args, env, report)
    assert warm.returncode == 0, warm.stderr
    assert warm.stderr.strip() == "[]"
    assert warm.stdout == cold.stdout
    uncached = _cns(args, {**env, "XDG_CACHE_HOME": str(tmp_path / "other")})
    assert uncached.stdout == cold.stdout
