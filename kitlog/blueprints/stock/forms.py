"""Receiving a batch, transfers, losses and adjustments, and the ledger's filters."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from kitlog.forms import (
    CHOOSE_FROM_LIST,
    FilterForm,
    IdSelectField,
    KitlogForm,
    KitsField,
    choice,
)
from kitlog.models import MovementKind
from kitlog.names import MOVEMENT_KIND_NAMES
from kitlog.services.stock import MAX_QUANTITY, MAX_REASON

CHOOSE = _l("Choose…")
KITS = NumberRange(min=0, max=MAX_QUANTITY)
AT_LEAST_ONE_KIT = NumberRange(min=1, max=MAX_QUANTITY)


def batch_label(batch) -> str:
    """How a batch is named in a list: its lot, its donor and its kit type."""
    return f"{batch.lot} · {batch.donor.code} · {batch.kit_type.code}"


def warehouse_label(warehouse) -> str:
    return f"{warehouse.code} · {warehouse.name}"


class ReceiveForm(KitlogForm):
    donor = IdSelectField(_l("Donor"), validators=[DataRequired()], blank=CHOOSE)
    kit_type = IdSelectField(_l("Kit type"), validators=[DataRequired()], blank=CHOOSE)
    warehouse = IdSelectField(
        _l("Received into warehouse"), validators=[DataRequired()], blank=CHOOSE
    )
    reference = StringField(
        _l("Agreement or grant reference"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    lot = StringField(
        _l("Lot number"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("As printed on the cartons."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    expiry_date = DateField(_l("Expiry date"), validators=[Optional()])
    quantity_pledged = KitsField(_l("Kits pledged"), validators=[InputRequired(), KITS])
    quantity_received = KitsField(
        _l("Kits received"),
        validators=[InputRequired(), AT_LEAST_ONE_KIT],
        description=_l("Every kit that arrived, the damaged ones included."),
    )
    quantity_damaged = KitsField(
        _l("Kits damaged on arrival"),
        validators=[InputRequired(), KITS],
        default=0,
        description=_l(
            "The stock on hand after receipt is the kits received minus the damaged ones."
        ),
    )
    received_date = DateField(_l("Date received"), validators=[InputRequired()])


class TransferForm(KitlogForm):
    batch = IdSelectField(_l("Batch"), validators=[DataRequired()], blank=CHOOSE)
    from_warehouse = IdSelectField(_l("From warehouse"), validators=[DataRequired()], blank=CHOOSE)
    to_warehouse = IdSelectField(_l("To warehouse"), validators=[DataRequired()], blank=CHOOSE)
    quantity = KitsField(_l("Kits to move"), validators=[InputRequired(), AT_LEAST_ONE_KIT])
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), Length(max=MAX_REASON)],
        description=_l("For example the truck, or the waybill number."),
        render_kw={"rows": 2},
    )


class AdjustmentForm(KitlogForm):
    batch = IdSelectField(_l("Batch"), validators=[DataRequired()], blank=CHOOSE)
    warehouse = IdSelectField(_l("Warehouse"), validators=[DataRequired()], blank=CHOOSE)
    kind = RadioField(
        _l("What happened"),
        choices=[
            choice(MovementKind.LOSS.value, MOVEMENT_KIND_NAMES[MovementKind.LOSS]),
            choice(MovementKind.ADJUSTMENT.value, MOVEMENT_KIND_NAMES[MovementKind.ADJUSTMENT]),
        ],
        default=MovementKind.LOSS.value,
        validators=[InputRequired()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    # Signed for an adjustment, so no numeric-only keypad (it has no minus sign on iOS).
    quantity = IntegerField(
        _l("Number of kits"),
        validators=[InputRequired(), NumberRange(min=-MAX_QUANTITY, max=MAX_QUANTITY)],
        render_kw={"step": "1", "autocomplete": "off"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=MAX_REASON)],
        description=_l("Why the stock changes: damaged by flood, stolen, counting error…"),
        render_kw={"rows": 3},
    )

    def validate_quantity(self, field):
        if field.data is None:
            return
        if self.kind.data == MovementKind.LOSS and field.data <= 0:
            raise ValidationError(_l("Enter the number of kits lost, as a positive number."))
        if self.kind.data == MovementKind.ADJUSTMENT and field.data == 0:
            raise ValidationError(_l("A change of zero kits changes nothing."))

    def signed_quantity(self) -> int:
        """A loss is typed as the kits lost and stored as a negative change."""
        if self.kind.data == MovementKind.LOSS:
            return -abs(self.quantity.data)
        return self.quantity.data


class MovementFilterForm(FilterForm):
    batch = IdSelectField(_l("Batch"), blank=_l("All batches"))
    warehouse = IdSelectField(_l("Warehouse"), blank=_l("All warehouses"))
    kind = SelectField(
        _l("Kind"),
        choices=[choice("", _l("All kinds"))]
        + [choice(kind, label) for kind, label in MOVEMENT_KIND_NAMES.items()],
        default="",
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


NOT_A_DATE = _l("Enter a date as year-month-day, for example 2026-11-01.")


class StockReportForm(FilterForm):
    """The stock report's period: a warehouse (by code) and two local dates, from the
    query string (?warehouse=SBY-01&from=2026-11-01&to=2026-11-29)."""

    warehouse = SelectField(
        _l("Warehouse"), validators=[InputRequired()], invalid_choice_message=CHOOSE_FROM_LIST
    )
    date_from = DateField(
        _l("From"),
        name="from",
        validators=[InputRequired()],
        invalid_value_message=NOT_A_DATE,
        render_kw={"required": True},
    )
    date_to = DateField(
        _l("To (inclusive)"),
        name="to",
        validators=[InputRequired()],
        invalid_value_message=NOT_A_DATE,
        render_kw={"required": True},
    )

    def set_warehouses(self, warehouses) -> None:
        self.warehouse.choices = [choice(w.code, warehouse_label(w)) for w in warehouses]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
