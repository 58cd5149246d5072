"""The data contract: every input table, column, type, key, vocabulary and reference.

This is the single definition CONTRACT.md ("Input tables") is turned into. Readers,
``validate``, the synthetic world and the content digest all read it, so a column added
here is added everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Column",
    "TableSchema",
    "SCHEMA",
    "TABLE_NAMES",
    "RACES",
    "SEXES",
    "AGE_GROUPS",
    "LAW_CATEGORIES",
    "ARREST_BOROS",
    "COMPLAINT_BOROS",
    "COMPLAINT_LAW_CATEGORIES",
    "COMPLAINT_KY_CODES",
    "EVENT_TYPES",
    "EVENT_SOURCES",
    "DISPOSITIONS",
    "OFFENSE_CLASSES",
    "SUPERVISIONS",
    "ORDER_KINDS",
    "NOTICE_ACTIONS",
    "PATTERN_SOURCES",
    "GRANT_BASES",
    "COURT_TYPES",
    "GRANT_STATUSES",
    "RECORD_TYPES",
    "PURPOSES",
    "PERMITTED_ACTIONS",
    "EVENT_TYPE_REQUIRES",
    "NOTICE_STATUTE_PATTERN",
    "LIST_SEPARATOR",
    "WILDCARD",
]

# --- shared vocabularies (CONTRACT.md) ---------------------------------------------
RACES = (
    "BLACK",
    "WHITE HISPANIC",
    "BLACK HISPANIC",
    "WHITE",
    "ASIAN / PACIFIC ISLANDER",
    "AMERICAN INDIAN/ALASKAN NATIVE",
    "UNKNOWN",
)
SEXES = ("M", "F", "U")
AGE_GROUPS = ("<18", "18-24", "25-44", "45-64", "65+", "UNKNOWN")
LAW_CATEGORIES = ("F", "M", "V", "I")
ARREST_BOROS = ("B", "K", "M", "Q", "S")
COMPLAINT_BOROS = ("BRONX", "BROOKLYN", "MANHATTAN", "QUEENS", "STATEN ISLAND")
COMPLAINT_LAW_CATEGORIES = ("FELONY", "MISDEMEANOR", "VIOLATION")
#: Patternizr's three crime types: robbery, burglary, grand larceny.
COMPLAINT_KY_CODES = ("105", "107", "109")

EVENT_TYPES = (
    "DISPOSITION",
    "CONVICTION",
    "SENTENCE",
    "RELEASE",
    "SUPERVISION_END",
    "SUPERVISION_REVOKED",
    "PEOPLE_APPEAL_FILED",
    "APPEAL_DECIDED",
    "SEALING_DENIED_IJ",
    "COURT_ORDER",
    "NOTICE",
)
EVENT_SOURCES = ("OCA", "DCJS", "COURT", "POLICE")
DISPOSITIONS = (
    "DISMISSAL",
    "ACQUITTAL",
    "ACD_GRANTED",
    "ACD_RESTORED",
    "DECLINE_PROSECUTE",
    "POLICE_DECLINE",
    "NO_TRUE_BILL",
    "TRIAL_ORDER_DISMISSAL",
    "VERDICT_SET_ASIDE",
    "JUDGMENT_VACATED",
    "HABEAS_DISCHARGE",
    "DISMISSED_AS_COVERED",
)
OFFENSE_CLASSES = (
    "VIOLATION",
    "TRAFFIC_INFRACTION",
    "MISDEMEANOR",
    "FELONY_A",
    "FELONY_B",
    "FELONY_C",
    "FELONY_D",
    "FELONY_E",
)
SUPERVISIONS = ("NONE", "PROBATION", "PAROLE", "CONDITIONAL_DISCHARGE")
ORDER_KINDS = ("SEAL_160_58", "SEAL_160_59", "SEAL_160_50_MOTION", "SEAL_160_55_MOTION")
NOTICE_ACTIONS = ("SEAL", "UNSEAL", "EXPUNGE")
PATTERN_SOURCES = ("ANALYST", "ARREST_DERIVED")

GRANT_BASES = (
    "CPL_160_50_1_d_ii_EX_PARTE_ORDER",
    "CPL_160_55_1_d_ii_EX_PARTE_ORDER",
    "CPL_160_50_1_d_i_PROSECUTOR_ACD_MARIHUANA",
    "GUN_LICENSE_APPLICATION",
    "PAROLE_SUPERVISION",
    "PROBATION_SUPERVISION_ARREST_DURING",
    "POLICE_PEACE_OFFICER_APPLICANT",
    "SUBJECT_OR_DESIGNATED_AGENT",
    "LE_DUTY_STATUTORY",
    "DEIDENTIFIED_RESEARCH_160_57",
    "OTHER_160_57_CATEGORY",
)
COURT_TYPES = ("SUPREME", "COUNTY", "DISTRICT", "CITY", "NYC_CRIMINAL")
GRANT_STATUSES = ("ACTIVE", "EXPIRED", "VACATED", "SUPERSEDED")
RECORD_TYPES = (
    "ARREST_REPORT",
    "PHOTO",
    "PRINTS",
    "COMPLAINT_LINKS",
    "COURT_PAPERS",
    "DA_FILE",
    "PROPERTY",
)
PURPOSES = (
    "INVESTIGATION_OF_SPECIFIC_CRIME",
    "LICENSE_REVIEW",
    "SUPERVISION",
    "EMPLOYMENT",
    "SUBJECT_REQUEST",
)
PERMITTED_ACTIONS = ("VIEW", "COPY")

#: Lists inside a cell (access_grants) are joined with this.
LIST_SEPARATOR = ";"
#: A scope of ``*`` means "every record": a category-wide grant.
WILDCARD = "*"

#: Columns of ``court_events`` that must be filled for a given ``EVENT_TYPE``.
EVENT_TYPE_REQUIRES = {
    "DISPOSITION": ("DISPOSITION",),
    "CONVICTION": ("OFFENSE_CLASS",),
    "COURT_ORDER": ("ORDER_KIND",),
    "NOTICE": ("NOTICE_ACTION", "NOTICE_STATUTE"),
}
#: What a SEAL or UNSEAL NOTICE's ``NOTICE_STATUTE`` must name (searched anywhere in the
#: text): CPL 160.50, 160.55, 160.57, 160.58 or 160.59. The group is the statute's key.
NOTICE_STATUTE_PATTERN = r"160\.(5[05789])"

# --- column and table definitions ---------------------------------------------------
#: Column kinds and what a valid cell looks like in CSV text.
KINDS = ("str", "int", "float", "date", "time", "bool", "list")


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Parameters
    ----------
    name : str
        The column name, spelled as in NYC Open Data where one exists.
    kind : {"str", "int", "float", "date", "time", "bool", "list"}
        ``list`` is a ``;``-separated string; ``time`` is ``HH:MM:SS``.
    required : bool
        Whether a null cell is an error. Keys are always required.
    vocab : tuple of str, optional
        Closed vocabulary; for ``list`` columns it applies to each item.
    references : (table, column), optional
        Every non-null value (each item, for lists; ``*`` excepted) must exist there.
    null_as : bool, optional
        For booleans: what a null cell means (CONTRACT.md: false, except
        ``ENTIRE_INSTRUMENT``, where null means true).
    """

    name: str
    kind: str = "str"
    required: bool = False
    vocab: tuple[str, ...] | None = None
    references: tuple[str, str] | None = None
    null_as: bool | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.name}")
        if self.kind == "bool" and self.null_as is None:
            object.__setattr__(self, "null_as", False)


