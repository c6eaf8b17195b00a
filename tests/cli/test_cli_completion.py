"""Shell completion, as the shells ask for it (Click's ``_CNS_COMPLETE`` protocol), and
``cns completion SHELL``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from tests.support.cli import CNS, CnsRunner

Complete = Callable[..., list[tuple[str, str]]]


@pytest.fixture
def complete(runner: CnsRunner) -> Complete:
    """``complete(line, shell="bash")``: the (type, value) pairs the completion answers for
    the last word of ``line`` (a trailing space completes a new, empty word)."""

    def run(line: str, shell: str = "bash") -> list[tuple[str, str]]:
        words = line.split()
        if line.endswith(" "):
            words.append("")
        env = {
            "_CNS_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": " ".join(words),
            "COMP_CWORD": str(len(words) - 1),
        }
        result = runner.invoke([], env=env)
        assert result.exit_code == 0, result.output
        if shell == "zsh":  # type, value, help: three lines per item
            lines = result.stdout.splitlines()
            return [(lines[i], lines[i + 1]) for i in range(0, len(lines), 3)]
        return [tuple(line.split(",", 1)) for line in result.stdout.splitlines() if line]  # type: ignore[misc]

    return run


@pytest.fixture
def values(complete: Complete) -> Callable[[str], list[str]]:
    """``values(line)``: the plain values the completion answers for ``line``."""
    return lambda line: [value for kind, value in complete(line) if kind == "plain"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cns recipe --accelerator g", ["gb200"]),
        ("cns recipe --gpu H", ["h100"]),  # case-insensitive
        ("cns recipe --accelerator ", ["a100", "gb200", "h100", "l40", "any"]),
        ("cns recipe --service e", ["eks"]),
        ("cns recipe --intent t", ["training"]),
        ("cns recipe --os u", ["ubuntu"]),
        ("cns recipe --os a", ["amazonlinux", "any"]),
        ("cns query --service g", ["gke"]),
        ("cns recipe -t j", ["json"]),
        ("cns bundle -d a", ["argocd"]),
        ("cns completion f", ["fish"]),
        ("cns rec", ["recipe"]),
        ("cns d", ["diff"]),
    ],
)
def test_values_are_filtered_by_the_typed_prefix(values, line, expected):
    assert values(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "cns recipe -s ex",
        "cns recipe --snapshot ex",
        "cns recipe -c ex",
        "cns recipe -o ex",
        "cns validate -r ex",
        "cns validate -s ex",
        "cns bundle -r ex",
        "cns bundle -o ex",
        "cns query -r ex",
        "cns diff ex",
        "cns diff a.yaml ex",
        "cns snapshot -o ex",
        "cns list -o ex",
    ],
)
def test_paths_are_left_to_the_shell(complete, line):
    assert complete(line) == [("file", "ex")]


def test_query_selectors_complete_key_by_key(values):
    assert values("cns query --service eks --selector comp") == ["components"]
    assert values("cns query --service eks --selector components.gpu-op") == [
        "components.gpu-operator"
    ]
    assert values("cns query --service eks --selector components.gpu-operator.values.driver.v") == [
        "components.gpu-operator.values.driver.version"
    ]
    assert "constraints.K8s\\.server\\.version" in values(
        "cns query --service eks --selector constraints."
    )
    assert values("cns query --service eks --selector constraints.K8s\\.ser") == [
        "constraints.K8s\\.server\\.version"  # an escaped dot is part of the key
    ]
    assert values("cns query --service eks --selector constraints.K8s.ser") == [
        "constraints.K8s\\.server\\.version"  # the same, the shell having eaten the backslash
    ]
    order = values("cns query --service eks --selector deploymentOrder.")
    assert order == [f"deploymentOrder.{i}" for i in range(len(order))]
    assert values("cns query --service bogus --selector comp") == []  # no error, no guess


def test_zsh_gets_the_same_answers(complete):
    assert complete("cns recipe --accelerator g", shell="zsh") == [("plain", "gb200")]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_the_shell(runner, shell):
    result = runner.invoke(["completion", shell])
    assert result.exit_code == 0, result.output
    assert "_CNS_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def test_completion_refuses_an_unknown_shell(runner):
    result = runner.invoke(["completion", "tcsh"])
    assert result.exit_code == 2
    assert "'tcsh' is not one of" in result.stderr


def test_bash_sources_the_script_and_completes_through_the_real_cns(tmp_path):
    """The script as bash runs it: source it, call the function it registers."""
    script = subprocess.run([CNS, "completion", "bash"], capture_output=True, text=True, check=True)
    (tmp_path / "cns.bash").write_text(script.stdout)
    probe = (
        f"source {tmp_path / 'cns.bash'}\n"
        f"COMP_WORDS=({CNS} recipe --accelerator g); COMP_CWORD=3\n"
        f"_cns_completion {CNS}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["gb200"]
