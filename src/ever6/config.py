"""Configuration: where the workspace is and the rules a local authority may change.

Defaults are what ships (``docs/domain.md``); a local authority overrides them in
``$EVER6_HOME/ever6.toml`` (or a file named by ``EVER6_CONFIG``) without a code change::

    [cohort]
    strict = false          # count only periods under a CIN or CP plan
    max_age = 18            # children are counted while under this age
    window_years = 6
    kinship = false         # publish a kinship care group (SGO, CAO, kinship foster care)
    early_help = false      # publish an early-help group (from an early-help extract)

    [cin_census]
    xsd_dirs = ["/path/to/xsd"]   # CIN_schema_YYYY.xsd files to validate against

    [authority]
    la_code = "886"         # the home authority's DfE LA number: its schools are "in LA"
    ons_code = "E10000016"  # its ONS code, for the DfE SSDA903 rules on placement location

    [linkage]
    accept = 0.99           # link pairs scored at or above this
    review = 0.80           # pairs between review and accept go to the clerical review queue

    [measures]
    min_age = 5             # headline attendance counts pupils aged 5 to 15
    max_age = 15            # on 31 August before the academic year, as DfE does
    cla_in_cwsw = false     # looked-after children reported beside CWSW (false) or inside it

    [imports]
    max_bytes = { pupils = "2 GB", attendance = "500 GB" }   # per format; checked before reading

    [localities]            # postcode districts or sectors per locality (or lookup = "wards.csv",
    areas = { Canterbury = ["CT1", "CT2 7"], Swanley = ["BR8"] }   # a postcode,locality CSV)

    [engine]
    name = "duckdb"         # or "spark": cohort, linkage and measures on PySpark
    spark_master = "local[2]"               # a cluster's master URL, or
    spark_remote = "sc://host:15002"        # a Spark Connect (e.g. Databricks) endpoint
    spark_conf = { "spark.driver.memory" = "4g" }
    staging = "/shared/ever6-staging"       # where the warehouse is written as Parquet for Spark
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from ever6.formats import FORMATS
from ever6.localities import Localities, LocalityError, from_areas, from_lookup


@dataclass(frozen=True)
class CohortSettings:
    strict: bool = False
    max_age: int = 18
    window_years: int = 6
    # Optional groups published beside CWSW, never inside it (docs/cohort.md, "Kinship care" and
    # "Early help"): off by default, each adds a group to every measure.
    kinship: bool = False
    early_help: bool = False


@dataclass(frozen=True)
class CinCensusSettings:
    xsd_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class AuthoritySettings:
    la_code: str | None = None
    # The ONS (upper-tier) code: the SSDA903 rules compare each placement's authority, derived
    # from its postcode, with it (1015: own provision in the authority; 411).
    ons_code: str | None = None


@dataclass(frozen=True)
class LocalitySettings:
    """``[localities]``: postcode districts or sectors per locality, or a ``postcode,locality`` CSV
    (a path, relative to the workspace); none by default (``docs/cohort.md``, Localities)."""

    areas: tuple[tuple[str, tuple[str, ...]], ...] = ()
    lookup: Path | None = None

    def load(self, home: Path) -> Localities:
        """The localities, checked; :class:`ever6.localities.LocalityError` names every problem."""
        if self.lookup is not None:
            return from_lookup(self.lookup if self.lookup.is_absolute() else home / self.lookup)
        return from_areas(dict(self.areas))


@dataclass(frozen=True)
class MeasureSettings:
    min_age: int = 5
    max_age: int = 15
    cla_in_cwsw: bool = False


@dataclass(frozen=True)
class NotificationSettings:
    """``[notifications]`` (docs/notifications.md): who is told of an event, which events, how long
    they are kept. ``default_team_email`` receives events for a child with no allocated team."""

    default_team_email: str = ""
    absence_run: int = 3  # consecutive unexplained-absence sessions (N or O) that raise an event
    looked_after: bool = False  # raise events for looked-after children too
    retention_days: int = 730

    def __post_init__(self) -> None:
        if not isinstance(self.absence_run, int) or self.absence_run < 1:
            raise ValueError("[notifications] absence_run must be a whole number >= 1")
        if not isinstance(self.retention_days, int) or self.retention_days < 1:
            raise ValueError("[notifications] retention_days must be a whole number >= 1")
        if self.default_team_email and "@" not in self.default_team_email:
            raise ValueError("[notifications] default_team_email must be an email address")


@dataclass(frozen=True)
class DisclosureSettings:
    """``[disclosure]``: ``protection_width``, how wide every suppressed count of 1 to 5 people
    must stay for a reader of everything published together (``docs/disclosure.md``); 3 keeps
    every count of 1 to 5 from being pinned within plus or minus 1, and is the default. 0 turns
    interval protection off (exact recovery is still prevented) for an authority that cannot
    afford its cost: suppression takes about eleven times as long (15 CPU seconds a year at
    ``small``)."""

    protection_width: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.protection_width, int) or self.protection_width < 0:
            raise ValueError("[disclosure] protection_width must be a whole number >= 0")


Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineSettings:
    """Which engine runs the analytics, and how to reach Spark when it is Spark.

    ``staging``: the folder the warehouse's tables are written to as Parquet for Spark to read
    (default ``$EVER6_HOME/spark-staging``); for a cluster, a path the cluster can read too.
    """

    name: Engine = "duckdb"
    spark_master: str = "local[2]"
    spark_remote: str | None = None
    spark_conf: tuple[tuple[str, str], ...] = ()
    staging: Path | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ValueError(f"[engine] name must be one of {', '.join(ENGINES)}; got {self.name!r}")


# The largest source file of each format that is read, in bytes: each format's ``max_bytes`` in
# the registry (ever6.formats). The readers hold a file's rows in memory (a few times its size),
# except attendance marks, which stream in bounded memory.
DEFAULT_MAX_BYTES: dict[str, int] = {f.name: f.max_bytes for f in FORMATS.values()}
_GB = 1000**3
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": _GB, "tb": 1000**4, "kib": 1024, "mib": 1024**2}
_UNITS |= {"gib": 1024**3, "tib": 1024**4}


def parse_bytes(value: object) -> int:
    """A size as TOML gives it: a number of bytes, or text such as ``"2 GB"`` or ``"512 MiB"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "").replace("_", "")
        number = text.rstrip("kmgtib")
        unit = text[len(number) :]
        try:
            size = float(number) * _UNITS[unit]
        except (ValueError, KeyError):
            pass
        else:
            if size >= 1:
                return int(size)
    raise ValueError(f"{value!r} is not a size: give bytes, or a number with B, KB, MB, GB, TB (or KiB, MiB, GiB)")


