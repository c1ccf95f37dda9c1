"""Every model name the project knows, autoencoders and baselines, with their builders.

Names are declared once in :mod:`aeutils.registry` (a leaf that ``config`` reads);
this module maps them to the classes that build them. Error messages, CLI choices
and docs read their lists from the registry.
"""

from __future__ import annotations

from . import registry
from .baselines import BASELINES
from .models import MODELS

AUTOENCODERS: tuple[str, ...] = registry.AUTOENCODERS
METHODS: dict[str, str] = {
    **{name: "autoencoder" for name in registry.AUTOENCODERS},
    **{name: "baseline" for name in registry.BASELINES},
}
BUILDERS: dict[str, type] = {**MODELS, **BASELINES}
