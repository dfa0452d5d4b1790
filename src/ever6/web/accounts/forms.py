from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

from ever6.access import Role
from ever6.web.accounts.models import ROLE_CHOICES, User
from ever6.web.accounts.policy import role_choices, schools_without_contact
from ever6.web.schools.models import School


class UserForm(forms.ModelForm):
    """A Virtual School Head's form for an account: role, and schools for a school user.

    ``actor`` is who is saving it: the roles offered and the checks follow
    :mod:`ever6.web.accounts.policy`.
    """

    role = forms.ChoiceField(choices=ROLE_CHOICES, error_messages={"required": "Select a role"})
    school_urns = forms.CharField(
        required=False,
        label="Schools (URNs)",
        help_text="For a school user: the URN of each school they act for, separated by commas.",
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="At least 12 characters. Leave blank to keep the current password.",
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "role", "is_active")
        error_messages: ClassVar[dict[str, dict[str, str]]] = {"username": {"required": "Enter a username"}}

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        role: Any = self.fields["role"]
        role.choices = role_choices(actor)
        if self.instance.pk is not None and self.instance.pk == actor.pk:
            role.help_text = "You cannot change your own role."
        self.fields["email"].required = True
        self.fields["email"].error_messages["required"] = "Enter an email address"
        if self.instance.pk:
            self.initial["school_urns"] = ", ".join(self.instance.schools.values_list("urn", flat=True))

    def clean_school_urns(self) -> list[School]:
        urns = [u.strip() for u in self.cleaned_data.get("school_urns", "").split(",") if u.strip()]
        found = {s.urn: s for s in School.objects.filter(urn__in=urns)}
        missing = [u for u in urns if u not in found]
        if missing:
            raise forms.ValidationError(f"No school has the URN {', '.join(missing)}")
        return [found[u] for u in urns]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.SCHOOL_DSL and not data.get("school_urns"):
            self.add_error("school_urns", "Enter the URN of at least one school for a school user")
        if data.get("role") != Role.SCHOOL_DSL and data.get("school_urns"):
            self.add_error("school_urns", "Only school users act for schools: remove the URNs or choose that role")
        own = self.instance.pk is not None and self.instance.pk == self.actor.pk
        if own and data.get("role") != self.instance.role:
            self.add_error("role", "You cannot change your own role")
        if data.get("role") == Role.SCHOOL_DSL and data.get("school_urns") and data.get("email"):
            urns = [s.urn for s in data["school_urns"]]
            unnamed = schools_without_contact(data["email"], urns, timezone.localdate())
            if unnamed:
                self.add_error(
                    "school_urns",
                    f"{data['email']} is not the named DSL / CWSW lead or designated teacher of "
                    f"{', '.join(unnamed)} in the schools register: add them as a contact there first",
                )
        password = data.get("password")
        if not self.instance.pk and not password:
            self.add_error("password", "Enter a password for the new account")
        if password:
            # Compared with the account's names and email as entered, not only as saved before.
            candidate = User(
                username=data.get("username") or self.instance.username,
                email=data.get("email") or self.instance.email,
                first_name=data.get("first_name") or self.instance.first_name,
                last_name=data.get("last_name") or self.instance.last_name,
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        user.save()
        user.schools.set(self.cleaned_data.get("school_urns") or [])
        return user
