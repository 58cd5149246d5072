"""What both rules engines share: vocabularies, legal dates, date arithmetic, input checks.

The reference engine (``_rules``) and the fast engine (``_engine``) implement the rules
independently and are tested against each other; what they share here are the things that
are not rules: constants taken from SEALING_RULES.md, calendar arithmetic (so "six months
after 31 August" is the same day in both), the text normalisation of statute sections,
and the boundary check of the input frames (so both raise the same ``BadInput`` on the
same garbage).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import BadInput
from ..tables._schema import (
    DISPOSITIONS,
    EVENT_TYPES,
    NOTICE_ACTIONS,
    NOTICE_STATUTE_PATTERN,
    OFFENSE_CLASSES,
    ORDER_KINDS,
    SCHEMA,
    SUPERVISIONS,
)
from ._policy import STATUSES

__all__ = [
    "RANK",
    "FAVOURABLE",
    "CRIME_CLASSES",
    "NOT_STARTED",
    "NEVER",
    "to_day",
    "add_months",
    "normalise_sections",
    "notice_statute_keys",
    "check_inputs",
    "checked_inputs",
    "Coded",
    "Inputs",
    "as_arrow",
    "sort_words",
    "string_order",
    "string_rank",
]

#: Precedence rank of every status (0 = highest).
RANK = {status: rank for rank, status in enumerate(STATUSES)}

# --- legal dates (SEALING_RULES.md) --------------------------------------------------
D = "datetime64[D]"
CSA_OPERATIVE = np.datetime64("2024-11-16", "D")  # 160.57 operative [V]
MARIHUANA_2019 = np.datetime64("2019-08-28", "D")  # L.2019 ch. 131/132 [V]
MRTA = np.datetime64("2021-03-31", "D")  # MRTA signed, art. 221 repealed [V]
PL_240_37_REPEAL = np.datetime64("2021-02-02", "D")  # L.2021 ch. 23 [S]; (k)(iv) [M]
ART_221_EFFECTIVE = np.datetime64("1977-07-29", "D")  # L.1977 ch. 360 [M]
CPL_160_55_EFFECTIVE = np.datetime64("1991-11-01", "D")  # nycourts [S]
#: A Clean Slate clock that has not started (incarcerated, no RELEASE yet).
NOT_STARTED = np.datetime64("9999-12-31", "D")
#: A date that never comes: a pending charge with no foreseeable end (an open case), a
#: rearrest that will not end favourably if nothing else happens.
NEVER = NOT_STARTED
NAT = np.datetime64("NaT", "D")

# --- disposition vocabularies --------------------------------------------------------
#: Favourable terminations (160.50(3)) and the paragraph each one falls under.
FAVOURABLE = {
    "DISMISSAL": "(3)(b)",
    "ACQUITTAL": "(3)(c)",
    "TRIAL_ORDER_DISMISSAL": "(3)(d)",
    "VERDICT_SET_ASIDE": "(3)(e)",
    "JUDGMENT_VACATED": "(3)(f)",
    "HABEAS_DISCHARGE": "(3)(g)",
    "NO_TRUE_BILL": "(3)(h)",
    "DECLINE_PROSECUTE": "(3)(i)",
    "POLICE_DECLINE": "(3)(j)",
    "ACD": "(3)(b)",  # the deemed dismissal of an ACD that ran its course
}
#: Terminations a timely People's appeal suspends (160.50(3)(b), (d), (e), (f): "the People
#: did not appeal or lost"); an acquittal (c), an appellate dismissal (a, a DISMISSAL under
#: CPL art. 470), a habeas discharge (g) and the certifications (h)/(i)/(j) are not.
PEOPLE_APPEALABLE = frozenset(
    {"DISMISSAL", "ACD", "TRIAL_ORDER_DISMISSAL", "VERDICT_SET_ASIDE", "JUDGMENT_VACATED"}
)
CRIME_CLASSES = frozenset(
    {"MISDEMEANOR", "FELONY_A", "FELONY_B", "FELONY_C", "FELONY_D", "FELONY_E"}
)
VIOLATION_CLASSES = frozenset({"VIOLATION", "TRAFFIC_INFRACTION"})
SUPERVISED = frozenset({"PROBATION", "PAROLE"})
PENDING_STATUSES = frozenset({"OPEN", "ACD_PENDING", "APPEAL_PENDING"})
RESEALING_STATUSES = frozenset({"SEALED_160_50", "SEALED_160_55", "EXPUNGED_160_50_5"})
DWAI = "VTL 1192.1"
K_II = frozenset({"PL 221.05", "PL 221.10"})
K_III = frozenset({f"PL 221.{n}" for n in ("05", "10", "15", "20", "35", "40")})
K_V = frozenset({"PL 220.03", "PL 220.06"})
K_VI = frozenset({"PL 222.10", "PL 222.15", "PL 222.25", "PL 222.45"})
LEGACY_MARIJUANA_ACD = r"170\.56|210\.46"
SUPERIOR_COURT_ACD = r"215\.40"
APPEAL_DISMISSAL = r"(?:^|\D)470\.\d"
NOTICE_STATUTE_RE = NOTICE_STATUTE_PATTERN

# --- notes appended to reasons (bit flags) ------------------------------------------
NOTE_CHARGE_LEVEL = 1
NOTE_215_40 = 2
NOTE_CSA_RESET = 4


def to_day(value) -> np.datetime64:
    """An as-of date (str, date, Timestamp, datetime64) as ``datetime64[D]``."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"as_of {value!r} is not a date; expected YYYY-MM-DD") from exc
    if pd.isna(stamp):
        raise BadInput(f"as_of {value!r} is not a date; expected YYYY-MM-DD")
    return np.datetime64(stamp.date(), "D")


