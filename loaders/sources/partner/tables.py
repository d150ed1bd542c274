"""The partner's three tables as adwh reads them: which columns, under which names and types.

Each table is reflected once (a missing table or column is named before anything is read),
then given to dlt's `sql_table` as a sub-select that renames the partner's columns to ours and
settles their types, so `raw_partner` has the same columns and types whatever the partner's
warehouse (Snowflake NUMBER(38,0) or Postgres integer, a timestamp or a date for the day, an
integer or a text media buy id).
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.core.errors import AdwhError, ConfigError, redact
from loaders.sources.partner.settings import SECTION, PartnerSettings, safe_url


@dataclass(frozen=True)
class Spec:
    name: str  # ours (raw column); the partner's is settings.column(name)
    kind: str  # date | text | bigint | money | timestamp
    required: bool = True


METRIC_KEYS = [Spec("date", "date"), Spec("media_buy_id", "text")]
AUDIT = [Spec("created_at", "timestamp", False), Spec("updated_at", "timestamp", False)]

TABLES: dict[str, list[Spec]] = {
    # raw table name -> columns
    "impressions": [
        *METRIC_KEYS,
        Spec("impressions", "bigint"),
        Spec("clicks", "bigint"),
        Spec("spend", "money"),
        *AUDIT,
    ],
    "videos": [
        *METRIC_KEYS,
        Spec("video_starts", "bigint"),
        Spec("video_completions", "bigint"),
        Spec("video_views", "bigint", False),
        *AUDIT,
    ],
    "media_buys": [
        Spec("media_buy_id", "text"),
        Spec("name", "text"),
        Spec("campaign_id", "text"),
        Spec("campaign_name", "text"),
        Spec("platform", "text"),
        Spec("client_id", "text"),
    ],
}
SETTING_OF = {
    "impressions": "impressions_table",
    "videos": "videos_table",
    "media_buys": "media_buys_table",
}


def partner_table(settings: PartnerSettings, raw_name: str) -> str:
    return getattr(settings, SETTING_OF[raw_name])


def _sa_type(kind: str):
    import sqlalchemy as sa

    return {
        "date": sa.Date(),
        "text": sa.String(),
        "bigint": sa.BigInteger(),
        "money": sa.Numeric(38, 12),
        "timestamp": sa.DateTime(timezone=True),
    }[kind]


def _family(kind: str):
    import sqlalchemy as sa

    return {
        "date": (sa.Date,),
        "text": (sa.String,),
        "bigint": (sa.Integer,),
        "money": (sa.Numeric,),
        "timestamp": (sa.DateTime,),
    }[kind]


def _typed(column, spec: Spec):
    """Our column from the partner's: a plain relabel when the type already fits (the cursor
    stays usable by the partner's indexes and partitions), else a CAST. type_coerce also drops
    the partner's primary-key flag, which would make dlt deduplicate on it."""
    import sqlalchemy as sa

    target = _sa_type(spec.kind)
    if spec.kind == "date" and isinstance(column.type, sa.DateTime):
        return sa.cast(column, target).label(spec.name)
    # Snowflake reflects NUMBER(38,0) as a Numeric (Python Decimal): make it an integer
    numeric_count = isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Integer)
    if spec.kind == "bigint" and numeric_count:
        return sa.cast(column, target).label(spec.name)
    if isinstance(column.type, _family(spec.kind)):
        if spec.kind == "timestamp":
            return sa.type_coerce(column, column.type).label(spec.name)
        return sa.type_coerce(column, target).label(spec.name)
    return sa.cast(column, target).label(spec.name)


def renamed(table, raw_name: str, settings: PartnerSettings):
    """The sub-select dlt reads instead of the partner's table: our names and types; an
    optional column the partner lacks is a typed NULL."""
    import sqlalchemy as sa

    by_name = {c.name.lower(): c for c in table.columns}
    parts = []
    for spec in TABLES[raw_name]:
        column = by_name.get(settings.column(spec.name).lower())
        if column is None:
            parts.append(sa.cast(sa.null(), _sa_type(spec.kind)).label(spec.name))
        else:
            parts.append(_typed(column, spec))
    return sa.select(*parts).subquery(raw_name)


def reflect(engine, settings: PartnerSettings):
    """Reflect the three tables into one MetaData (dlt's sql_table reuses it); a missing table
    or required column is a ConfigError naming it and the setting to change."""
    import sqlalchemy as sa
    from sqlalchemy.exc import NoSuchTableError

    metadata = sa.MetaData(schema=settings.schema)
    location = f"in {safe_url(settings.credentials)}"
    for raw_name, specs in TABLES.items():
        name = partner_table(settings, raw_name)
        try:
            table = sa.Table(name, metadata, autoload_with=engine)
        except NoSuchTableError:
            raise ConfigError(
                f"partner table {settings.where(name)} not found {location} "
                f"({SECTION}.{SETTING_OF[raw_name]}, {SECTION}.schema)"
            ) from None
        present = {c.name.lower() for c in table.columns}
        for spec in specs:
            theirs = settings.column(spec.name)
            if spec.required and theirs.lower() not in present:
                raise ConfigError(
                    f"partner table {settings.where(name)} has no column {theirs!r} "
                    f"(needed as {spec.name}; map it with {SECTION}.columns.{spec.name}); "
                    f"it has: {', '.join(sorted(present))}"
                )
    return metadata


# --- errors from the partner's side -----------------------------------------------------------


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def connection_error(exc: BaseException) -> BaseException | None:
    """The database-connection error inside `exc` (network, refused, dropped), if any: worth a
    retry, since nothing was loaded and the incremental state did not move."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    for item in _chain(exc):
        if isinstance(item, OperationalError):
            return item
        if isinstance(item, DBAPIError) and item.connection_invalidated:
            return item
        if type(item).__name__ == "OperationalError":  # the DB-API error itself
            return item
    return None


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line, without SQLAlchemy's statement and link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return redact(text[0].strip() if text else type(orig).__name__)


def unreachable(settings: PartnerSettings, exc: BaseException, attempts: int) -> AdwhError:
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return AdwhError(
        f"partner warehouse {safe_url(settings.credentials)} unreachable{tries}: {first_line(exc)}"
    )
