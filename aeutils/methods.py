"""Every model name the project knows, autoencoders and baselines, in one registry.

Error messages, CLI choices and docs read their lists from here.
"""

from __future__ import annotations

from .baselines import BASELINES
from .models import MODELS

AUTOENCODERS: tuple[str, ...] = tuple(MODELS)
METHODS: dict[str, str] = {
    **{name: "autoencoder" for name in MODELS},
    **{name: "baseline" for name in BASELINES},
}
