"""Hashed, compressed static files once collected; the files as they are until then.

WhiteNoise's CompressedManifestStaticFilesStorage finds each file's hashed name in the manifest
collectstatic writes. Without it (a plain `manage.py runserver` with DEBUG off, a deployment
that skipped collectstatic) every page asking for a stylesheet was a 500 (« Missing staticfiles
manifest entry »). Here the pages link the plain names instead, as in DEBUG, which WhiteNoise then
serves from the app directories (settings.py turns WHITENOISE_USE_FINDERS on in that case), and a
system check (health/system_checks.py) says to run collectstatic. collectstatic itself is
unchanged: it uses this storage, writes the manifest, and the next start serves the hashed files.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A manifest collectstatic wrote always has its hash; a missing one loads as ({}, "").
        self.collected = bool(self.manifest_hash)

    def stored_name(self, name: str) -> str:
        if not self.collected:
            return name
        return super().stored_name(name)
