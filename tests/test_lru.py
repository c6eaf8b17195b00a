"""The memos of cns_core.lru: by key, and by the identity of immutable inputs."""

from __future__ import annotations

from cns_core.lru import IdentityMemo, LRUCache


class _Data:
    """An immutable input (as a recipe store or a parsed recipe is)."""


def test_identity_memo_finds_a_value_by_its_objects_and_rest():
    memo = IdentityMemo[str](LRUCache(8))
    one, other = _Data(), _Data()
    built: list[str] = []

    def build(text: str):
        return lambda: built.append(text) or text

    assert memo.get_or_build((one,), "a", build("1a")) == "1a"
    assert memo.get_or_build((one,), "a", build("again")) == "1a"  # kept
    assert memo.get_or_build((one,), "b", build("1b")) == "1b"  # another rest
    assert memo.get_or_build((other,), "a", build("2a")) == "2a"  # an equal-looking object
    assert memo.get_or_build((one, other), "a", build("12a")) == "12a"
    assert built == ["1a", "1b", "2a", "12a"]


def test_identity_memo_holds_its_objects_so_their_ids_stay_theirs():
    memo = IdentityMemo[int](LRUCache(8))
    memo.get_or_build((_Data(),), None, lambda: 1)  # the only reference is the memo's
    for _ in range(100):  # new objects never get the held one's id
        assert memo.get_or_build((_Data(),), None, lambda: 2) == 2


def test_identity_memo_is_bounded_and_cleared():
    memo = IdentityMemo[int](LRUCache(2, max_weight=10, weight=lambda entry: entry[1]))
    held = [_Data() for _ in range(3)]
    for i, data in enumerate(held):
        memo.get_or_build((data,), None, lambda i=i: i + 4)  # weights 4, 5, 6
    rebuilt: list[int] = []
    assert memo.get_or_build((held[0],), None, lambda: rebuilt.append(0) or 0) == 0  # evicted
    assert memo.get_or_build((held[2],), None, lambda: rebuilt.append(2) or 2) == 6  # kept
    memo.clear()
    assert memo.get_or_build((held[2],), None, lambda: 7) == 7
    assert rebuilt == [0]
