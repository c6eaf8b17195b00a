"""The bundle LRU: hits, bounds by entries and bytes, keys that tell options apart."""

from __future__ import annotations

from cns_core.bundle import BundleCache, BundleOptions, bundle_key, generate_bundle


def test_hits_evictions_and_bounds(store, gb200):
    built = []

    def build(deployer):
        def run():
            built.append(deployer)
            return generate_bundle(gb200, store, BundleOptions.parse(deployer=deployer))

        return run

    cache = BundleCache(max_entries=1)
    first = cache.get_or_build("helm", build("helm"))
    assert cache.get_or_build("helm", build("helm")) is first
    cache.get_or_build("argocd", build("argocd"))
    cache.get_or_build("helm", build("helm"))
    assert built == ["helm", "argocd", "helm"]
    assert len(cache) == 1

    tiny = BundleCache(max_bytes=10)
    tiny.get_or_build("helm", build("helm"))
    assert len(tiny) == 0


def test_keys_differ_by_body_and_by_options_but_not_by_spelling():
    body = b'{"componentRefs": []}'
    a = bundle_key(body, BundleOptions.parse(sets=["a:b=1"]))
    assert a == bundle_key(body, BundleOptions.parse(sets=[" a:b=1"]))
    assert a == bundle_key(body, BundleOptions.parse(sets=["a:b=1"], deployer="HELM"))
    assert a != bundle_key(body, BundleOptions.parse(sets=["a:b=2"]))
    assert a != bundle_key(body, BundleOptions.parse(sets=['a:b="1"']))
    assert a != bundle_key(body + b" ", BundleOptions.parse(sets=["a:b=1"]))
