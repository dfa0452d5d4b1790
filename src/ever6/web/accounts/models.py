"""Users and their role: one role each, and for a school user the schools they act for."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from ever6.access import ROLE_LABELS, Role

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=ROLE_CHOICES, blank=True)
    schools = models.ManyToManyField("schools.School", blank=True, related_name="users")

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and self.role == Role.SCHOOL_DSL:
            raise ValidationError("A school user cannot be a superuser.")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)] if self.role in Role._value2member_map_ else "No role"
