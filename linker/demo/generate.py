"""The demo data set: :class:`DemoSpec` in, files out (see :func:`generate_demo`)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.accounts import (
    account_ids,
    plan_account_counts,
    render_accounts,
)
from linker.demo.aliases import Aliases, account_name_columns, customer_names, foreign_emails, sample_aliases
from linker.demo.arrays import date_text, days, rng_for, take
from linker.demo.badrows import RATE, insert_entity_rows
from linker.demo.customers import customer_entries, customer_ids, render_customers
from linker.demo.entries import FOREIGN, PHONE, Entries
from linker.demo.events import (
    account_devices,
    write_events,
    write_transactions,
)
from linker.demo.hostile import trap_rates
from linker.demo.interests import InterestBehaviour
from linker.demo.layout import TableLayout
from linker.demo.people import People, generate_people
from linker.demo.plant import plant
from linker.demo.profiles import PROFILES, Profile
from linker.demo.ranges import log_unallocated, plant_unallocated
from linker.demo.records import closure_column, closure_days, verification_column
from linker.demo.sparse import thin_people
from linker.demo.stories import Planted
from linker.demo.traps import (
    TrapLog,
    plan_households,
    plant_customer_junk,
    trap_count,
)
from linker.demo.vocab import NEEDS
from linker.demo.writer import FORMATS, TableWriter, write_table

#: Share of people given a compound surname where accounts carry several names (profile ``names``).
COMPOUND_SHARE = 0.04
#: Non-customers own this many accounts on average.
ACCOUNTS_PER_OTHER = 1.5


@dataclass(frozen=True)
class DemoSpec:
    """What demo data set to generate.

    Parameters
    ----------
    customers : int
        Bank customers.
    accounts : int
        Platform accounts (of customers and of people who are not customers).
    events : int
        Purchases plus browsing events (card transactions come on top, about one per customer per month).
    seed : int
        Same seed, same files (byte for byte for CSV).
    traps : bool
        Plant the traps (placeholders, shop phone, junk devices, households, recycled phones, typos, bad
        rows).
    file_format : str
        ``"csv"`` or ``"parquet"``.
    encoding : str, optional
        CSV text encoding (``"utf-8"``, ``"gb18030"``, ...); by default the profile's (UTF-8 but for the
        ``bank_export`` layouts).
    start, as_of : datetime.date
        The observed period.
    profile : str
        Which conventions the data follows (see :mod:`linker.demo.profiles`); ``"default"`` is the demo.
    """

    customers: int = 2_000
    accounts: int = 6_000
    events: int = 40_000
    seed: int = 42
    traps: bool = True
    file_format: str = "csv"
    encoding: str | None = None
    start: date = date(2023, 1, 1)
    as_of: date = date(2024, 6, 30)
    profile: str = "default"

    def __post_init__(self) -> None:
        problems = []
        if self.customers < 20:
            problems.append(f"customers must be at least 20, not {self.customers}")
        if self.accounts < 50 or self.accounts < self.customers // 4:
            problems.append(f"accounts must be at least 50 and a quarter of customers, not {self.accounts}")
        if self.events < 100:
            problems.append(f"events must be at least 100, not {self.events}")
        if self.file_format not in FORMATS:
            problems.append(f"file_format must be one of {FORMATS}, not {self.file_format!r}")
        if self.profile not in PROFILES:
            problems.append(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        try:
            "张".encode(self.encoding or "utf-8")
        except (LookupError, UnicodeEncodeError):
            problems.append(f"encoding {self.encoding!r} is unknown or cannot write Chinese")
        if (self.as_of - self.start).days < 120:
            problems.append("the observed period (start .. as_of) must be at least 120 days")
        if problems:
            raise ValueError("invalid DemoSpec: " + "; ".join(problems))

    @property
    def conventions(self) -> Profile:
        """The :class:`~linker.demo.profiles.Profile` named by ``profile``."""
        return PROFILES[self.profile]

    @property
    def text_encoding(self) -> str:
        """The CSV encoding written: ``encoding``, or the profile's."""
        return self.encoding or self.conventions.encoding


@dataclass(frozen=True)
class DemoFiles:
    """Paths of every file :func:`generate_demo` wrote."""

    customers: Path
    transactions: Path
    accounts: Path
    purchases: Path
    browsing: Path
    account_owner: Path
    needs: Path
    traps: Path
    summary: Path
    interests: Path | None = None

    def sources(self) -> dict[str, Path]:
        """The five source tables the pipeline reads, by table name."""
        return {
            "customers": self.customers,
            "transactions": self.transactions,
            "accounts": self.accounts,
            "purchases": self.purchases,
            "browsing": self.browsing,
        }

    def all(self) -> list[Path]:
        """Every file written."""
        return [getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None]


