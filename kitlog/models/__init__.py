"""Tables, relationships and database constraints. No business logic lives here."""

from kitlog.models.reference import Donor, KitItem, KitType, Warehouse
from kitlog.models.stock import MOVEMENT_KINDS, DonorBatch, MovementKind, StockMovement, Transfer
from kitlog.models.users import LANGUAGES, ROLES, ApiToken, LoginFailure, Role, User

__all__ = [
    "LANGUAGES",
    "MOVEMENT_KINDS",
    "ROLES",
    "ApiToken",
    "Donor",
    "DonorBatch",
    "KitItem",
    "KitType",
    "LoginFailure",
    "MovementKind",
    "Role",
    "StockMovement",
    "Transfer",
    "User",
    "Warehouse",
]
