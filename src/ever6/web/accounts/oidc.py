"""Single sign-on with OpenID Connect (Microsoft Entra ID, or any provider), when configured.

A user signs in with their organisation account; their role comes from the identity provider's
``groups`` claim through ``EVER6_OIDC_ROLE_GROUPS`` (``group-id=role,...``). Nobody gets an
account, or keeps a role, that the mapping does not give: the provider decides who is who, and a
school user's schools are still set in ever6 by the Virtual School Head.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ever6.access import Role


def role_from_claims(claims: dict[str, Any], mapping: dict[str, str]) -> Role | None:
    """The first mapped role among the user's groups, in the order of :class:`Role` (most senior first)."""
    groups = set(claims.get("groups") or [])
    granted = {mapping[g] for g in groups if g in mapping}
    return next((role for role in Role if role.value in granted), None)


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    def _role(self, claims: dict[str, Any]) -> Role | None:
        return role_from_claims(claims, getattr(settings, "EVER6_OIDC_ROLE_GROUPS", {}))

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(super().verify_claims(claims)) and self._role(claims) is not None

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = super().create_user(claims)
        return self._apply(user, claims, {})  # audited as created, with the role it was given

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        from ever6.web.accounts.history import state

        return self._apply(user, claims, state(user))

    def _apply(self, user: Any, claims: dict[str, Any], before: dict[str, Any]) -> Any:
        from ever6.web.accounts.history import record_changes

        role = self._role(claims)
        user.role = role.value if role else ""
        user.first_name = claims.get("given_name", user.first_name)
        user.last_name = claims.get("family_name", user.last_name)
        if user.has_usable_password():
            user.set_unusable_password()  # signs in through the provider only
        user.save()
        # A role the provider's groups changed is an account change like any other.
        record_changes(getattr(self, "request", None), before, user, by="single sign-on")
        return user