def generate_demo(out_dir: Path, spec: DemoSpec = DemoSpec()) -> DemoFiles:
    """Generate a seeded demo data set: bank customers, platform accounts, their behaviour, and ground truth.

    Parameters
    ----------
    out_dir : pathlib.Path
        Directory to write into (created); ground truth goes to ``out_dir/truth``.
    spec : DemoSpec

    Returns
    -------
    DemoFiles

    Notes
    -----
    Runs in time linear in ``customers + accounts + events``; events are generated and written in chunks of
    about a million rows, so memory grows with the number of people and accounts, not with the events.

    Examples
    --------
    >>> import tempfile
    >>> files = generate_demo(Path(tempfile.mkdtemp()), DemoSpec(customers=100, accounts=300, events=2000))
    >>> files.customers.name
    'customers.csv'
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed, fmt, enc = spec.seed, spec.file_format, spec.text_encoding
    start, as_of = days(spec.start), days(spec.as_of)
    n_cust = spec.customers
    profile = spec.conventions
    log = TrapLog()
    rng = rng_for(seed, "traps")

    rates = trap_rates(profile)
    members = household = np.empty(0, dtype=np.int64)
    if spec.traps:
        members, household = plan_households(rng, n_cust, rates.households)
    counts = plan_account_counts(seed, n_cust, spec.accounts, members, rates.customer_accounts)
    n_other_acc = spec.accounts - int(counts.sum())
    n_others = max(1, min(n_other_acc, round(n_other_acc / ACCOUNTS_PER_OTHER)))
    bad_cust = max(4, round(RATE * n_cust)) if spec.traps else 0
    bad_acc = max(3, round(RATE * spec.accounts)) if spec.traps else 0
    multi = profile.names == "multi"
    people = generate_people(seed, n_cust, n_others, bad_cust + bad_acc, as_of, COMPOUND_SHARE if multi else 0.0)
    aliases = sample_aliases(seed, people) if multi else None
    if aliases is not None:
        foreign_emails(seed, people, aliases)
    if profile.unallocated_share:
        plant_unallocated(rng_for(seed, "unallocated"), people.phones, profile.unallocated_share)
    if profile.sparse:
        thin_people(rng_for(seed, "sparse_people"), people)
    accounts, planted, record_phones = plant(spec, people, counts, members, household, log, rng, start, as_of)

    customer_id, account_id = customer_ids(n_cust), account_ids(spec.accounts)
    cust_entries = customer_entries(people)
    if spec.traps:
        plant_customer_junk(rng, people, cust_entries, trap_count(n_cust, rates.customer_junk, 4), as_of, log)
    holder, number, got = record_phones.arrays()
    cust_entries.add(holder, PHONE, FOREIGN, number, 4.0, since=got)
    if profile.unallocated_share:
        log_unallocated(cust_entries, accounts, log)
    cust_table = _customer_table(spec, people, cust_entries, aliases)
    acc_table = render_accounts(seed, accounts, people)
    if aliases is not None:
        for name, column in account_name_columns(seed, accounts, people, aliases).items():
            acc_table = acc_table.append_column(name, column)
    cust_rows = np.arange(1, n_cust + 1)
    acc_rows = np.arange(1, spec.accounts + 1)
    if spec.traps:
        cust_table, cust_rows, acc_table, acc_rows = _bad_entities(
            spec, people, aliases, cust_table, acc_table, bad_cust, bad_acc, log
        )
    truth = out_dir / "truth"
    layout = TableLayout(profile)
    paths = {
        "customers": write_table(out_dir / "customers", layout.apply("customers", cust_table), fmt, enc),
        "accounts": write_table(out_dir / "accounts", layout.apply("accounts", acc_table), fmt, enc),
    }
    owned = np.flatnonzero(accounts.owner < n_cust)
    paths["account_owner"] = write_table(
        truth / "account_owner",
        pa.table(
            {
                "account_id": account_id.take(pa.array(owned)),
                "customer_id": customer_id.take(pa.array(accounts.owner[owned])),
            }
        ),
        fmt,
    )
    paths["needs"] = write_table(truth / "needs", _needs_table(planted, customer_id), fmt)
    n_accounts_table = acc_table.num_rows
    del cust_table, acc_table
    pa.default_memory_pool().release_unused()

    writers = {
        name: TableWriter(
            out_dir / name, layout.headers(name), fmt, enc, functools.partial(layout.apply, name)
        )
        for name in ("purchases", "browsing", "transactions")
    }
    behaviour = None
    if profile.behaviour == "interests":
        device = account_devices(accounts)
        behaviour = InterestBehaviour(seed, people, accounts, spec.events, start, as_of, device)
    try:
        counts_ev = write_events(
            seed,
            people,
            accounts,
            planted.purchases,
            planted.browsing,
            spec.events,
            start,
            as_of,
            account_id,
            writers,
            log,
            spec.traps,
            behaviour,
        )
        n_txn = write_transactions(
            seed,
            people,
            planted.transactions,
            start,
            as_of,
            customer_id,
            writers["transactions"],
            log,
            spec.traps,
        )
    finally:
        for w in writers.values():
            w.close()
    for name, w in writers.items():
        paths[name] = w.path
    if behaviour is not None:
        paths["interests"] = write_table(truth / "interests", behaviour.truth(customer_id), fmt)

    traps_table = log.table(
        rows={"customers": cust_rows, "accounts": acc_rows},
        ids={"customers": customer_id, "accounts": account_id},
    )
    paths["traps"] = write_table(truth / "traps", traps_table, fmt)
    summary = {
        "spec": {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in {**asdict(spec), "encoding": enc}.items()
        },
        "rows": {
            "customers": n_cust + (bad_cust if spec.traps else 0),
            "accounts": n_accounts_table,
            "purchases": counts_ev.purchases,
            "browsing": counts_ev.browsing,
            "transactions": n_txn,
        },
        "people": {"customers": n_cust, "non_customers_with_accounts": n_others},
        "accounts_owned_by_customers": len(owned),
        "customers_with_accounts": int((counts > 0).sum()),
        "story_events": {
            "purchases": len(planted.purchases),
            "browsing": len(planted.browsing),
            "transactions": len(planted.transactions),
        },
        "needs": dict(sorted(Counter(NEEDS[i] for i in planted.need.tolist()).items())),
        "traps": _trap_counts(traps_table),
    }
    paths["summary"] = truth / "summary.json"
    paths["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return DemoFiles(**{f.name: paths[f.name] for f in fields(DemoFiles) if f.name in paths})


def _customer_table(
    spec: DemoSpec, people: People, entries: Entries, aliases: Aliases | None, rows: np.ndarray | None = None
) -> pa.Table:
    """The customers as text, with the columns the profile adds to the default ones.

    ``rows`` are the spare people whose records become broken rows (default: the customers).
    """
    table = render_customers(spec.seed, people, entries, rows)
    columns = TableLayout(spec.conventions).columns("customers")
    as_of, n = days(spec.as_of), table.num_rows
    if aliases is not None:
        who = np.arange(people.n_customers) if rows is None else rows
        name, name_en = customer_names(spec.seed, people, aliases, who, int(rows is not None))
        table = table.set_column(table.column_names.index("name"), "name", name)
        table = table.append_column("name_en", name_en)
    if "phone_confirmed" in columns:
        dates = verification_column(spec.seed, entries, n, as_of, donors=rows is not None)
        table = table.append_column("phone_confirmed", dates)
    if "closed_at" in columns:
        closed = closure_days(spec.seed, people, as_of) if rows is None else np.full(n, -1)
        table = table.append_column("closed_at", closure_column(closed))
    return table


def _bad_entities(
    spec: DemoSpec,
    people: People,
    aliases: Aliases | None,
    cust_table: pa.Table,
    acc_table: pa.Table,
    bad_cust: int,
    bad_acc: int,
    log: TrapLog,
) -> tuple[pa.Table, np.ndarray, pa.Table, np.ndarray]:
    """Insert broken customer and account rows made from spare people."""
    rng = rng_for(spec.seed, "bad_entities")
    spare = np.arange(people.n_customers + people.n_others, len(people))
    donors = _customer_table(spec, people, customer_entries(people, spare), aliases, spare)
    n_cust = cust_table.num_rows
    fresh = customer_ids(n_cust + bad_cust + 1).slice(n_cust)
    cust_table, cust_rows = insert_entity_rows(
        rng,
        cust_table,
        donors.slice(0, bad_cust),
        "customers",
        "customer_id",
        fresh,
        {
            "duplicate_id": "customer_id",
            "missing_id": "customer_id",
            "bad_date": "birth_date",
            "bad_amount": "income",
        },
        log,
    )
    n_acc = acc_table.num_rows
    base = acc_table.take(pa.array(rng.integers(0, n_acc, bad_acc)))
    spare_acc = donors.slice(bad_cust, bad_acc)
    acc_donors = base.set_column(base.column_names.index("name"), "name", spare_acc.column("name"))
    for col in ("phones", "emails", "device_ids"):
        acc_donors = acc_donors.set_column(acc_donors.column_names.index(col), col, spare_acc.column(col))
    fresh = account_ids(n_acc + bad_acc + 1).slice(n_acc)
    acc_table, acc_rows = insert_entity_rows(
        rng,
        acc_table,
        acc_donors,
        "accounts",
        "account_id",
        fresh,
        {"duplicate_id": "account_id", "missing_id": "account_id", "bad_timestamp": "registered_at"},
        log,
    )
    return cust_table, cust_rows, acc_table, acc_rows


def _needs_table(planted: Planted, customer_id: pa.Array) -> pa.Table:
    order = np.lexsort((planted.need, planted.customer))
    return pa.table(
        {
            "customer_id": customer_id.take(pa.array(planted.customer[order])),
            "need": take(list(NEEDS), planted.need[order]),
            "planted_at": date_text(planted.day[order]),
        }
    )


def _trap_counts(table: pa.Table) -> dict[str, int]:
    if not table.num_rows:
        return {}
    key = pc.binary_join_element_wise(
        table.column("trap"), table.column("table"), pc.fill_null(table.column("detail"), ""), ":"
    )
    counts: Counter[str] = Counter()
    for k, v in Counter(key.to_pylist()).items():
        trap, tbl, detail = k.split(":", 2)
        name = f"{trap}/{tbl}" + (f"/{detail}" if trap == "bad_row" else "")
        counts[name] += v
    return dict(sorted(counts.items()))
