"""Nothing kitlog translates becomes markup: a stored value interpolated into a lazy
string is escaped wherever it is shown (a page, a form's option or option group, a flash
message after the session), and stays plain text in JSON."""

from __future__ import annotations

from flask import flash, get_flashed_messages, render_template_string
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from kitlog.extensions import db
from kitlog.services import labels as label_service
from tests.hostile import BOLD, META, ParsedPage

HOSTILE = f"{META}{BOLD}"


def lazy(name: str):
    return _l("Printer %(name)s: %(layout)s", name=name, layout="A4")


def test_a_lazy_string_with_a_stored_value_is_escaped_like_any_text(app):
    with app.test_request_context():
        assert not hasattr(lazy(HOSTILE), "__html__")
        assert escape(lazy(HOSTILE)) == escape(str(lazy(HOSTILE)))
        html = render_template_string("<p>{{ label }}</p>", label=lazy(HOSTILE))
        assert ParsedPage(html).planted_elements == []
        assert ParsedPage(html).shows(f"Printer {HOSTILE}: A4")
        assert Markup("<p>%s</p>") % lazy(BOLD) == "<p>Printer &lt;b&gt;x&lt;/b&gt;: A4</p>"
        # JSON (the API's problem details) carries the text itself, not an escaped copy
        assert app.json.dumps({"detail": lazy(BOLD)}) == '{"detail": "Printer <b>x</b>: A4"}'


def test_options_and_option_groups_built_from_stored_values_are_escaped(app):
    class Choose(Form):
        output = SelectField(
            choices=[SelectChoice("printer:1", lazy(HOSTILE), optgroup=lazy(HOSTILE))]
        )
        plain = SelectField(choices=[SelectChoice("printer:1", lazy(HOSTILE))])

    with app.test_request_context():
        form = Choose()
        for field in (form.output, form.plain):
            page = ParsedPage(str(field()))
            assert page.planted_elements == []
            assert page.shows(f"Printer {HOSTILE}: A4")


def test_a_flashed_lazy_string_is_text_after_the_session_carries_it(app):
    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context():
        flash(lazy(BOLD), "error")
        from flask import session

        carried = serializer.loads(serializer.dumps(dict(session)))
    with app.test_request_context():
        from flask import session

        session.update(carried)
        [message] = get_flashed_messages()
        assert not isinstance(message, Markup)
        html = render_template_string("{{ message }}", message=message)
        assert html == "Printer &lt;b&gt;x&lt;/b&gt;: A4"


def test_a_printer_named_with_markup_is_an_escaped_option_on_the_labels_page(client, login, make):
    """The outside test's finding: a warehouse user's printer redirected an administrator."""
    parcels = make.allocated_parcels(1)
    label_service.create_printer(db.session, name=HOSTILE, layout="a4-3x7")
    db.session.commit()
    login("admin")
    html = client.get(f"/rounds/{parcels[0].round_id}/labels").get_data(as_text=True)
    page = ParsedPage(html)
    assert page.planted_elements == []
    assert page.shows(f"Printer {HOSTILE}: ")
    assert str(escape(HOSTILE)) in html
