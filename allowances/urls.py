from __future__ import annotations

from django.urls import path, register_converter

from . import views
from .periods import format_period, parse_period


class PeriodConverter:
    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> object:
        return parse_period(value)  # a PeriodError (ValueError) makes the URL not match: 404

    def to_url(self, value: object) -> str:
        return value if isinstance(value, str) else format_period(value)  # type: ignore[arg-type]


register_converter(PeriodConverter, "period")

app_name = "allowances"

urlpatterns = [
    path("releve-heures/", views.statements, name="statements"),
    path("releve-heures/<period:period>/", views.statement, name="statement"),
    path("releve-heures/<period:period>/csv/", views.statement_csv, name="statement_csv"),
    path("releve-heures/<period:period>/pdf/", views.statement_pdf, name="statement_pdf"),
]
