"""A password is refused when it is one of the most common, or the user's own email
address or its part before the @, wherever it is set: the profile, the admin's pages and
`kitlog users create`; the refusal is in the user's language."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import User
from kitlog.services import users as user_service
from kitlog.services.errors import InvalidValue
from tests.conftest import PASSWORD
from tests.web.conftest import field_errors

COMMON_EN = "This password is one of the most common or is too easy to guess."
COMMON_ID = "Kata sandi ini termasuk yang paling umum atau terlalu mudah ditebak."
EMAIL_EN = "Do not use your email address, or a part of it, as the password."
EMAIL_ID = "Jangan memakai alamat email Anda, atau sebagiannya, sebagai kata sandi."


@pytest.mark.parametrize(
    "password", ["qwertyuiop", "1234567890", "password123", "Password123", "1q2w3e4r5t6y"]
)
def test_the_most_common_passwords_are_refused(app, password):
    with pytest.raises(InvalidValue) as refused:
        user_service.check_password_strength(password, email="siti@example.org")
    assert str(refused.value).startswith(COMMON_EN) or str(refused.value).startswith(COMMON_ID)


@pytest.mark.parametrize(
    "password", ["siti.rahayu@example.org", "siti.rahayu", "Siti.Rahayu", " SITI.RAHAYU "]
)
def test_the_email_address_or_its_local_part_is_refused(app, password):
    with pytest.raises(InvalidValue) as refused:
        user_service.check_password_strength(password, email="Siti.Rahayu@example.org")
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password", [PASSWORD, "a long new password", "kapal-merah-di-selat-sunda"]
)
def test_a_few_unrelated_words_are_accepted(app, password):
    user_service.check_password_strength(password, email="siti@example.org")


def test_the_profile_refuses_a_common_new_password_in_the_users_language(browser, auth, make):
    auth.login("field", language="id")
    response = browser.submit(
        "/profile/password",
        {
            "current_password": PASSWORD,
            "password": "qwertyuiop",
            "password_confirm": "qwertyuiop",
        },
        page="/profile",
    )
    assert response.status_code == 422
    assert COMMON_ID in field_errors(response, "password")


def test_the_profile_refuses_my_email_address_as_the_new_password(browser, login):
    user = login("warehouse")
    response = browser.submit(
        "/profile/password",
        {"current_password": PASSWORD, "password": user.email, "password_confirm": user.email},
        page="/profile",
    )
    assert response.status_code == 422
    assert EMAIL_EN in field_errors(response, "password")


def test_the_admin_cannot_create_a_user_whose_password_is_their_email(browser, login):
    login("admin")
    response = browser.submit(
        "/admin/users/new",
        {
            "email": "budi.santoso@example.org",
            "name": "Budi Santoso",
            "role": "field",
            "donor": "",
            "language": "id",
            "password": "budi.santoso",
            "password_confirm": "budi.santoso",
        },
    )
    assert response.status_code == 422
    assert EMAIL_EN in field_errors(response, "password")  # the admin's language
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_admin_cannot_reset_a_password_to_a_common_one(browser, login, make):
    user = make.user("field")
    login("admin")
    response = browser.submit(
        f"/admin/users/{user.id}/password",
        {"password": "1234567890", "password_confirm": "1234567890"},
        page=f"/admin/users/{user.id}",
    )
    assert response.status_code == 422
    assert COMMON_EN in field_errors(response, "password")


@pytest.mark.parametrize("password", ["password123", "ops.lead@example.org"])
def test_kitlog_users_create_refuses_a_common_password_or_the_email(runner, password):
    result = runner.invoke(
        args=["users", "create", "ops.lead@example.org", "--role", "admin"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code != 0
    assert COMMON_EN in result.output or EMAIL_EN in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
