"""The NHANES mapping, on small hand-made frames shaped like the survey files."""

import numpy as np
import pandas as pd
import pytest

from predictor.features import FEATURE_KEYS
from predictor.training.dataset import CYCLES, Cycle, build_dataset, cycle_summary, load_cycle, map_cycle
from predictor.training.train import DESIGN_COLUMNS

XPT_ZERO = 5.397605346934028e-79


def wide_frame(rows: list[dict]) -> pd.DataFrame:
    """DEMO+DPQ-like rows; unspecified PHQ-9 items are answered 0 in the XPT zero encoding."""
    base = {"RIDAGEYR": 40, "RIAGENDR": 2, **{f"DPQ0{n}0": XPT_ZERO for n in range(1, 10)}}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame.index = pd.Index(range(1, len(frame) + 1), name="SEQN")
    return frame


def test_it_rounds_the_xpt_zero_and_scores_the_phq9():
    frame = wide_frame([{}, {"DPQ010": 3, "DPQ020": 3, "DPQ030": 2, "DPQ040": 2}])

    mapped = map_cycle(frame, cycle_key="2013-2014")

    assert mapped["phq9_total"].tolist() == [0, 10]
    assert mapped["depressed"].tolist() == [0, 1]


def test_it_drops_minors_and_incomplete_or_refused_phq9():
    frame = wide_frame([{"RIDAGEYR": 17}, {"DPQ050": 7}, {"DPQ090": 9}, {"DPQ060": np.nan}, {}])

    mapped = map_cycle(frame, cycle_key="2013-2014")

    assert mapped["seqn"].tolist() == [5]


def test_refused_and_dont_know_codes_become_missing():
    frame = wide_frame(
        [
            {"DMDEDUC2": 7, "DMDMARTL": 77, "INDFMPIR": 2.5, "HUQ010": 9, "SLQ050": 9, "SLD010H": 99},
            {"DMDEDUC2": 5, "DMDMARTL": 6, "INDFMPIR": XPT_ZERO, "HUQ010": 5, "SLQ050": 1, "SLD010H": 5},
        ]
    )

    mapped = map_cycle(frame, cycle_key="2011-2012")

    assert mapped["education"].isna().iloc[0]
    assert mapped["education"].iloc[1] == "college_graduate"
    assert mapped["marital_status"].isna().iloc[0]
    assert mapped["marital_status"].iloc[1] == "married_or_partner"
    assert mapped["income_poverty_ratio"].tolist() == [2.5, 0.0]
    assert mapped["general_health"].isna().iloc[0]
    assert mapped["general_health"].iloc[1] == "poor"
    assert mapped["sleep_trouble_told_doctor"].tolist()[1] == "yes"
    assert np.isnan(mapped["sleep_hours"].iloc[0])
    assert mapped["sleep_hours"].iloc[1] == 5


def test_sleep_hours_come_from_sld012_in_later_cycles():
    frame = wide_frame([{"SLD012": 7.5}])

    assert map_cycle(frame, cycle_key="2017-2018")["sleep_hours"].tolist() == [7.5]


def test_marital_status_from_the_three_category_variable():
    frame = wide_frame([{"DMDMARTZ": 2}, {"DMDMARTZ": 3}, {"DMDMARTZ": 77}])

    mapped = map_cycle(frame, cycle_key="2017-2018")

    assert mapped["marital_status"].tolist()[:2] == ["divorced_or_separated", "never_married"]
    assert pd.isna(mapped["marital_status"].iloc[2])


def test_smoking_combines_ever_and_now():
    frame = wide_frame(
        [
            {"SMQ020": 2},
            {"SMQ020": 1, "SMQ040": 1},
            {"SMQ020": 1, "SMQ040": 2},
            {"SMQ020": 1, "SMQ040": 3},
            {"SMQ020": 7},
        ]
    )

    smoking = map_cycle(frame, cycle_key="2013-2014")["smoking"].tolist()

    assert smoking[:4] == ["never", "current", "current", "former"]
    assert pd.isna(smoking[4])


def test_alcohol_is_zero_for_people_routed_past_the_drinks_question():
    frame = wide_frame(
        [{"ALQ110": 2}, {"ALQ120Q": 0}, {"ALQ121": 0}, {"ALQ111": 2}, {"ALQ130": 4}, {"ALQ130": 999}, {}]
    )

    drinks = map_cycle(frame, cycle_key="2013-2014")["alcohol_drinks_per_day"].tolist()

    assert drinks[:5] == [0, 0, 0, 0, 4]
    assert np.isnan(drinks[5])
    assert np.isnan(drinks[6])