def format_bytes(size: int) -> str:
    """``2.1 GB``: sizes in the units people read them in (powers of 1000)."""
    for unit, factor in (("TB", 1000**4), ("GB", _GB), ("MB", 1000**2), ("KB", 1000)):
        if size >= factor:
            return f"{size / factor:,.1f} {unit} ({size:,} bytes)"
    return f"{size:,} bytes"


@dataclass(frozen=True)
class ImportSettings:
    """``max_bytes``: the formats whose size limit the authority changed, with their limits."""

    max_bytes: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted({fmt for fmt, _ in self.max_bytes} - set(DEFAULT_MAX_BYTES))
        if unknown:
            raise ValueError(f"[imports] max_bytes has unknown formats: {', '.join(unknown)}")

    def limit(self, fmt: str) -> int:
        return dict(self.max_bytes).get(fmt, DEFAULT_MAX_BYTES[fmt])

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ImportSettings:
        unknown = sorted(set(values) - {"max_bytes"})
        if unknown:
            raise ValueError(f"[imports] has unknown settings: {', '.join(unknown)}")
        limits = values.get("max_bytes", {})
        if not isinstance(limits, Mapping):
            raise ValueError("[imports] max_bytes must be a table of format = size")
        try:
            parsed = tuple(sorted((str(fmt), parse_bytes(size)) for fmt, size in limits.items()))
        except ValueError as exc:
            raise ValueError(f"[imports] max_bytes: {exc}") from exc
        return cls(max_bytes=parsed)


class LinkageSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class LinkageSettings:
    accept: float = 0.99
    review: float = 0.80
    la_code: str | None = None  # None: the LA code most establishments in GIAS carry
    extra_la_codes: tuple[str, ...] = ()
    school_age: tuple[int, int] = (4, 15)
    # Training (no labels): u from random pairs, m by EM on two blocking rules.
    u_max_pairs: float = 2e6
    seed: int = 6
    # Pairs scored below this are not kept at all (they only tell "below threshold").
    floor: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.accept <= 1.0:
            raise LinkageSettingsError(
                f"need 0 < review <= accept <= 1; got review={self.review}, accept={self.accept}"
            )
        if not 0.0 <= self.floor < self.review:
            raise LinkageSettingsError(f"floor must be at least 0 and below review; got {self.floor}")
        low, high = self.school_age
        if not 0 <= low <= high:
            raise LinkageSettingsError(f"school_age must be [low, high] with 0 <= low <= high; got {self.school_age}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LinkageSettings:
        """Settings from a TOML ``[linkage]`` table; unknown keys are an error, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise LinkageSettingsError(f"[linkage] has unknown settings: {', '.join(unknown)}")
        data = dict(values)
        if "extra_la_codes" in data:
            data["extra_la_codes"] = tuple(str(c) for c in data["extra_la_codes"])
        if "school_age" in data:
            low, high = data["school_age"]
            data["school_age"] = (int(low), int(high))
        return cls(**data)


SNAPSHOT_NAME = "web.duckdb"


def snapshot_beside(warehouse_path: Path) -> Path:
    """Where a warehouse's web snapshot is: ``published/web.duckdb`` in the same workspace. The
    refresh writes it there, the web service reads it there, and a backup copies it from there."""
    return Path(warehouse_path).parent / "published" / SNAPSHOT_NAME


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path("var"))
    cohort: CohortSettings = field(default_factory=CohortSettings)
    cin_census: CinCensusSettings = field(default_factory=CinCensusSettings)
    authority: AuthoritySettings = field(default_factory=AuthoritySettings)
    measures: MeasureSettings = field(default_factory=MeasureSettings)
    disclosure: DisclosureSettings = field(default_factory=DisclosureSettings)
    linkage: LinkageSettings = field(default_factory=LinkageSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    localities: LocalitySettings = field(default_factory=LocalitySettings)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def snapshot_path(self) -> Path:
        return snapshot_beside(self.warehouse_path)


class ConfigError(ValueError):
    pass


def _section(cls: type[Any], values: dict[str, Any], name: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"[{name}] has unknown settings: {', '.join(sorted(unknown))}")
    return cls(**values)


def load_settings(home: Path | None = None, config_file: Path | None = None) -> Settings:
    """Settings from the environment and the optional TOML file."""
    home = home or Path(os.environ.get("EVER6_HOME", "var"))
    config_file = config_file or Path(os.environ.get("EVER6_CONFIG", str(home / "ever6.toml")))
    settings = Settings(home=home)
    if not config_file.exists():
        return settings
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    unknown = set(data) - {
        "cohort",
        "cin_census",
        "authority",
        "measures",
        "disclosure",
        "linkage",
        "engine",
        "imports",
        "notifications",
        "localities",
    }
    if unknown:
        raise ConfigError(f"{config_file}: unknown sections: {', '.join(sorted(unknown))}")
    cohort = _section(CohortSettings, data.get("cohort", {}), "cohort")
    cin = data.get("cin_census", {})
    if "xsd_dirs" in cin:
        cin = {**cin, "xsd_dirs": tuple(Path(p) for p in cin["xsd_dirs"])}
    cin_settings = _section(CinCensusSettings, cin, "cin_census")
    authority = data.get("authority", {})
    authority = {k: str(v) if k in ("la_code", "ons_code") else v for k, v in authority.items()}
    authority_settings = _section(AuthoritySettings, authority, "authority")
    try:
        linkage = LinkageSettings.from_mapping(data.get("linkage", {}))
    except LinkageSettingsError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    engine = dict(data.get("engine", {}))
    if "spark_conf" in engine:
        engine["spark_conf"] = tuple(sorted((str(k), str(v)) for k, v in engine["spark_conf"].items()))
    if "staging" in engine:
        engine["staging"] = Path(engine["staging"])
    try:
        engine_settings = _section(EngineSettings, engine, "engine")
    except ValueError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    try:
        disclosure = _section(DisclosureSettings, data.get("disclosure", {}), "disclosure")
    except ValueError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    try:
        imports = ImportSettings.from_mapping(data.get("imports", {}))
    except ValueError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    try:
        notifications = _section(NotificationSettings, data.get("notifications", {}), "notifications")
    except ValueError as exc:
        raise ConfigError(f"{config_file}: {exc}") from exc
    localities = _localities(data.get("localities", {}), config_file, home)
    settings = replace(
        settings,
        notifications=notifications,
        localities=localities,
        authority=authority_settings,
        imports=imports,
        cohort=cohort,
        cin_census=cin_settings,
        measures=_section(MeasureSettings, data.get("measures", {}), "measures"),
        disclosure=disclosure,
        linkage=linkage,
        engine=engine_settings,
    )
    return with_la_code(settings, authority_settings.la_code)


def _localities(values: dict[str, Any], config_file: Path, home: Path) -> LocalitySettings:
    unknown = set(values) - {"areas", "lookup"}
    if unknown:
        raise ConfigError(f"{config_file}: [localities] has unknown settings: {', '.join(sorted(unknown))}")
    if "areas" in values and "lookup" in values:
        raise ConfigError(f"{config_file}: [localities] gives both areas and a lookup: choose one")
    areas = values.get("areas", {})
    if not isinstance(areas, dict):
        raise ConfigError(f"{config_file}: [localities] areas must be a table of locality = [districts or sectors]")
    settings = LocalitySettings(
        areas=tuple((str(k), tuple(str(e) for e in v) if isinstance(v, list) else (str(v),)) for k, v in areas.items()),
        lookup=Path(values["lookup"]) if "lookup" in values else None,
    )
    try:
        if isinstance(areas, dict) and any(not isinstance(v, list) for v in areas.values()):
            from_areas(areas)  # names the locality whose entry is not a list
        settings.load(home)
    except LocalityError as exc:
        raise ConfigError(f"{config_file}: " + "; ".join(exc.problems)) from exc
    return settings


def with_la_code(settings: Settings, la_code: str | None) -> Settings:
    """The settings for the authority ``la_code``: linkage takes it too unless ``[linkage]`` names its own."""
    linkage = settings.linkage
    if linkage.la_code is None and la_code:
        linkage = replace(linkage, la_code=la_code)
    return replace(settings, authority=replace(settings.authority, la_code=la_code), linkage=linkage)
