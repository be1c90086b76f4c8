"""Build the training table from the NHANES public-use files (read in place, never copied).

One row per adult (18+) with a complete PHQ-9; columns are the model features of `predictor.features`, plus
`cycle`, `seqn`, `phq9_total`, the outcome `depressed` (PHQ-9 total >= 10) and the survey design columns
`exam_weight`, `stratum`, `psu` and `race_ethnicity` (validation only).

Mapping rules (per cycle, written out in docs/questionnaire.md):
- SAS transport files store 0 as 5.4e-79: every numeric value is rounded before codes are compared;
- refused / don't know codes (7, 9, 77, 99, 777, 999, 7777, 9999) and anything outside a variable's valid range
  become missing;
- where a cycle has no raw file for a module, the supplementary merged file
  (supplementary/Tirgit_NHANES_depression/full_df.csv.gz, raw NHANES codes for 2007-2018) fills that module's
  variables; raw files always win;
- 2017-2018 (J) and 2017-2020 pre-pandemic (P_) hold the same people under different ids: they are never pooled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from predictor.features import FEATURE_KEYS, normalise_frame
from predictor.schema import CONDITION_KEYS

DPQ_ITEMS = tuple(f"DPQ0{n}0" for n in range(1, 10))
PHQ9_POSITIVE = 10
SUPPLEMENT_PATH = Path("supplementary") / "Tirgit_NHANES_depression" / "full_df.csv.gz"


@dataclass(frozen=True)
class Cycle:
    key: str  # the folder name, e.g. "2013-2014"
    letter: str  # the NHANES file suffix
    survey_nr: int  # SDDSRVYR, as in the supplementary file
    files: dict[str, str] = field(default_factory=dict)  # module -> file name inside the folder


def _files(letter: str, modules: str, *, lower: str = "", csv: str = "") -> dict[str, str]:
    names = {module: f"{module}_{letter}.XPT" for module in modules.split()}
    names |= {module: f"{module}_{letter}.xpt" for module in lower.split()}
    names |= {module: f"{module}_{letter}.csv" for module in csv.split()}
    return names


CYCLES: tuple[Cycle, ...] = (
    Cycle("2005-2006", "D", 4, _files("D", "DEMO DPQ SMQ PAQ SLQ BMX HUQ")),
    Cycle("2007-2008", "E", 5, _files("E", "DEMO DPQ SMQ PAQ SLQ BMX HUQ")),
    Cycle("2009-2010", "F", 6, _files("F", "DEMO DPQ SMQ PAQ SLQ BMX")),
    Cycle("2011-2012", "G", 7, _files("G", "DEMO DPQ SMQ PAQ SLQ BMX HUQ DBQ")),
    Cycle("2013-2014", "H", 8, _files("H", "DEMO DPQ SMQ ALQ SLQ BMX HUQ DBQ BPQ")),
    Cycle("2015-2016", "I", 9, _files("I", "DEMO DPQ SMQ SLQ BMX HUQ DBQ", lower="BPQ DIQ")),
    Cycle("2017-2018", "J", 10, _files("J", "DEMO DPQ SMQ PAQ SLQ BMX HUQ DBQ BPQ OCQ", csv="ALQ MCQ")),
)
CYCLES_BY_KEY = {cycle.key: cycle for cycle in CYCLES}

# Supplementary column -> the NHANES variable it holds (per its authors' 01_load_merge_MH.R).
SUPPLEMENT_COLUMNS = {
    "work_status": "OCD150",
    "reason_not_working": "OCQ380",
    "asthma": "MCQ010",
    "arthritis": "MCQ160A",
    "heart_failure": "MCQ160B",
    "CHD": "MCQ160C",
    "angina": "MCQ160D",
    "heart_attack": "MCQ160E",
    "stroke": "MCQ160F",
    "bronchitis": "MCQ160K",
    "liver_condition": "MCQ160L",
    "thyroid_condition": "MCQ160M",
    "cancer": "MCQ220",
    "diabetes": "DIQ010",
    "hypertension": "BPQ020",
    "hyperlipidemia": "BPQ080",
    "alcohol_ever": "ALQ110",  # ALQ111 in 2017-2018, which has its raw ALQ file and so never uses this
    "alcohol_quantity": "ALQ130",
    "PA_vigorous": "PAD660",
    "PA_moderate": "PAD675",
    "PA_sedentary": "PAD680",
}
# Modules whose variables the supplement can stand in for, and the variables that belong to each.
SUPPLEMENT_MODULES = {
    "OCQ": ("OCD150", "OCQ380"),
    "MCQ": (
        "MCQ010",
        "MCQ160A",
        "MCQ160B",
        "MCQ160C",
        "MCQ160D",
        "MCQ160E",
        "MCQ160F",
        "MCQ160K",
        "MCQ160L",
        "MCQ160M",
        "MCQ220",
    ),
    "DIQ": ("DIQ010",),
    "BPQ": ("BPQ020", "BPQ080"),
    "ALQ": ("ALQ110", "ALQ130"),
    "PAQ": ("PAD660", "PAD675", "PAD680"),
}


def read_module(path: Path) -> pd.DataFrame:
    """One NHANES file, indexed by SEQN, numeric values rounded (the XPT zero is 5.4e-79)."""
    if path.suffix.lower() == ".xpt":
        frame = pd.read_sas(path, format="xport", encoding="infer")
    else:
        frame = pd.read_csv(path)
    frame = frame.apply(lambda column: column.round(6) if pd.api.types.is_float_dtype(column) else column)
    frame["SEQN"] = frame["SEQN"].astype("int64")
    return frame.set_index("SEQN")


def read_supplement(nhanes_dir: Path) -> pd.DataFrame | None:
    path = nhanes_dir / SUPPLEMENT_PATH
    if not path.exists():
        return None
    frame = pd.read_csv(path, usecols=["SEQN", "survey_nr", *SUPPLEMENT_COLUMNS])
    frame = frame.rename(columns=SUPPLEMENT_COLUMNS)
    frame["SEQN"] = frame["SEQN"].astype("int64")
    return frame.set_index("SEQN")


def load_cycle(nhanes_dir: Path, cycle: Cycle, supplement: pd.DataFrame | None = None) -> pd.DataFrame:
    """One wide frame per cycle: DEMO joined with DPQ and every other module on SEQN, gaps filled from the
    supplement for modules without a raw file."""
    folder = nhanes_dir / cycle.key
    modules = {module: read_module(folder / name) for module, name in cycle.files.items()}
    wide = modules.pop("DEMO").join(modules.pop("DPQ"), how="inner")
    for frame in modules.values():
        wide = wide.join(frame[[c for c in frame.columns if c not in wide.columns]], how="left")
    if supplement is not None:
        rows = supplement[supplement["survey_nr"] == cycle.survey_nr]
        for module, columns in SUPPLEMENT_MODULES.items():
            if module in cycle.files:
                continue
            missing = [c for c in columns if c not in wide.columns and c in rows.columns]
            wide = wide.join(rows[missing], how="left")
    return wide


# --- mapping helpers: each takes the wide frame and returns a Series aligned on its index -----------------------


def _col(wide: pd.DataFrame, name: str) -> pd.Series:
    if name in wide.columns:
        return pd.to_numeric(wide[name], errors="coerce").round(6)
    return pd.Series(np.nan, index=wide.index, dtype="float64")


def _first(wide: pd.DataFrame, *names: str) -> pd.Series:
    """The first of several cycle-specific variable names that this cycle has."""
    for name in names:
        if name in wide.columns:
            return _col(wide, name)
    return _col(wide, names[0])


def _in_range(series: pd.Series, low: float, high: float) -> pd.Series:
    return series.where((series >= low) & (series <= high))


def _codes(series: pd.Series, mapping: dict[int, object]) -> pd.Series:
    """Map survey codes to values; every other code (7/9/77/99 …, blanks) becomes missing."""
    return series.map(lambda v: mapping.get(int(v), np.nan) if pd.notna(v) else np.nan).astype("object")


def _yes_no(series: pd.Series) -> pd.Series:
    return _codes(series, {1: 1.0, 2: 0.0}).astype("float64")


# DIQ010 has a third answer, 3 = borderline / prediabetes, which the questionnaire counts as "no diabetes".
EXTRA_NO_CODES = {"DIQ010": 3}


def _any_yes(wide: pd.DataFrame, *names: str) -> pd.Series:
    """1 if any variable is yes, 0 if none is yes and at least one is no, else missing."""
    answers = pd.concat([_yes_no(_col(wide, name).replace(EXTRA_NO_CODES.get(name, 2), 2)) for name in names], axis=1)
    result = pd.Series(np.nan, index=wide.index, dtype="float64")
    result[(answers == 0).any(axis=1)] = 0.0
    result[(answers == 1).any(axis=1)] = 1.0
    return result


def map_employment(wide: pd.DataFrame) -> pd.Series:
    status, reason = _col(wide, "OCD150"), _col(wide, "OCQ380")
    reason_label = _codes(
        reason,
        {
            1: "not_working_other",
            2: "not_working_other",
            3: "retired",
            4: "unable_to_work",
            5: "looking_for_work",
            6: "unable_to_work",
            7: "not_working_other",
        },
    )
    result = pd.Series(np.nan, index=wide.index, dtype="object")
    result[status.isin([1, 2])] = "working"
    result[status == 3] = "looking_for_work"
    not_working = status == 4
    result[not_working] = reason_label[not_working].fillna("not_working_other")
    return result


def map_smoking(wide: pd.DataFrame) -> pd.Series:
    ever, now = _col(wide, "SMQ020"), _col(wide, "SMQ040")
    result = pd.Series(np.nan, index=wide.index, dtype="object")
    result[ever == 2] = "never"
    result[(ever == 1) & now.isin([1, 2])] = "current"
    result[(ever == 1) & (now == 3)] = "former"
    return result


def map_alcohol(wide: pd.DataFrame) -> pd.Series:
    """Drinks on a drinking day; 0 for people the survey routed past the question as non-drinkers."""
    drinks = _in_range(_col(wide, "ALQ130"), 1, 50)
    result = drinks.copy()
    never = (_col(wide, "ALQ110") == 2) | (_col(wide, "ALQ111") == 2)
    none_last_year = (_col(wide, "ALQ120Q") == 0) | (_col(wide, "ALQ121") == 0)
    result[(never | none_last_year) & drinks.isna()] = 0.0
    return result


def map_physical_activity(wide: pd.DataFrame) -> pd.Series:
    if "PAQ650" in wide.columns or "PAD200" in wide.columns:
        # PAQ650/PAQ665: vigorous/moderate recreational activity in a typical week (2007+); PAD200/PAD320:
        # vigorous/moderate activity in the past 30 days (2005-2006), where 3 = unable to do it.
        vigorous = _codes(_first(wide, "PAQ650", "PAD200"), {1: True, 2: False, 3: False})
        moderate = _codes(_first(wide, "PAQ665", "PAD320"), {1: True, 2: False, 3: False})
    else:
        # Supplement only: minutes per day of vigorous (PAD660) / moderate (PAD675) recreational activity, asked
        # only of people who answered yes; a person present in the supplement with neither is counted as none.
        vigorous_minutes, moderate_minutes = _col(wide, "PAD660"), _col(wide, "PAD675")
        in_module = wide.get("PAD680", pd.Series(np.nan, index=wide.index)).notna()
        vigorous = (vigorous_minutes.between(1, 1000)).where(in_module, np.nan)
        moderate = (moderate_minutes.between(1, 1000)).where(in_module, np.nan)
    result = pd.Series(np.nan, index=wide.index, dtype="object")
    result[(vigorous == False) & (moderate == False)] = "none"  # noqa: E712 (object series of True/False/NaN)
    result[moderate == True] = "moderate"  # noqa: E712
    result[vigorous == True] = "vigorous"  # noqa: E712
    return result


def map_sleep_hours(wide: pd.DataFrame) -> pd.Series:
    # SLD010H (2005-2014, whole hours, 77/99 missing) was replaced by SLD012 (2015+, half hours).
    return _in_range(_first(wide, "SLD012", "SLD010H"), 1, 24)


def map_marital(wide: pd.DataFrame) -> pd.Series:
    if "DMDMARTL" in wide.columns:
        return _codes(
            _col(wide, "DMDMARTL"),
            {
                1: "married_or_partner",
                2: "widowed",
                3: "divorced_or_separated",
                4: "divorced_or_separated",
                5: "never_married",
                6: "married_or_partner",
            },
        )
    # DMDMARTZ (2017-2020 P_, 2021-2023 L) merges widowed with divorced/separated.
    return _codes(_col(wide, "DMDMARTZ"), {1: "married_or_partner", 2: "divorced_or_separated", 3: "never_married"})


FIVE_POINT = {1: "excellent", 2: "very_good", 3: "good", 4: "fair", 5: "poor"}

CONDITION_SOURCES: dict[str, tuple[str, ...]] = {
    "high_blood_pressure": ("BPQ020",),
    "high_cholesterol": ("BPQ080",),
    "diabetes": ("DIQ010",),  # 1 yes; 2 no and 3 borderline count as no
    "asthma": ("MCQ010",),
    "arthritis": ("MCQ160A",),
    "heart_disease": ("MCQ160B", "MCQ160C", "MCQ160D", "MCQ160E"),
    "stroke": ("MCQ160F",),
    "lung_disease": ("MCQ160K", "MCQ160G", "MCQ160O"),
    "liver_condition": ("MCQ160L",),
    "thyroid_condition": ("MCQ160M",),
    "cancer": ("MCQ220",),
}

MAPPERS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "age": lambda w: _in_range(_col(w, "RIDAGEYR"), 0, 120),
    "sex": lambda w: _codes(_col(w, "RIAGENDR"), {1: "male", 2: "female"}),
    "education": lambda w: _codes(
        _col(w, "DMDEDUC2"),
        {1: "less_than_9th_grade", 2: "some_high_school", 3: "high_school", 4: "some_college", 5: "college_graduate"},
    ),
    "marital_status": map_marital,
    "household_size": lambda w: _in_range(_col(w, "DMDHHSIZ"), 1, 20),
    "income_poverty_ratio": lambda w: _in_range(_col(w, "INDFMPIR"), 0, 5),
    "employment": map_employment,
    "smoking": map_smoking,
    "alcohol_drinks_per_day": map_alcohol,
    "physical_activity": map_physical_activity,
    "sitting_hours": lambda w: _in_range(_col(w, "PAD680"), 0, 1440) / 60,
    "diet_quality": lambda w: _codes(_col(w, "DBQ700"), FIVE_POINT),
    "sleep_hours": map_sleep_hours,
    "sleep_trouble_told_doctor": lambda w: _codes(_col(w, "SLQ050"), {1: "yes", 2: "no"}),
    "bmi": lambda w: _in_range(_col(w, "BMXBMI"), 10, 130),
    **{f"condition_{key}": (lambda w, sources=CONDITION_SOURCES[key]: _any_yes(w, *sources)) for key in CONDITION_KEYS},
    "general_health": lambda w: _codes(_col(w, "HUQ010"), FIVE_POINT),
    "mental_health_visit": lambda w: _codes(_col(w, "HUQ090"), {1: "yes", 2: "no"}),
}
assert set(MAPPERS) == set(FEATURE_KEYS), "every model feature needs an NHANES mapping"


def phq9_total(wide: pd.DataFrame) -> pd.Series:
    """Sum of the nine items when all are answered 0-3 (7 refused / 9 don't know / blank -> incomplete)."""
    items = pd.concat([_in_range(_col(wide, item), 0, 3) for item in DPQ_ITEMS], axis=1)
    return items.sum(axis=1, min_count=9).where(items.notna().all(axis=1))


def map_cycle(wide: pd.DataFrame, *, cycle_key: str) -> pd.DataFrame:
    """Adults 18+ with a complete PHQ-9, mapped to the model features."""
    total = phq9_total(wide)
    keep = (_col(wide, "RIDAGEYR") >= 18) & total.notna()
    wide = wide[keep]
    frame = pd.DataFrame({key: MAPPERS[key](wide) for key in FEATURE_KEYS}, index=wide.index)
    frame = normalise_frame(frame)
    frame.insert(0, "cycle", cycle_key)
    frame.insert(1, "seqn", wide.index.to_numpy())
    frame["phq9_total"] = total[keep].astype("int64").to_numpy()
    frame["depressed"] = (frame["phq9_total"] >= PHQ9_POSITIVE).astype("int64")
    # The survey design, for weighted validation only (never a model input): MEC exam weight (WTMECPRP in the
    # 2017-2020 files), masked variance stratum and PSU, and race and Hispanic origin (RIDRETH1, every cycle).
    frame["exam_weight"] = _first(wide, "WTMEC2YR", "WTMECPRP").to_numpy()
    frame["stratum"] = _col(wide, "SDMVSTRA").to_numpy()
    frame["psu"] = _col(wide, "SDMVPSU").to_numpy()
    frame["race_ethnicity"] = _col(wide, "RIDRETH1").to_numpy()
    return frame.reset_index(drop=True)


def build_dataset(*, nhanes_dir: Path, cycle_keys: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The full training table, cycles in chronological order."""
    selected = [CYCLES_BY_KEY[key] for key in (cycle_keys or tuple(CYCLES_BY_KEY))]
    supplement = read_supplement(nhanes_dir)
    frames = [map_cycle(load_cycle(nhanes_dir, cycle, supplement), cycle_key=cycle.key) for cycle in selected]
    return pd.concat(frames, ignore_index=True)


def cycle_summary(dataset: pd.DataFrame) -> pd.DataFrame:
    """Per-cycle N, positives and prevalence, printed by build_dataset and stored in the manifest."""
    summary = dataset.groupby("cycle", sort=True)["depressed"].agg(n="size", positives="sum", prevalence="mean")
    summary["missing_share"] = dataset.groupby("cycle")[list(FEATURE_KEYS)].apply(lambda f: f.isna().mean().mean())
    return summary
