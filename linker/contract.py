"""The input data contract: the five tables linker reads, their roles, types and rules.

A *role* is what a column means to linker (``customer_id``, ``phones`` ...). Source files name their columns as
they like; the configuration maps roles to source columns. By default a role is read from the column of the
same name. This module is data only: readers, validation, docs and the config checker are derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    """How a role's raw text is parsed and checked."""

    ID = "id"                # non-empty text, trimmed
    TEXT = "text"            # free text, trimmed, empty -> NULL
    LIST = "list"            # multi-valued text: several columns and/or a separator
    DATE_LIST = "date_list"  # multi-valued dates aligned with an identifier list
    DATE = "date"
    TIMESTAMP = "timestamp"
    NUMBER = "number"        # amounts: currency signs and thousands separators allowed
    INTEGER = "integer"


@dataclass(frozen=True)
class Field:
    """One role of a table."""

    role: str
    type: FieldType
    required: bool = False
    description: str = ""
    non_negative: bool = False


@dataclass(frozen=True)
class TableContract:
    """One input table: its roles, its key and the keys it refers to."""

    name: str
    description: str
    fields: tuple[Field, ...]
    key: str | None = None
    references: tuple[tuple[str, str], ...] = ()   # (role, referenced table)
    one_of: tuple[str, ...] = ()                    # at least one of these roles must be present in a row
    keeps_attributes: bool = False                  # unmapped columns are kept in an ``attributes`` map
    optional: bool = True
    entity: bool = False                            # entities persist in the run database; events are temporary

    def field(self, role: str) -> Field:
        for f in self.fields:
            if f.role == role:
                return f
        raise KeyError(role)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(f.role for f in self.fields)


T = FieldType

CUSTOMERS = TableContract(
    name="customers",
    description="The bank's customers (internal).",
    key="customer_id",
    keeps_attributes=True,
    optional=False,
    entity=True,
    fields=(
        Field("customer_id", T.ID, required=True, description="Unique customer number."),
        Field("name", T.TEXT, description="Full name (Chinese or Latin)."),
        Field("names", T.LIST, description="Other names of the customer (former, English, alias); each is "
              "compared with every name of an account."),
        Field("phones", T.LIST, description="Phone numbers, any spelling."),
        Field("emails", T.LIST, description="Email addresses."),
        Field("device_ids", T.LIST, description="IMEI, IDFA/IDFV or Android IDs."),
        Field("phone_since", T.DATE_LIST, description="Since when each phone belongs to the customer."),
        Field("email_since", T.DATE_LIST, description="Since when each email belongs to the customer."),
        Field("device_since", T.DATE_LIST, description="Since when each device belongs to the customer."),
        Field("phone_confirmed", T.DATE_LIST, description="When the bank confirmed the customer held each phone "
              "(verified, last contacted): held then, before and after unknown."),
        Field("email_confirmed", T.DATE_LIST, description="When the bank confirmed each email."),
        Field("device_confirmed", T.DATE_LIST, description="When the bank confirmed each device."),
        Field("birth_date", T.DATE),
        Field("gender", T.TEXT),
        Field("city", T.TEXT),
        Field("income", T.NUMBER, non_negative=True, description="Monthly income."),
        Field("debt", T.NUMBER, non_negative=True, description="Outstanding debt."),
        Field("credit_limit", T.NUMBER, non_negative=True),
        Field("status", T.TEXT),
        Field("closed_at", T.DATE, description="When the customer relationship ended, if it has."),
    ),
)

TRANSACTIONS = TableContract(
    name="transactions",
    description="The bank's own card transactions (optional).",
    key="txn_id",
    references=(("customer_id", "customers"),),
    fields=(
        Field("txn_id", T.ID, description="Transaction id; generated from the row number when absent."),
        Field("customer_id", T.ID, required=True),
        Field("txn_time", T.TIMESTAMP, required=True),
        Field("amount", T.NUMBER, required=True),
        Field("mcc", T.TEXT, description="Merchant category code (ISO 18245)."),
        Field("merchant", T.TEXT),
    ),
)

ACCOUNTS = TableContract(
    name="accounts",
    description="External online accounts (e-commerce, travel, ...).",
    key="account_id",
    keeps_attributes=True,
    optional=False,
    entity=True,
    fields=(
        Field("account_id", T.ID, required=True),
        Field("platform", T.TEXT),
        Field("name", T.TEXT, description="Display or real name as the platform has it."),
        Field("names", T.LIST, description="Every other name the account carries: real name, recipient names, "
              "nickname (several columns can feed it)."),
        Field("phones", T.LIST),
        Field("emails", T.LIST),
        Field("device_ids", T.LIST),
        Field("registered_at", T.TIMESTAMP),
        Field("last_seen_at", T.TIMESTAMP),
        Field("city", T.TEXT),
        Field("birth_date", T.DATE),
        Field("gender", T.TEXT),
    ),
)

PURCHASES = TableContract(
    name="purchases",
    description="External orders.",
    key="order_id",
    references=(("account_id", "accounts"),),
    fields=(
        Field("order_id", T.ID),
        Field("account_id", T.ID, required=True),
        Field("order_time", T.TIMESTAMP, required=True),
        Field("category", T.TEXT),
        Field("amount", T.NUMBER, required=True),
        Field("quantity", T.INTEGER, non_negative=True),
    ),
)

BROWSING = TableContract(
    name="browsing",
    description="External browsing events, keyed by account and/or device.",
    key="event_id",
    references=(("account_id", "accounts"),),
    one_of=("account_id", "device_id"),
    fields=(
        Field("event_id", T.ID),
        Field("account_id", T.ID),
        Field("device_id", T.TEXT),
        Field("event_time", T.TIMESTAMP, required=True),
        Field("category", T.TEXT),
        Field("action", T.TEXT, description="view, search, cart, favorite ..."),
        Field("dwell_seconds", T.NUMBER, non_negative=True),
    ),
)

TABLES: dict[str, TableContract] = {
    t.name: t for t in (CUSTOMERS, TRANSACTIONS, ACCOUNTS, PURCHASES, BROWSING)
}
"""Every input table, in ingest order (referenced tables come first)."""

INGEST_ORDER: tuple[str, ...] = ("customers", "accounts", "transactions", "purchases", "browsing")


class Reason(StrEnum):
    """Quarantine reason codes. A quarantined row carries the first one that applies."""

    MALFORMED_ROW = "malformed_row"        # the parser could not split the record into the header's columns
    MISSING_ID = "missing_id"              # the table's key is empty
    DUPLICATE_ID = "duplicate_id"          # the key was already seen earlier in the table
    MISSING_VALUE = "missing_value"        # a required role is empty
    NO_KEY = "no_key"                      # none of the one-of roles (account_id, device_id) is present
    BAD_DATE = "bad_date"                  # a date or time does not parse
    BAD_NUMBER = "bad_number"              # an amount or count does not parse, or is out of range
    TOO_LONG = "too_long"                  # a value is longer than linker compares (see linker.ingest.MAX_BYTES)
    NEGATIVE_NUMBER = "negative_number"    # a count or income that cannot be negative is
    UNKNOWN_CUSTOMER = "unknown_customer"  # refers to a customer that is not in customers
    UNKNOWN_ACCOUNT = "unknown_account"    # refers to an account that is not in accounts


REFERENCE_REASON = {"customers": Reason.UNKNOWN_CUSTOMER, "accounts": Reason.UNKNOWN_ACCOUNT}
