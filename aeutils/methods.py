"""Every model name the project knows, autoencoders and baselines, for the public API.

Names are declared once in :mod:`aeutils.registry` (a leaf that ``config`` reads);
``tests/test_keys.py`` checks that the builders (``models.MODELS``,
``baselines.BASELINES``) register the same names. Error messages, CLI choices and docs
read their lists from the registry.
"""

from __future__ import annotations

from . import registry

AUTOENCODERS: tuple[str, ...] = registry.AUTOENCODERS
METHODS: dict[str, str] = {
    **{name: "autoencoder" for name in registry.AUTOENCODERS},
    **{name: "baseline" for name in registry.BASELINES},
}
