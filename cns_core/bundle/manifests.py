"""A component's recipe manifests: Helm templates shipped in the recipe data.

Both deployers render them: the umbrella chart under ``templates/<component>/``, the
Argo CD output in a small chart per component (``<component>/manifests/``). The
templates read the component's values as ``index .Values "<component>"`` and deploy to
``.Release.Namespace``.
"""

from __future__ import annotations

import posixpath

from ..errors import InvalidRequestError
from ..recipes.store import RecipeStore
from .plan import BundleComponent


def component_manifests(store: RecipeStore, component: BundleComponent) -> dict[str, str]:
    """The component's manifests by file name, in recipe order, each ending with a newline.

    A manifest missing from the recipe data, or two with the same file name, is an error.
    """
    out: dict[str, str] = {}
    for path in component.ref.manifest_files:
        text = store.file(path)
        if text is None:
            raise InvalidRequestError(
                f"component {component.name}: manifest {path!r} is not in the recipe data"
            )
        name = posixpath.basename(path)
        if name in out:
            raise InvalidRequestError(
                f"component {component.name}: two manifests share the file name "
                f"{name!r}; rename one"
            )
        out[name] = text if text.endswith("\n") else text + "\n"
    return out
