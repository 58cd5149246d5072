"""The arrest charges the world draws from, and what a conviction on each looks like.

Codes and descriptions follow NYPD Arrests Data (NYC Open Data). Each charge belongs to a
``group`` that decides which court scenarios it can reach (a murder charge cannot end in a
disorderly-conduct plea; a cannabis charge only exists after the MRTA). Weights are given
per era (before 2019-08-28, to the MRTA, after), so that marijuana arrests dominate the
old years and PL 222 cannabis appears only at the end, as in NYC.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OFFENCES", "COLUMNS", "GROUPS", "SECTIONS", "column", "era_weights", "SORA_SECTIONS"]

COLUMNS = (
    "PD_CD",
    "PD_DESC",
    "KY_CD",
    "OFNS_DESC",
    "LAW_CODE",
    "LAW_CAT_CD",
    "group",
    "conv_class",
    "section",
    "lesser_class",
    "lesser_section",
    "w_old",
    "w_mid",
    "w_new",
)
_P = "MISCELLANEOUS PENAL LAW"
# fmt: off
OFFENCES = (
    ("101", "ASSAULT 3", "344", "ASSAULT 3 & RELATED OFFENSES", "PL 1200001", "M", "assault", "MISDEMEANOR", "PL 120.00", "VIOLATION", "PL 240.26", 10, 11, 12),  # noqa: E501
    ("113", "MENACING,UNCLASSIFIED", "344", "ASSAULT 3 & RELATED OFFENSES", "PL 1201400", "M", "assault", "MISDEMEANOR", "PL 120.14", "VIOLATION", "PL 240.26", 1.2, 1.2, 1.3),  # noqa: E501
    ("109", "ASSAULT 2,1,UNCLASSIFIED", "106", "FELONY ASSAULT", "PL 1200501", "F", "violent", "FELONY_D", "PL 120.05", "MISDEMEANOR", "PL 120.00", 5, 6, 7.5),  # noqa: E501
    ("115", "RECKLESS ENDANGERMENT 2", "355", "OFFENSES AGAINST THE PERSON", "PL 1202000", "M", "other", "MISDEMEANOR", "PL 120.20", "VIOLATION", "PL 240.20", 1, 1, 1),  # noqa: E501
    ("339", "LARCENY,PETIT FROM OPEN AREAS,UNCLASSIFIED", "341", "PETIT LARCENY", "PL 1552500", "M", "larceny", "MISDEMEANOR", "PL 155.25", "VIOLATION", "PL 240.20", 6, 7, 8),  # noqa: E501
    ("333", "LARCENY,PETIT FROM STORE-SHOPL", "341", "PETIT LARCENY", "PL 1552500", "M", "larceny", "MISDEMEANOR", "PL 155.25", "VIOLATION", "PL 240.20", 4, 5, 6.5),  # noqa: E501
    ("438", "LARCENY,GRAND FROM PERSON,UNCLASSIFIED", "109", "GRAND LARCENY", "PL 1553001", "F", "grand_larceny", "FELONY_E", "PL 155.30", "MISDEMEANOR", "PL 155.25", 2.5, 3, 3.5),  # noqa: E501
    ("441", "LARCENY,GRAND OF AUTO", "109", "GRAND LARCENY", "PL 1553500", "F", "grand_larceny", "FELONY_D", "PL 155.35", "MISDEMEANOR", "PL 155.25", 0.7, 0.7, 0.8),  # noqa: E501
    ("397", "ROBBERY,OPEN AREA UNCLASSIFIED", "105", "ROBBERY", "PL 1600500", "F", "robbery", "FELONY_D", "PL 160.05", "MISDEMEANOR", "PL 155.25", 3, 3, 3.5),  # noqa: E501
    ("386", "ROBBERY,PERSONAL ELECTRONIC DEVICE", "105", "ROBBERY", "PL 1601002", "F", "robbery", "FELONY_C", "PL 160.10", "MISDEMEANOR", "PL 155.25", 1, 1, 1),  # noqa: E501
    ("221", "BURGLARY,RESIDENCE,DAY", "107", "BURGLARY", "PL 1402500", "F", "burglary", "FELONY_C", "PL 140.25", "MISDEMEANOR", "PL 140.10", 1.5, 1.5, 1.5),  # noqa: E501
    ("223", "BURGLARY,RESIDENCE,NIGHT", "107", "BURGLARY", "PL 1402502", "F", "burglary", "FELONY_C", "PL 140.25", "MISDEMEANOR", "PL 140.10", 1, 1, 1),  # noqa: E501
    ("213", "BURGLARY,COMMERCIAL,NIGHT", "107", "BURGLARY", "PL 1402000", "F", "burglary", "FELONY_D", "PL 140.20", "MISDEMEANOR", "PL 140.10", 1, 1, 1),  # noqa: E501
    ("511", "CONTROLLED SUBSTANCE, POSSESSION 7", "235", "DANGEROUS DRUGS", "PL 2200300", "M", "drug", "MISDEMEANOR", "PL 220.03", "VIOLATION", "PL 240.20", 7, 6, 4),  # noqa: E501
    ("511", "CONTROLLED SUBSTANCE, POSSESSION 7", "235", "DANGEROUS DRUGS", "PL 2200300", "M", "conc_cannabis", "MISDEMEANOR", "PL 220.03", "VIOLATION", "PL 240.20", 0.6, 0.6, 0),  # noqa: E501
    ("500", "CONTROLLED SUBSTANCE,POSSESS. 3", "117", "DANGEROUS DRUGS", "PL 2201611", "F", "drug", "FELONY_B", "PL 220.16", "MISDEMEANOR", "PL 220.03", 2, 1.8, 1.5),  # noqa: E501
    ("503", "CONTROLLED SUBSTANCE,SALE 3", "117", "DANGEROUS DRUGS", "PL 2203901", "F", "drug", "FELONY_B", "PL 220.39", "MISDEMEANOR", "PL 220.03", 1.5, 1.3, 1.2),  # noqa: E501
    ("502", "CONTROLLED SUBSTANCE,SALE 1", "117", "DANGEROUS DRUGS", "PL 2204300", "F", "drug_a", "FELONY_A", "PL 220.43", "FELONY_B", "PL 220.39", 0.2, 0.2, 0.2),  # noqa: E501
    ("567", "MARIJUANA, POSSESSION 4 & 5", "235", "DANGEROUS DRUGS", "PL 2211000", "M", "marijuana", "MISDEMEANOR", "PL 221.10", "VIOLATION", "PL 221.05", 8, 1, 0),  # noqa: E501
    ("566", "MARIJUANA, POSSESSION", "678", _P, "PL 2210500", "V", "marijuana", "VIOLATION", "PL 221.05", "VIOLATION", "PL 221.05", 3, 0.3, 0),  # noqa: E501
    ("570", "CANNABIS, UNLAWFUL SALE", "235", "DANGEROUS DRUGS", "PL 2221000", "V", "cannabis", "VIOLATION", "PL 222.10", "VIOLATION", "PL 222.10", 0, 0, 0.4),  # noqa: E501
    ("571", "CANNABIS, PERSONAL CULTIVATION", "235", "DANGEROUS DRUGS", "PL 2221500", "V", "cannabis", "VIOLATION", "PL 222.15", "VIOLATION", "PL 222.15", 0, 0, 0.1),  # noqa: E501
    ("572", "CANNABIS, CRIMINAL POSSESSION 3", "235", "DANGEROUS DRUGS", "PL 2222500", "M", "cannabis", "MISDEMEANOR", "PL 222.25", "VIOLATION", "PL 222.10", 0, 0, 0.3),  # noqa: E501
    ("573", "CANNABIS, CRIMINAL SALE 3", "235", "DANGEROUS DRUGS", "PL 2224500", "M", "cannabis", "MISDEMEANOR", "PL 222.45", "VIOLATION", "PL 222.10", 0, 0, 0.2),  # noqa: E501
    ("905", "INTOXICATED DRIVING,ALCOHOL", "347", "INTOXICATED & IMPAIRED DRIVING", "VTL11920U2", "M", "dwai", "MISDEMEANOR", "VTL 1192.2", "TRAFFIC_INFRACTION", "VTL 1192.1", 3, 3, 3),  # noqa: E501
    ("922", "TRAFFIC,UNCLASSIFIED MISDEMEAN", "348", "VEHICLE AND TRAFFIC LAWS", "VTL0511001", "M", "vtl", "MISDEMEANOR", "VTL 511.1", "TRAFFIC_INFRACTION", "VTL 509.1", 4, 4, 4.5),  # noqa: E501
    ("916", "TRAFFIC,UNCLASSIFIED INFRACTION", "348", "VEHICLE AND TRAFFIC LAWS", "VTL0509001", "I", "vtl", "TRAFFIC_INFRACTION", "VTL 509.1", "TRAFFIC_INFRACTION", "VTL 509.1", 0.8, 0.8, 0.8),  # noqa: E501
    ("782", "WEAPONS, POSSESSION, ETC", "118", "DANGEROUS WEAPONS", "PL 2650301", "F", "weapon", "FELONY_C", "PL 265.03", "MISDEMEANOR", "PL 265.01", 3, 3, 3.5),  # noqa: E501
    ("781", "CRIMINAL POSSESSION WEAPON", "236", "DANGEROUS WEAPONS", "PL 2650101", "M", "other", "MISDEMEANOR", "PL 265.01", "VIOLATION", "PL 240.20", 2, 2, 2),  # noqa: E501
    ("639", "AGGRAVATED HARASSMENT 2", "361", "OFF. AGNST PUB ORD SENSBLTY &", "PL 2403001", "M", "harass", "MISDEMEANOR", "PL 240.30", "VIOLATION", "PL 240.26", 2.5, 2.5, 2.5),  # noqa: E501
    ("637", "HARASSMENT,SUBD 1,CIVILIAN", "578", "HARRASSMENT 2", "PL 2402601", "V", "harass", "VIOLATION", "PL 240.26", "VIOLATION", "PL 240.26", 1.5, 1.5, 1.5),  # noqa: E501
    ("198", "CRIMINAL CONTEMPT 1", "126", _P, "PL 2155101", "F", "other", "FELONY_E", "PL 215.51", "MISDEMEANOR", "PL 215.50", 2, 2, 2),  # noqa: E501
    ("254", "MISCHIEF, CRIMINAL 4, OF MOTOR", "351", "CRIMINAL MISCHIEF & RELATED OF", "PL 1450000", "M", "other", "MISDEMEANOR", "PL 145.00", "VIOLATION", "PL 240.20", 2.5, 2.5, 2.5),  # noqa: E501
    ("203", "TRESPASS 3, CRIMINAL", "352", "CRIMINAL TRESPASS", "PL 1401000", "M", "other", "MISDEMEANOR", "PL 140.10", "VIOLATION", "PL 140.05", 2.5, 2.5, 2.5),  # noqa: E501
    ("478", "THEFT OF SERVICES, UNCLASSIFIED", "343", "OTHER OFFENSES RELATED TO THEF", "PL 1651503", "M", "larceny", "MISDEMEANOR", "PL 165.15", "VIOLATION", "PL 240.20", 3, 3, 2),  # noqa: E501
    ("759", "PUBLIC ADMINISTRATION,UNCLASSI", "359", "OFFENSES AGAINST PUBLIC ADMINI", "PL 2053000", "M", "other", "MISDEMEANOR", "PL 205.30", "VIOLATION", "PL 240.20", 2.5, 2.5, 2.5),  # noqa: E501
    ("796", "RECKLESS ENDANGERMENT OF PROPERTY", "678", _P, "PL 1452500", "M", "other", "MISDEMEANOR", "PL 145.25", "VIOLATION", "PL 240.20", 1.5, 1.5, 1.5),  # noqa: E501
    ("729", "FORGERY,ETC.,UNCLASSIFIED-FELO", "113", "FORGERY", "PL 1702500", "F", "other", "FELONY_D", "PL 170.25", "MISDEMEANOR", "PL 170.20", 1.2, 1.2, 1.2),  # noqa: E501
    ("175", "SEXUAL ABUSE 3,2", "233", "SEX CRIMES", "PL 1305500", "M", "sex", "MISDEMEANOR", "PL 130.55", "MISDEMEANOR", "PL 130.55", 0.6, 0.6, 0.6),  # noqa: E501
    ("157", "RAPE 1", "104", "RAPE", "PL 1303501", "F", "sex", "FELONY_B", "PL 130.35", "FELONY_D", "PL 130.65", 0.25, 0.25, 0.25),  # noqa: E501
    ("125", "MURDER,UNCLASSIFIED", "101", "MURDER & NON-NEGL. MANSLAUGHTER", "PL 1252501", "F", "murder", "FELONY_A", "PL 125.25", "FELONY_B", "PL 125.20", 0.12, 0.12, 0.12),  # noqa: E501
)
# fmt: on
GROUPS = (
    "assault",
    "violent",
    "other",
    "larceny",
    "grand_larceny",
    "robbery",
    "burglary",
    "drug",
    "conc_cannabis",
    "drug_a",
    "marijuana",
    "cannabis",
    "dwai",
    "vtl",
    "weapon",
    "harass",
    "sex",
    "murder",
)
#: Convictions that make the person a SORA registrant (never Clean Slate eligible).
SORA_SECTIONS = ("PL 130.55", "PL 130.35", "PL 130.65")


def column(name: str) -> np.ndarray:
    """One catalogue column as an array (object for text, float for weights)."""
    i = COLUMNS.index(name)
    values = [row[i] for row in OFFENCES]
    return np.array(values, dtype=float if name.startswith("w_") else object)


def era_weights() -> np.ndarray:
    """(3, n_offences) weights: before 2019-08-28, to the MRTA, after."""
    return np.vstack([column("w_old"), column("w_mid"), column("w_new")])


#: Every penal-law section a conviction can carry (the court timeline's vocabulary).
SECTIONS: tuple[str, ...] = tuple(
    sorted(
        set(column("section")) | set(column("lesser_section")) | {"PL 240.20", "PL 240.26"},
    )
)