def add_months(days, months) -> np.ndarray:
    """Calendar months added to ``datetime64[D]`` values, the day clipped to the month end.

    2022-08-31 plus six months is 2023-02-28; NaT stays NaT. Vectorised: ``days`` and
    ``months`` broadcast.
    """
    days = np.asarray(days, dtype=D)
    months = np.asarray(months, dtype=np.int64)
    nat = np.isnat(days)
    safe = np.where(nat, np.datetime64("2000-01-01", "D"), days)
    month = safe.astype("datetime64[M]")
    offset = (safe - month.astype(D)).astype(np.int64)
    target = month + months
    first = target.astype(D)
    length = ((target + 1).astype(D) - first).astype(np.int64)
    out = first + np.minimum(offset, length - 1)
    return np.where(nat, NAT, out)


def normalise_sections(values: pd.Series) -> pd.Series:
    """``" pl  221.10 "`` -> ``"PL 221.10"``; ``"VTL 1192(1)"`` -> ``"VTL 1192.1"``."""
    text = values.astype("str").str.upper().str.strip()
    text = text.str.replace(r"\s+", " ", regex=True)
    text = text.str.replace(r"^(VTL|PL) ?(\d+)\((\w+)\)$", r"\1 \2.\3", regex=True)
    return text.str.replace(r"^(VTL|PL)(\d)", r"\1 \2", regex=True)


def notice_statute_keys(values: pd.Series) -> pd.Series:
    """``"CPL 160.57"`` -> ``"57"``; unrecognised text -> null."""
    return values.astype("str").str.extract(NOTICE_STATUTE_RE, expand=False)


# --- text columns as integer codes --------------------------------------------------
def as_arrow(values) -> pa.Array:
    """A pandas ``str`` Series (or anything ``pyarrow.array`` takes) as one arrow array."""
    arr = pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


class Coded:
    """A text column as integer codes into its distinct values (-1: null).

    Every test on the column (``isin``, a regex, a look-up) is computed once per distinct
    value and then spread to the rows with one integer indexing, so nothing per row runs
    on strings. ``lut(values)[codes]`` works for null rows too: the look-up table has one
    extra slot at the end, which ``-1`` indexes.
    """

    def __init__(self, codes: np.ndarray, uniques: list):
        self.codes = codes
        self.uniques = uniques

    @classmethod
    def of(cls, series) -> Coded:
        """Encode a column (pandas Series or arrow array) by dictionary encoding."""
        enc = pc.dictionary_encode(as_arrow(series))
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return cls(codes, enc.dictionary.to_pylist())

    def lut(self, values, fill) -> np.ndarray:
        """``values`` (one per distinct value) with ``fill`` appended for the null code."""
        return np.append(np.asarray(values), fill) if len(values) else np.array([fill])

    def isin(self, allowed) -> np.ndarray:
        """Rows whose value is one of ``allowed`` (null rows: False)."""
        allowed = set(allowed)
        return self.lut([u in allowed for u in self.uniques], False)[self.codes]

    def eq(self, value) -> np.ndarray:
        """Rows equal to ``value``."""
        return self.isin((value,))

    def map(self, func) -> Coded:
        """The column with ``func`` (Series of distinct values -> Series) applied."""
        mapped = func(pd.Series(self.uniques, dtype="str"))
        codes, uniques = pd.factorize(mapped, use_na_sentinel=True)
        remap = np.append(np.asarray(codes, dtype=np.int32), -1)
        return Coded(remap[self.codes].astype(np.int32), [str(u) for u in uniques])

    def decode(self) -> pd.Series:
        """The column as pandas ``str``."""
        values = pa.array(self.uniques, type=pa.large_string())
        return pd.Series(values.take(pa.array(self.codes, mask=self.codes < 0)), dtype="str")


