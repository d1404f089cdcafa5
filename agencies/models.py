"""People and access: agencies, their brokers (agents) and agency principals."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

npn_validator = RegexValidator(r"^\d{1,10}$", "A National Producer Number is 1 to 10 digits (AGT-001).")


class Agency(models.Model):
    name = models.CharField(max_length=120, unique=True)
    phone = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Broker(models.Model):
    """A licensed agent of one agency. A principal sees every group of the agency; a broker their own."""

    class Role(models.TextChoices):
        BROKER = "BROKER", "Broker"
        PRINCIPAL = "PRINCIPAL", "Agency principal"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="brokers")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.BROKER)
    npn = models.CharField(
        "NPN", max_length=10, validators=[npn_validator], help_text="National Producer Number"
    )
    phone = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["agency__name", "user__last_name"]
        constraints = [models.UniqueConstraint(fields=["npn"], name="unique_broker_npn")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.agency})"

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_principal(self) -> bool:
        return self.role == self.Role.PRINCIPAL
