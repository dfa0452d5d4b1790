"""The grant ledger's forms, with GOV.UK error messages. Refused: a negative or malformed amount,
a date outside the financial year, a spend line without a strand. Nothing is saved from a
refused form (:func:`ever6.web.forms.saved_on_post`)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from ever6.web.forms import DateField
from ever6.web.grant.models import Category, GrantYear, Strand, year_bounds, year_label, year_months

MAX_AMOUNT = Decimal("9999999999.99")
_MONEY_TEXT = re.compile(r"^-?\d+(\.\d{1,2})?$")


class MoneyField(forms.Field):
    """Pounds and pence, typed as ``12500``, ``12,500.00`` or ``£12,500``; never negative."""

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        self.what = what
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"required": f"Enter {what.lower()}"})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, Decimal):
            return value
        text = str(value or "").strip().replace(",", "").replace("£", "").replace(" ", "")
        if not text:
            return None
        if not _MONEY_TEXT.match(text):
            raise forms.ValidationError(f"{self.what} must be an amount in pounds and pence, like 1250.50")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise forms.ValidationError(f"{self.what} must be an amount in pounds, like 1250.50") from exc
        if amount < 0:
            raise forms.ValidationError(f"{self.what} must be £0 or more")
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(f"{self.what} must be less than £10,000,000,000")
        return amount.quantize(Decimal("0.01"))

    def prepare_value(self, value: Any) -> Any:
        return f"{value:.2f}" if isinstance(value, Decimal) else value


def within_year(day: date | None, start_year: int, what: str) -> None:
    first, last = year_bounds(start_year)
    if day is not None and not first <= day <= last:
        raise forms.ValidationError(
            f"{what} must be in the financial year {year_label(start_year)}: "
            f"between 1 April {first.year} and 31 March {last.year}"
        )


class YearForm(forms.Form):
    start_year = forms.IntegerField(
        required=True,
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "Enter the year the financial year starts in, like 2025",
            "invalid": "The year the financial year starts in must be a number, like 2025",
            "min_value": "The year must be 2000 or later",
            "max_value": "The year must be 2100 or earlier",
        },
    )
    baseline = MoneyField(what="Baseline", required=True)
    top_up = MoneyField(what="Top-up")
    determination_ref = forms.CharField(
        max_length=100, error_messages={"required": "Enter the grant determination reference"}
    )
    mou_signed_on = DateField(what="Date the MoU was signed", not_future=True)
    mou_signatory = forms.CharField(max_length=150, required=False)
    la_top_up = MoneyField(what="Local authority top-up funding")
    la_top_up_note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, instance: GrantYear | None = None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["start_year"].disabled = True  # a year's months and payments hang on it

    def clean_start_year(self) -> int:
        value: int = self.cleaned_data["start_year"]
        others = GrantYear.objects.filter(start_year=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"The ledger already has the year {year_label(value)}")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start = data.get("start_year")
        if start is not None:
            try:
                within_year(data.get("mou_signed_on"), start, "The date the MoU was signed")
            except forms.ValidationError as exc:
                self.add_error("mou_signed_on", exc)
        if data.get("mou_signed_on") and not (data.get("mou_signatory") or "").strip():
            self.add_error("mou_signatory", "Enter who signed the MoU")
        return data


class PaymentForm(forms.Form):
    due_on = DateField(what="Due date", required=True, error_messages={"required": "Enter the due date"})
    expected = MoneyField(what="Expected amount", required=True)
    received_on = DateField(what="Date received", not_future=True)
    received = MoneyField(what="Amount received")

    def __init__(self, *args: Any, start_year: int, **kwargs: Any) -> None:
        self.start_year = start_year
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, what in (("due_on", "The due date"), ("received_on", "The date received")):
            try:
                within_year(data.get(name), self.start_year, what)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        if data.get("received_on") and data.get("received") is None and "received" not in self.errors:
            self.add_error("received", "Enter the amount received")
        if data.get("received") is not None and not data.get("received_on") and "received_on" not in self.errors:
            self.add_error("received_on", "Enter the date the payment was received")
        return data


def month_field(kind: str, index: int) -> str:
    return f"{kind}_{index}"


class SpendLineForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices, error_messages={"required": "Select the category of spend"})
    strand = forms.ChoiceField(
        choices=Strand.choices, error_messages={"required": "Select the strand of the role this spend serves"}
    )
    description = forms.CharField(
        max_length=200, error_messages={"required": "Enter a description, for example the post's title"}
    )
    fte = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(99),
        max_digits=5,
        decimal_places=2,
        error_messages={
            "invalid": "FTE must be a number, like 0.5",
            "min_value": "FTE must be 0 or more",
            "max_value": "FTE must be 99 or less",
            "max_decimal_places": "FTE must have no more than 2 decimal places",
        },
    )

    def __init__(self, *args: Any, start_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.months = year_months(start_year)
        for i, month in enumerate(self.months, start=1):
            name = f"{month:%B %Y}"
            self.fields[month_field("actual", i)] = MoneyField(what=f"Actual spend in {name}")
            self.fields[month_field("forecast", i)] = MoneyField(what=f"Forecast for {name}")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fte") is not None and data.get("category") != Category.STAFFING:
            self.add_error("fte", "Give an FTE only for a staffing post")
        return data

    def month_amounts(self) -> list[tuple[date, Decimal | None, Decimal | None]]:
        return [
            (
                month,
                self.cleaned_data.get(month_field("actual", i)),
                self.cleaned_data.get(month_field("forecast", i)),
            )
            for i, month in enumerate(self.months, start=1)
        ]


class ReportForm(forms.Form):
    as_at = DateField(
        what="The date of the report", required=True, error_messages={"required": "Enter the date of the report"}
    )
    narrative = forms.CharField(max_length=10000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, start_year: int, **kwargs: Any) -> None:
        self.start_year = start_year
        super().__init__(*args, **kwargs)

    def clean_as_at(self) -> date:
        value: date = self.cleaned_data["as_at"]
        within_year(value, self.start_year, "The date of the report")
        return value
