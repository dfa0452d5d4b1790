"""Bulk import of training records, on the shared import page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ever6.access import Capability
from ever6.web.guard import require
from ever6.web.training import importers


@require(Capability.PARTNERSHIP)
def import_records(request: HttpRequest) -> HttpResponse:
    """Training records are imported on the shared import page (kind ``training``)."""
    return redirect(reverse("schools:import") + "?kind=" + importers.KIND)
