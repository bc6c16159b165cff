"""The base form: WTForms' messages come from kitlog's catalog."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from kitlog.i18n import FormTranslations

# WTForms' built-in messages that kitlog's forms can show, for the catalog.
WTFORMS_MESSAGES = [
    _l("This field is required."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Invalid email address."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
]


class KitlogForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return FormTranslations()
