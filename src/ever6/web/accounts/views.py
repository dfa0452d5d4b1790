"""Signing in and out, the home page that sends each role to its area, and user management."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ever6.access import Capability, Role
from ever6.web.accounts.forms import UserForm
from ever6.web.accounts.history import record_changes, state
from ever6.web.accounts.models import User
from ever6.web.accounts.policy import may_change
from ever6.web.guard import require, viewer

HOME_BY_ROLE = {
    Role.VS_HEAD: "dashboard:index",
    Role.VS_OFFICER: "dashboard:index",
    Role.DATA_MANAGER: "datamgmt:index",
    Role.SCHOOL_DSL: "portal:index",
    Role.AUDITOR: "audit:index",
    Role.SOCIAL_WORKER: "events:index",
    Role.FINANCE: "grant:index",
}


class SignIn(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.conf import settings

        return {**super().get_context_data(**kwargs), "title": "Sign in", "oidc": settings.OIDC_ENABLED}


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = viewer(request).role
    if role is None:
        return render(request, "accounts/no_role.html", {"title": "No role yet"}, status=403)
    return redirect(HOME_BY_ROLE[role])


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    return render(request, "accounts/locked_out.html", {"title": "Too many attempts to sign in"}, status=429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/csrf.html", {"title": "Your form has expired"}, status=403)


@require(Capability.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    accounts = list(User.objects.order_by("username").prefetch_related("schools"))
    changeable = {a.pk for a in accounts if may_change(request.user, a)}  # others only a superuser changes
    return render(request, "accounts/users.html", {"title": "Users", "accounts": accounts, "changeable": changeable})


@require(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id) if user_id else None
    if account is not None and not may_change(request.user, account):
        raise PermissionDenied("only a superuser changes a superuser's or a Virtual School Head's account")
    before = state(account)
    form = UserForm(request.POST or None, instance=account, actor=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            record_changes(request, before, saved)
        messages.success(request, f"Saved the account {saved.username}.")
        return HttpResponseRedirect(request.build_absolute_uri("/accounts/users/"))
    title = f"Edit {account.username}" if account else "New user"
    return render(
        request,
        "accounts/user_form.html",
        {"title": title, "form": form, "account": account, "page_error": bool(form.errors)},
        status=400 if form.errors else 200,
    )
