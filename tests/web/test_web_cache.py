"""The one LRU (cns_core.lru): entry and weight bounds; and the bundle cache keys."""

from __future__ import annotations

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.criteria import Criteria
from cns_core.lru import LRUCache
from cns_core.recipes import build_recipe
from cns_web.cache import CachedBundle, body_digest, bundle_key


def test_hits_and_eviction_by_count():
    cache: LRUCache[str] = LRUCache(2)
    built = []

    def build(value):
        def run():
            built.append(value)
            return value

        return run

    assert cache.get_or_build("a", build("A")) == ("A", False)
    assert cache.get_or_build("a", build("A")) == ("A", True)
    cache.get_or_build("b", build("B"))
    cache.get("a")  # a is now the most recently used
    cache.get_or_build("c", build("C"))
    assert cache.get("b") is None and cache.get("a") == "A" and len(cache) == 2
    assert built == ["A", "B", "C"]
    off: LRUCache[str] = LRUCache(0)
    off.put("a", "A")
    assert len(off) == 0


def test_eviction_by_weight_and_values_too_heavy_to_keep():
    cache: LRUCache[bytes] = LRUCache(100, max_weight=10, weight=len)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.weight == 10 and len(cache) == 2
    cache.put("c", b"123")
    assert cache.get("a") is None and cache.weight == 8
    cache.put("b", b"1")  # replacing an entry recounts its weight
    assert cache.weight == 4
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None and cache.weight == 4


def test_an_entry_heavier_than_its_own_bound_is_not_kept_and_clear_forgets_all():
    cache: LRUCache[bytes] = LRUCache(100, max_weight=16, weight=len, max_entry_weight=4)
    cache.put("a", b"1234")
    cache.put("b", b"12345")  # within max_weight, over max_entry_weight
    assert cache.get("a") == b"1234" and cache.get("b") is None and cache.weight == 4
    cache.clear()
    assert cache.get("a") is None and len(cache) == 0 and cache.weight == 0


def test_cached_bundle_holds_only_the_zip_and_headers(store):
    gb200 = build_recipe(
        Criteria.parse({"service": "eks", "accelerator": "gb200", "intent": "training"}), store
    )
    bundle = generate_bundle(gb200, store, BundleOptions.parse(accelerated_node_selector=["a=b"]))
    entry = CachedBundle.of(bundle)
    assert entry.zip == bundle.zip and entry.checksum == bundle.checksum
    assert (entry.file_count, entry.size, entry.warnings) == (
        bundle.file_count,
        bundle.size,
        bundle.warnings,
    )
    assert not hasattr(entry, "files")
    assert len(bundle.zip) < entry.weight < len(bundle.zip) + 2048


def test_keys_differ_by_body_and_by_options_but_not_by_spelling():
    body = body_digest("json", b'{"componentRefs": []}')
    a = bundle_key(body, BundleOptions.parse(sets=["a:b=1"]))
    assert a == bundle_key(body, BundleOptions.parse(sets=[" a:b=1"]))
    assert a == bundle_key(body, BundleOptions.parse(sets=["a:b=1"], deployer="HELM"))
    assert a != bundle_key(body, BundleOptions.parse(sets=["a:b=2"]))
    assert a != bundle_key(body, BundleOptions.parse(sets=['a:b="1"']))
    other = BundleOptions.parse(sets=["a:b=1"])
    assert a != bundle_key(body_digest("json", b'{"componentRefs": []} '), other)
    assert a != bundle_key(body_digest("yaml", b'{"componentRefs": []}'), other)


def test_a_body_posted_again_with_other_options_is_parsed_once(client, store, monkeypatch):
    from cns_core.recipes import RecipeResult
    from cns_web.blueprints import bundle as view

    parsed = []
    real = RecipeResult.from_dict
    monkeypatch.setattr(
        view.RecipeResult, "from_dict", lambda *a, **k: parsed.append(1) or real(*a, **k)
    )
    recipe = build_recipe(Criteria.parse({"service": "eks", "accelerator": "h100"}), store)
    body = recipe.to_dict()
    answers = [
        client.post(f"/v1/bundle?set=gpu-operator:driver.version={v}", json=body)
        for v in ("580.1", "580.2", "580.1")
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-Bundle-Cache"] for a in answers] == ["miss", "miss", "hit"]
    assert len(parsed) == 1  # the second build reused the parsed body
    options = BundleOptions.parse(sets=["gpu-operator:driver.version=580.2"])
    assert answers[1].data == generate_bundle(recipe, store, options).zip
    bad = {**body, "componentRefs": "nope"}
    for _ in range(2):  # an invalid body is refused every time
        assert client.post("/v1/bundle", json=bad).status_code == 400
