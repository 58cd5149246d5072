"""A minimal hand-written data set that satisfies the contract, shared by test modules."""

from __future__ import annotations

from sanitizer.tables import make_frame


def minimal_frames() -> dict:
    persons = make_frame(
        "persons",
        [
            {"PERSON_ID": "P1", "BIRTH_YEAR": 1990, "SEX": "M", "RACE": "BLACK"},
            {"PERSON_ID": "P2", "BIRTH_YEAR": 1985, "SEX": "F", "RACE": "WHITE HISPANIC"},
        ],
    )
    arrests = make_frame(
        "arrests",
        [
            {
                "ARREST_KEY": "A1",
                "PERSON_ID": "P1",
                "ARREST_DATE": "2020-01-10",
                "PD_CD": "101",
                "PD_DESC": "ASSAULT 3",
                "KY_CD": "344",
                "OFNS_DESC": "ASSAULT 3 & RELATED OFFENSES",
                "LAW_CODE": "PL 1200001",
                "LAW_CAT_CD": "M",
                "ARREST_BORO": "K",
                "ARREST_PRECINCT": "75",
                "Latitude": 40.6712,
                "Longitude": -73.8801,
                "AGE_GROUP": "25-44",
                "PERP_SEX": "M",
                "PERP_RACE": "BLACK",
                "ARREST_NARRATIVE": 'subject struck victim, said "leave me", fled',
                "PHOTO_ID": "PH-1",
            },
            {
                "ARREST_KEY": "A2",
                "PERSON_ID": "P2",
                "ARREST_DATE": "2022-03-01",
                "LAW_CAT_CD": "F",
                "ARREST_BORO": "M",
                "ARREST_PRECINCT": "14",
            },
        ],
    )
    court_events = make_frame(
        "court_events",
        [
            {
                "EVENT_ID": "E1",
                "ARREST_KEY": "A1",
                "EVENT_TYPE": "DISPOSITION",
                "EVENT_DATE": "2020-01-11",
                "SOURCE": "DCJS",
                "DISPOSITION": "DECLINE_PROSECUTE",
            },
            {
                "EVENT_ID": "E2",
                "ARREST_KEY": "A2",
                "DOCKET_ID": "D2",
                "EVENT_TYPE": "DISPOSITION",
                "EVENT_DATE": "2022-03-01",
                "DISPOSITION": "ACD_GRANTED",
                "CPL_SECTION": "170.55",
            },
            {
                "EVENT_ID": "E3",
                "ARREST_KEY": "A2",
                "DOCKET_ID": "D2",
                "EVENT_TYPE": "DISPOSITION",
                "EVENT_DATE": "2022-05-01",
                "DISPOSITION": "ACD_RESTORED",
            },
            {
                "EVENT_ID": "E4",
                "ARREST_KEY": "A2",
                "DOCKET_ID": "D2",
                "EVENT_TYPE": "CONVICTION",
                "EVENT_DATE": "2022-08-01",
                "OFFENSE_CLASS": "FELONY_E",
                "PENAL_LAW_SECTION": "PL 155.30",
            },
            {
                "EVENT_ID": "E5",
                "ARREST_KEY": "A2",
                "DOCKET_ID": "D2",
                "EVENT_TYPE": "SENTENCE",
                "EVENT_DATE": "2022-09-01",
                "INCARCERATION": True,
                "SUPERVISION": "PAROLE",
            },
            {
                "EVENT_ID": "E6",
                "ARREST_KEY": "A2",
                "DOCKET_ID": "D2",
                "EVENT_TYPE": "RELEASE",
                "EVENT_DATE": "2023-09-01",
            },
        ],
    )
    complaints = make_frame(
        "complaints",
        [
            {
                "CMPLNT_NUM": "C1",
                "CMPLNT_FR_DT": "2020-01-09",
                "CMPLNT_FR_TM": "22:15:00",
                "CMPLNT_TO_DT": "2020-01-10",
                "CMPLNT_TO_TM": "06:00:00",
                "KY_CD": "107",
                "OFNS_DESC": "BURGLARY",
                "LAW_CAT_CD": "FELONY",
                "BORO_NM": "BROOKLYN",
                "ADDR_PCT_CD": "75",
                "Latitude": 40.6701,
                "Longitude": -73.8812,
                "SUSP_RACE": "BLACK",
                "SUSP_SEX": "M",
                "SUSP_HEIGHT_IN": 70.0,
                "SUSP_COUNT": 1,
                "NARRATIVE": "rear window pried, jewelry taken",
            },
            {
                "CMPLNT_NUM": "C2",
                "CMPLNT_FR_DT": "2020-01-12",
                "KY_CD": "107",
                "BORO_NM": "BROOKLYN",
            },
        ],
    )
    complaint_arrests = make_frame(
        "complaint_arrests",
        [{"CMPLNT_NUM": "C1", "ARREST_KEY": "A1", "ARRESTEE_HEIGHT_IN": 71.0, "ARRESTEE_AGE": 30}],
    )
    patterns = make_frame(
        "patterns",
        [
            {"PATTERN_ID": "PT1", "CMPLNT_NUM": "C1", "PATTERN_SOURCE": "ANALYST"},
            {
                "PATTERN_ID": "PT1",
                "CMPLNT_NUM": "C2",
                "PATTERN_SOURCE": "ANALYST",
                "ESTABLISHED_BY_ARREST_KEY": "A1",
            },
        ],
    )
    access_grants = make_frame(
        "access_grants",
        [
            {
                "GRANT_ID": "G1",
                "BASIS": "CPL_160_50_1_d_ii_EX_PARTE_ORDER",
                "COURT": "Supreme Court, Kings County",
                "COURT_TYPE": "SUPREME",
                "EX_PARTE": True,
                "ISSUED_AT": "2024-01-02",
                "EFFECTIVE_FROM": "2024-01-02",
                "EXPIRES_AT": "2024-07-02",
                "STATUS": "ACTIVE",
                "GRANTEE_IDS": "det.rivera;det.chen",
                "SCOPE_ARREST_KEYS": "A1",
                "RECORD_TYPES": "ARREST_REPORT;PHOTO",
                "PURPOSE": "INVESTIGATION_OF_SPECIFIC_CRIME",
                "CASE_NO": "2024-075-00123",
            }
        ],
    )
    return {
        "persons": persons,
        "arrests": arrests,
        "court_events": court_events,
        "complaints": complaints,
        "complaint_arrests": complaint_arrests,
        "patterns": patterns,
        "access_grants": access_grants,
    }