@dataclass(frozen=True)
class TableSchema:
    """One input table: its columns in contract order and its key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self.column_index]
        if missing:
            raise ValueError(f"key columns {missing} not defined in {self.name}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> Column:
        return self.column_index[name]


def _key(name: str, references: tuple[str, str] | None = None) -> Column:
    return Column(name, "str", required=True, references=references)


PERSONS = TableSchema(
    "persons",
    (
        _key("PERSON_ID"),
        Column("BIRTH_YEAR", "int"),
        Column("SEX", vocab=SEXES),
        Column("RACE", vocab=RACES),
    ),
    key=("PERSON_ID",),
)

ARRESTS = TableSchema(
    "arrests",
    (
        _key("ARREST_KEY"),
        _key("PERSON_ID", references=("persons", "PERSON_ID")),
        Column("ARREST_DATE", "date", required=True),
        Column("PD_CD"),
        Column("PD_DESC"),
        Column("KY_CD"),
        Column("OFNS_DESC"),
        Column("LAW_CODE"),
        Column("LAW_CAT_CD", vocab=LAW_CATEGORIES),
        Column("ARREST_BORO", vocab=ARREST_BOROS),
        Column("ARREST_PRECINCT"),
        Column("Latitude", "float"),
        Column("Longitude", "float"),
        Column("AGE_GROUP", vocab=AGE_GROUPS),
        Column("PERP_SEX", vocab=SEXES),
        Column("PERP_RACE", vocab=RACES),
        Column("ARREST_NARRATIVE"),
        Column("PHOTO_ID"),
    ),
    key=("ARREST_KEY",),
)

COURT_EVENTS = TableSchema(
    "court_events",
    (
        _key("EVENT_ID"),
        _key("ARREST_KEY", references=("arrests", "ARREST_KEY")),
        Column("DOCKET_ID"),
        Column("EVENT_TYPE", required=True, vocab=EVENT_TYPES),
        Column("EVENT_DATE", "date", required=True),
        Column("SOURCE", vocab=EVENT_SOURCES),
        Column("DISPOSITION", vocab=DISPOSITIONS),
        Column("CPL_SECTION"),
        Column("ENTIRE_INSTRUMENT", "bool", null_as=True),
        Column("FAMILY_OFFENSE", "bool"),
        Column("OFFENSE_CLASS", vocab=OFFENSE_CLASSES),
        Column("PENAL_LAW_SECTION"),
        Column("SORA_OFFENSE", "bool"),
        Column("DRUG_ART220", "bool"),
        Column("CANNABIS_ONLY", "bool"),
        Column("INCARCERATION", "bool"),
        Column("SUPERVISION", vocab=SUPERVISIONS),
        Column("FOR_PEOPLE", "bool"),
        Column("ORDER_KIND", vocab=ORDER_KINDS),
        Column("NOTICE_ACTION", vocab=NOTICE_ACTIONS),
        Column("NOTICE_STATUTE"),
    ),
    key=("EVENT_ID",),
)

COMPLAINTS = TableSchema(
    "complaints",
    (
        _key("CMPLNT_NUM"),
        Column("CMPLNT_FR_DT", "date", required=True),
        Column("CMPLNT_FR_TM", "time"),
        Column("CMPLNT_TO_DT", "date"),
        Column("CMPLNT_TO_TM", "time"),
        Column("KY_CD", required=True, vocab=COMPLAINT_KY_CODES),
        Column("OFNS_DESC"),
        Column("PD_CD"),
        Column("LAW_CAT_CD", vocab=COMPLAINT_LAW_CATEGORIES),
        Column("BORO_NM", vocab=COMPLAINT_BOROS),
        Column("ADDR_PCT_CD"),
        Column("PREM_TYP_DESC"),
        Column("Latitude", "float"),
        Column("Longitude", "float"),
        Column("METHOD_OF_ENTRY"),
        Column("FORCE_USED"),
        Column("WEAPON"),
        Column("PROPERTY_TAKEN"),
        Column("SUSP_AGE_GROUP", vocab=AGE_GROUPS),
        Column("SUSP_RACE", vocab=RACES),
        Column("SUSP_SEX", vocab=SEXES),
        Column("SUSP_HEIGHT_IN", "float"),
        Column("SUSP_WEIGHT_LB", "float"),
        Column("SUSP_COUNT", "int"),
        Column("NARRATIVE"),
    ),
    key=("CMPLNT_NUM",),
)

COMPLAINT_ARRESTS = TableSchema(
    "complaint_arrests",
    (
        _key("CMPLNT_NUM", references=("complaints", "CMPLNT_NUM")),
        _key("ARREST_KEY", references=("arrests", "ARREST_KEY")),
        Column("ARRESTEE_HEIGHT_IN", "float"),
        Column("ARRESTEE_WEIGHT_LB", "float"),
        Column("ARRESTEE_AGE", "int"),
        Column("ARRESTEE_STATEMENT"),
    ),
    key=("CMPLNT_NUM", "ARREST_KEY"),
)

PATTERNS = TableSchema(
    "patterns",
    (
        _key("PATTERN_ID"),
        _key("CMPLNT_NUM", references=("complaints", "CMPLNT_NUM")),
        Column("PATTERN_SOURCE", required=True, vocab=PATTERN_SOURCES),
        Column("ESTABLISHED_BY_ARREST_KEY", references=("arrests", "ARREST_KEY")),
    ),
    key=("PATTERN_ID", "CMPLNT_NUM"),
)

ACCESS_GRANTS = TableSchema(
    "access_grants",
    (
        _key("GRANT_ID"),
        Column("BASIS", required=True, vocab=GRANT_BASES),
        Column("COURT"),
        Column("COURT_TYPE", vocab=COURT_TYPES),
        Column("COURT_SEALED_THE_RECORD", "bool"),
        Column("EX_PARTE", "bool"),
        Column("DOCKET_NO"),
        Column("JUDGE"),
        Column("ISSUED_AT", "date"),
        Column("EFFECTIVE_FROM", "date"),
        Column("EXPIRES_AT", "date"),
        Column("STATUS", required=True, vocab=GRANT_STATUSES),
        Column("GRANTEE_IDS", "list"),
        Column("SCOPE_ARREST_KEYS", "list", references=("arrests", "ARREST_KEY")),
        Column("SCOPE_PERSON_IDS", "list", references=("persons", "PERSON_ID")),
        Column("RECORD_TYPES", "list", vocab=RECORD_TYPES),
        Column("PURPOSE", vocab=PURPOSES),
        Column("PERMITTED_ACTIONS", "list", vocab=PERMITTED_ACTIONS),
        Column("CASE_NO"),
        Column("ORDER_SHA256"),
    ),
    key=("GRANT_ID",),
)

#: Every input table, in dependency order (a table only references earlier ones).
SCHEMA: dict[str, TableSchema] = {
    t.name: t
    for t in (
        PERSONS,
        ARRESTS,
        COURT_EVENTS,
        COMPLAINTS,
        COMPLAINT_ARRESTS,
        PATTERNS,
        ACCESS_GRANTS,
    )
}
TABLE_NAMES: tuple[str, ...] = tuple(SCHEMA)
