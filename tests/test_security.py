from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_with_production_settings_is_clean(tmp_path):
    # Production has run collectstatic (the Docker image does): without its manifest the check
    # warns (health.W001), which tests/test_run_default.py covers.
    env = {
        "STATIC_ROOT": str(tmp_path / "static"),
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECURE_HTTPS": "1",
        "SECRET_KEY": "a-production-secret-" + "x7Qp2ZrT9vLm4NcW8bYe" * 3,
        "ALLOWED_HOSTS": "support.example.test",
        "SITE_URL": "https://support.example.test",
        "STATIC_MANIFEST": "1",
        "EMAIL_HOST": "smtp.example.test",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_the_security_headers(client):
    response = client.get("/connexion/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_unknown_url_answers_a_french_404(client):
    response = client.get("/nexiste-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