def test_employment_uses_the_reason_for_not_working():
    frame = wide_frame(
        [
            {"OCD150": 1},
            {"OCD150": 3},
            {"OCD150": 4, "OCQ380": 3},
            {"OCD150": 4, "OCQ380": 6},
            {"OCD150": 4, "OCQ380": 2},
            {"OCD150": 4, "OCQ380": 5},
            {"OCD150": 9},
        ]
    )

    employment = map_cycle(frame, cycle_key="2013-2014")["employment"].tolist()

    assert employment[:6] == [
        "working",
        "looking_for_work",
        "retired",
        "unable_to_work",
        "not_working_other",
        "looking_for_work",
    ]
    assert pd.isna(employment[6])


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"PAQ650": 1, "PAQ665": 1}, "vigorous"),
        ({"PAQ650": 2, "PAQ665": 1}, "moderate"),
        ({"PAQ650": 2, "PAQ665": 2}, "none"),
        ({"PAD200": 3, "PAD320": 2}, "none"),  # 2005-2006 items; 3 = unable to do the activity
        ({"PAD660": 30, "PAD680": 300}, "vigorous"),  # supplement minutes
        ({"PAD680": 300}, "none"),
    ],
)
def test_physical_activity_maps_old_new_and_supplement_items(columns, expected):
    frame = wide_frame([columns])

    assert map_cycle(frame, cycle_key="2013-2014")["physical_activity"].tolist() == [expected]


def test_a_condition_is_yes_if_any_of_its_questions_is_yes():
    frame = wide_frame([{"MCQ160B": 2, "MCQ160C": 1}, {"MCQ160B": 2, "MCQ160C": 2}, {"MCQ160B": 9}, {"DIQ010": 3}])

    mapped = map_cycle(frame, cycle_key="2013-2014")

    assert mapped["condition_heart_disease"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(mapped["condition_heart_disease"].iloc[2])
    assert mapped["condition_diabetes"].iloc[3] == 0.0  # borderline counts as no


def test_the_mapped_table_has_every_model_feature():
    mapped = map_cycle(wide_frame([{}]), cycle_key="2013-2014")

    assert list(mapped.columns) == ["cycle", "seqn", *FEATURE_KEYS, "phq9_total", "depressed", *DESIGN_COLUMNS]


def test_it_never_pools_the_prepandemic_files_with_2017_2018():
    folders = [cycle.key for cycle in CYCLES]

    assert "2017-2018" in folders
    assert not any("2017-2020" in folder for folder in folders)


def test_load_cycle_fills_a_missing_module_from_the_supplement_but_raw_files_win(tmp_path):
    folder = tmp_path / "2013-2014"
    folder.mkdir()
    pd.DataFrame({"SEQN": [1, 2], "RIDAGEYR": [40, 50], "RIAGENDR": [1, 2]}).to_csv(folder / "DEMO_H.csv", index=False)
    items = {f"DPQ0{n}0": [0.0, 3.0] for n in range(1, 10)}
    pd.DataFrame({"SEQN": [1, 2], **items}).to_csv(folder / "DPQ_H.csv", index=False)
    pd.DataFrame({"SEQN": [1, 2], "BPQ020": [1.0, 2.0], "BPQ080": [2.0, 2.0]}).to_csv(folder / "BPQ_H.csv", index=False)
    cycle = Cycle("2013-2014", "H", 8, {"DEMO": "DEMO_H.csv", "DPQ": "DPQ_H.csv", "BPQ": "BPQ_H.csv"})
    supplement = pd.DataFrame(
        {
            "survey_nr": [8, 8],
            "BPQ020": [2.0, 1.0],
            "MCQ010": [1.0, 2.0],
            "OCD150": [1.0, 4.0],
            "OCQ380": [np.nan, 3.0],
        },
        index=pd.Index([1, 2], name="SEQN"),
    )

    wide = load_cycle(tmp_path, cycle, supplement)
    mapped = map_cycle(wide, cycle_key=cycle.key)

    assert mapped["condition_high_blood_pressure"].tolist() == [1.0, 0.0]  # raw BPQ, not the supplement
    assert mapped["condition_asthma"].tolist() == [1.0, 0.0]  # MCQ only in the supplement
    assert mapped["employment"].tolist() == ["working", "retired"]
    assert mapped["depressed"].tolist() == [0, 1]


def test_cycle_summary_counts_people_and_prevalence():
    frame = pd.DataFrame(
        {"cycle": ["a", "a", "b"], "depressed": [1, 0, 0], **{key: [np.nan, 1, 1] for key in FEATURE_KEYS}}
    )

    summary = cycle_summary(frame)

    assert summary.loc["a", "n"] == 2
    assert summary.loc["a", "prevalence"] == 0.5
    assert summary.loc["b", "positives"] == 0


def test_build_dataset_reads_a_directory_of_cycles(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "predictor.training.dataset.CYCLES_BY_KEY",
        {"2013-2014": Cycle("2013-2014", "H", 8, {"DEMO": "DEMO_H.csv", "DPQ": "DPQ_H.csv"})},
    )
    folder = tmp_path / "2013-2014"
    folder.mkdir()
    pd.DataFrame({"SEQN": [1], "RIDAGEYR": [30], "RIAGENDR": [1]}).to_csv(folder / "DEMO_H.csv", index=False)
    pd.DataFrame({"SEQN": [1], **{f"DPQ0{n}0": [1.0] for n in range(1, 10)}}).to_csv(folder / "DPQ_H.csv", index=False)

    table = build_dataset(nhanes_dir=tmp_path)

    assert table[["cycle", "phq9_total", "depressed", "sex"]].to_dict("records") == [
        {"cycle": "2013-2014", "phq9_total": 9, "depressed": 0, "sex": "male"}
    ]