_WORDS_MAX = 8  # strings up to 64 bytes are sorted as big-endian 64-bit words


def sort_words(arr: pa.Array) -> list[np.ndarray] | None:
    """Non-null strings as big-endian ``uint64`` words, most significant first.

    Comparing the word tuples compares the UTF-8 bytes, i.e. the strings in Python's
    order (a shorter string padded with zero bytes sorts before its extensions), so
    ``np.lexsort`` on integers replaces a sort of strings. None when a string is longer
    than 64 bytes (the caller then sorts the strings themselves).
    """
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    n = len(arr)
    if n == 0:
        return [np.zeros(0, np.uint64)]
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    lengths = np.diff(offsets)
    longest, shortest = int(lengths.max()), int(lengths.min())
    if longest > 8 * _WORDS_MAX:
        return None
    n_words = max(1, -(-longest // 8))
    raw = arr.buffers()[2]
    data = np.frombuffer(raw, dtype=np.uint8) if raw is not None else np.zeros(0, np.uint8)
    matrix = np.zeros((n, 8 * n_words), dtype=np.uint8)
    if longest == shortest:  # fixed width: the bytes are already a matrix
        matrix[:, :longest] = data[offsets[0] : offsets[-1]].reshape(n, longest)
    else:
        starts = offsets[:-1]
        for pos in range(longest):
            column = data[np.minimum(starts + pos, max(data.size - 1, 0))]
            if pos >= shortest:
                column[lengths <= pos] = 0
            matrix[:, pos] = column
    words = matrix.view(">u8")
    return [words[:, w].astype(np.uint64) for w in range(n_words)]


def string_order(arr: pa.Array) -> np.ndarray:
    """The stable argsort of non-null strings (Python's order), without sorting strings."""
    words = sort_words(arr)
    if words is None:
        return pc.sort_indices(arr).to_numpy().astype(np.int64)
    return np.lexsort(words[::-1]).astype(np.int64)


def string_rank(arr: pa.Array) -> np.ndarray:
    """Position of every string in ``string_order`` (distinct strings: their rank)."""
    order = string_order(arr)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank


def _order_and_repeats(arr: pa.Array) -> tuple[np.ndarray, bool]:
    """``string_order`` of the strings, and whether any string repeats (exactly)."""
    words = sort_words(arr)
    if words is None:
        order = pc.sort_indices(arr).to_numpy().astype(np.int64)
        return order, pc.count_distinct(arr, mode="all").as_py() != len(arr)
    order = np.lexsort(words[::-1]).astype(np.int64)
    offsets = np.frombuffer(
        arr.cast(pa.large_string()).buffers()[1],
        dtype=np.int64,
        count=len(arr) + 1,
        offset=arr.offset * 8,
    )
    lengths = np.diff(offsets)[order]
    same = lengths[1:] == lengths[:-1]
    for word in words:
        ranked = word[order]
        same &= ranked[1:] == ranked[:-1]
    return order, bool(same.any())


def _may_repeat(arr: pa.Array) -> bool:
    """False when every (non-null) string is distinct; True when some may repeat.

    A 64-bit hash of the words and the length, sorted: equal neighbours are candidates
    (the caller then finds the repeats exactly), so a hash collision costs time only.
    """
    words = sort_words(arr)
    if words is None:
        return pc.count_distinct(arr, mode="all").as_py() != len(arr)
    offsets = np.frombuffer(
        arr.cast(pa.large_string()).buffers()[1],
        dtype=np.int64,
        count=len(arr) + 1,
        offset=arr.offset * 8,
    )
    h = np.diff(offsets).astype(np.uint64)
    for word in words:
        h = (h * np.uint64(0x9E3779B97F4A7C15)) ^ word
        h ^= h >> np.uint64(29)
    h.sort()
    return bool((h[1:] == h[:-1]).any())


#: Columns of court_events encoded as codes by ``checked_inputs``.
CODED_EVENT_COLUMNS = (
    "DOCKET_ID",
    "EVENT_TYPE",
    "DISPOSITION",
    "CPL_SECTION",
    "OFFENSE_CLASS",
    "PENAL_LAW_SECTION",
    "SUPERVISION",
    "ORDER_KIND",
    "NOTICE_ACTION",
    "NOTICE_STATUTE",
)


class Inputs(NamedTuple):
    """The checked inputs: frames plus what the fast engine needs as integer codes."""

    a: pd.DataFrame
    e: pd.DataFrame
    codes: dict  # column -> Coded (events), plus "SECTION" and "STATUTE_KEY"
    event_arrest: np.ndarray  # row of ``a`` of each event
    arrest_order: np.ndarray  # rows of ``a`` in ARREST_KEY order


# --- the boundary check ----------------------------------------------------------------
_ARREST_COLUMNS = ("ARREST_KEY", "PERSON_ID", "ARREST_DATE", "LAW_CAT_CD")
_EVENT_COLUMNS = tuple(SCHEMA["court_events"].column_names)
_MAX_SHOWN = 5


def _ids(frame: pd.DataFrame, mask, column: str) -> str:
    values = frame.loc[np.asarray(mask, dtype=bool), column].astype("str").fillna("<null>")
    shown = sorted(values.unique().tolist())
    more = len(shown) - _MAX_SHOWN
    text = ", ".join(shown[:_MAX_SHOWN])
    return text + (f" and {more} more" if more > 0 else "")


def _dates(frame: pd.DataFrame, table: str, column: str) -> pd.Series:
    series = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        raise BadInput(
            f"{table}.{column} has dtype {series.dtype}; expected dates (datetime64); "
            "read the tables with sanitizer.tables.read_tables"
        )
    return series.astype("datetime64[s]")


def _bools(frame: pd.DataFrame, column: str, default: bool) -> pd.Series:
    series = frame[column]
    if series.dtype == bool:
        return series
    filled = series.astype("object").where(series.notna(), default)
    bad = ~filled.map(lambda v: isinstance(v, bool | np.bool_))
    if bad.any():
        raise BadInput(
            f"court_events.{column} holds non-boolean values at EVENT_ID "
            f"{_ids(frame, bad, 'EVENT_ID')}; expected true or false"
        )
    return filled.astype(bool)


def _repeats(series: pd.Series) -> np.ndarray | None:
    """The rows of a repeated value (all of them), or None when every value is unique."""
    if not _may_repeat(as_arrow(series)):
        return None
    dup = series.duplicated(keep=False).to_numpy(bool)  # exact (a hash may collide)
    return dup if dup.any() else None


def check_inputs(arrests: pd.DataFrame, court_events: pd.DataFrame):
    """Check and normalise the two input frames; raise ``BadInput`` naming what is wrong.

    Both engines call this first, so garbage is refused identically. Only what the rules
    cannot interpret is refused (an unknown event type or disposition, a missing date, an
    event of an unknown arrest, a duplicated key); odd but interpretable histories
    (events out of order, a restoration without an ACD) are evaluated, not refused.

    Returns
    -------
    arrests, events : DataFrame
        Copies with the columns the rules read, strings as pandas ``str``, dates as
        ``datetime64[s]``, booleans with the contract's null defaults applied, and two
        derived columns on events: ``SECTION`` (normalised penal-law section) and
        ``STATUTE_KEY`` (``"50"``, ``"55"``, ``"57"``, ``"58"``, ``"59"`` from
        ``NOTICE_STATUTE``).
    """
    inputs = checked_inputs(arrests, court_events)
    e = inputs.e
    e["SECTION"] = inputs.codes["SECTION"].decode().to_numpy()
    e["STATUTE_KEY"] = inputs.codes["STATUTE_KEY"].decode().to_numpy()
    e = e.astype({"SECTION": "str", "STATUTE_KEY": "str"})
    return inputs.a, e


def checked_inputs(arrests: pd.DataFrame, court_events: pd.DataFrame) -> Inputs:
    """``check_inputs`` without the two derived text columns, plus integer codes.

    The text columns the rules test are dictionary-encoded once (``Coded``), and each
    event's arrest row is found by one hash look-up; the fast engine works on these.
    """
    for table, frame, columns in (
        ("arrests", arrests, _ARREST_COLUMNS),
        ("court_events", court_events, _EVENT_COLUMNS),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise BadInput(f"{table} must be a pandas DataFrame, got {type(frame).__name__}")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise BadInput(f"{table} lacks column(s) {missing}; see CONTRACT.md 'Input tables'")
    a = pd.DataFrame(
        {
            "ARREST_KEY": arrests["ARREST_KEY"].astype("str").array,
            "PERSON_ID": arrests["PERSON_ID"].astype("str").array,
            "ARREST_DATE": _dates(arrests, "arrests", "ARREST_DATE").array,
            "LAW_CAT_CD": arrests["LAW_CAT_CD"].astype("str").array,
        }
    )
    for column in ("ARREST_KEY", "PERSON_ID", "ARREST_DATE"):
        if a[column].isna().any():
            raise BadInput(
                f"arrests.{column} is empty for ARREST_KEY "
                f"{_ids(a, a[column].isna(), 'ARREST_KEY')}"
            )
    arrest_order, repeats = _order_and_repeats(as_arrow(a["ARREST_KEY"]))
    if repeats:
        dup = a["ARREST_KEY"].duplicated(keep=False).to_numpy(bool)
        raise BadInput(f"arrests.ARREST_KEY repeats: {_ids(a, dup, 'ARREST_KEY')}")

    ev = court_events
    data = {}
    for column in SCHEMA["court_events"].columns:
        if column.kind == "date":
            data[column.name] = _dates(ev, "court_events", column.name).to_numpy()
        elif column.kind == "bool":
            data[column.name] = _bools(ev, column.name, column.null_as).to_numpy()
        else:
            data[column.name] = ev[column.name].astype("str").array
    e = pd.DataFrame(data, index=pd.RangeIndex(len(ev)))
    if e["EVENT_ID"].isna().any():
        raise BadInput("court_events.EVENT_ID is empty in some rows; every event needs an id")
    dup = _repeats(e["EVENT_ID"])
    if dup is not None:
        raise BadInput(f"court_events.EVENT_ID repeats: {_ids(e, dup, 'EVENT_ID')}")
    event_arrest = (
        pc.index_in(as_arrow(e["ARREST_KEY"]), value_set=as_arrow(a["ARREST_KEY"]))
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    known = event_arrest >= 0
    if not known.all():
        raise BadInput(
            f"court_events EVENT_ID {_ids(e, ~known, 'EVENT_ID')} name(s) an ARREST_KEY "
            "that is not in arrests"
        )
    if e["EVENT_DATE"].isna().any():
        raise BadInput(
            f"court_events EVENT_ID {_ids(e, e['EVENT_DATE'].isna(), 'EVENT_ID')} has no EVENT_DATE"
        )
    codes = {name: Coded.of(e[name]) for name in CODED_EVENT_COLUMNS}
    kind = codes["EVENT_TYPE"]
    _vocab(e, codes, kind.codes >= 0, "EVENT_TYPE", EVENT_TYPES)
    _vocab(e, codes, kind.eq("DISPOSITION"), "DISPOSITION", DISPOSITIONS)
    _vocab(e, codes, kind.eq("CONVICTION"), "OFFENSE_CLASS", OFFENSE_CLASSES)
    _vocab(e, codes, kind.eq("COURT_ORDER"), "ORDER_KIND", ORDER_KINDS)
    _vocab(e, codes, kind.eq("NOTICE"), "NOTICE_ACTION", NOTICE_ACTIONS)
    _vocab(
        e,
        codes,
        kind.eq("SENTENCE") & (codes["SUPERVISION"].codes >= 0),
        "SUPERVISION",
        SUPERVISIONS,
    )
    bad_type = kind.codes < 0
    if bad_type.any():
        raise BadInput(
            f"court_events EVENT_ID {_ids(e, bad_type, 'EVENT_ID')} has no EVENT_TYPE; "
            f"expected one of {', '.join(EVENT_TYPES)}"
        )
    codes["SECTION"] = codes["PENAL_LAW_SECTION"].map(normalise_sections)
    codes["STATUTE_KEY"] = codes["NOTICE_STATUTE"].map(notice_statute_keys)
    sealing_notice = kind.eq("NOTICE") & codes["NOTICE_ACTION"].isin(["SEAL", "UNSEAL"])
    bad = sealing_notice & (codes["STATUTE_KEY"].codes < 0)
    if bad.any():
        raise BadInput(
            f"court_events EVENT_ID {_ids(e, bad, 'EVENT_ID')}: a SEAL or UNSEAL NOTICE "
            "needs NOTICE_STATUTE naming CPL 160.50, 160.55, 160.57, 160.58 or 160.59"
        )
    return Inputs(a, e, codes, event_arrest, arrest_order)


def _vocab(e: pd.DataFrame, codes: dict, rows: np.ndarray, column: str, allowed) -> None:
    bad = rows & ~codes[column].isin(allowed)
    if bad.any():
        values = sorted(set(e.loc[bad, column].astype("str").fillna("<null>")))[:_MAX_SHOWN]
        raise BadInput(
            f"court_events EVENT_ID {_ids(e, bad, 'EVENT_ID')}: {column} {values} is not "
            f"one of {', '.join(allowed)}"
        )
