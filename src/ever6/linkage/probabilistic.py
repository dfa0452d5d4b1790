"""The probabilistic pass: a Splink 5 (Fellegi-Sunter) model of child against pupil.

Comparisons (every function used is native to both DuckDB and Spark SQL, so no Splink jar
is needed on Spark and the two engines compute identical comparison vectors):

* forename, surname: exact (with term-frequency adjustment), Levenshtein <= 1, <= 2, and for
  forenames the first three letters (Sam / Samuel), else;
* birth date: exact, day and month swapped, one character different, else;
* sex: exact, else; postcode: full, sector, district, else.

The model is trained without labels: u from random pairs, m by expectation maximisation on two
blocking rules (same birth date; same forename and surname), and the prior from a strict
deterministic rule. It is saved as Splink JSON. Splink writes each comparison's SQL in the
dialect it was trained on; to score on another engine the comparisons are rebuilt here in that
engine's dialect and the trained parameters are copied over level by level
(:func:`settings_for`), so DuckDB and Spark apply exactly the same model.
"""

from __future__ import annotations

import itertools
from copy import deepcopy
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.database_api import DatabaseAPI
from splink.internals.exceptions import EMTrainingException

from ever6.linkage.settings import LinkageSettings

MODEL_VERSION = "ever6-linkage/1"
FEATURES = ("unique_id", "forename", "surname", "dob", "dob_swap", "yob", "sex", "postcode")


def features(table: pa.Table, id_column: str) -> pa.Table:
    """Splink input from a side: ``unique_id`` plus the compared columns (dates as ISO text)."""
    dob = pc.cast(table["birth_date"], pa.string())
    year = pc.utf8_slice_codeunits(dob, 0, 4)
    month = pc.utf8_slice_codeunits(dob, 5, 7)
    day = pc.utf8_slice_codeunits(dob, 8, 10)
    swappable = pc.and_(pc.less_equal(day, "12"), pc.not_equal(day, month))
    swapped = pc.binary_join_element_wise(year, day, month, "-")
    dob_swap = pc.if_else(swappable, swapped, pa.scalar(None, pa.string()))
    return pa.table(
        {
            "unique_id": pc.cast(table[id_column], pa.string()),
            "forename": table["forename"],
            "surname": table["surname"],
            "dob": dob,
            "dob_swap": dob_swap,
            "yob": year,
            "sex": table["sex"],
            "postcode": table["postcode"],
        }
    )


def settings_creator() -> SettingsCreator:
    forename = cl.CustomComparison(
        output_column_name="forename",
        comparison_levels=[
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename", term_frequency_adjustments=True),
            cll.LevenshteinLevel("forename", 1),
            cll.LevenshteinLevel("forename", 2),
            cll.CustomLevel(
                "substr(forename_l, 1, 3) = substr(forename_r, 1, 3)", label_for_charts="first three letters"
            ),
            cll.ElseLevel(),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.LevenshteinLevel("surname", 1),
            cll.LevenshteinLevel("surname", 2),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_swap_l = dob_r", label_for_charts="day and month swapped"),
            cll.LevenshteinLevel("dob", 1),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[forename, surname, dob, cl.ExactMatch("sex"), cl.PostcodeComparison("postcode")],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("surname", "yob"),
            block_on("forename", "yob"),
            block_on("postcode"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


_registered = itertools.count()


def _linker(db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, settings: dict[str, Any]) -> Linker:
    n = next(_registered)
    left = db_api.register(children, dataset_display_name="children", table_name=f"ever6_children_{n}")
    right = db_api.register(pupils, dataset_display_name="pupils", table_name=f"ever6_pupils_{n}")
    # log_level=None: Splink would otherwise reset its logger's level on every Linker, overriding
    # the application's choice (the CLI shows Splink's messages only with --verbose).
    return Linker([left, right], settings, log_level=None)


# Fewer named records than this on either side and expectation maximisation has nothing to
# learn from: the estimates come out at 0 or 1 (Splink then refuses them).
MIN_TRAINING_RECORDS = 20


class Untrainable(Exception):
    """The model cannot be trained on this data; the message says why, for the data manager."""


def why_untrainable(children: pa.Table, pupils: pa.Table) -> str | None:
    """Why a model cannot be trained on these sides (:func:`features` tables), or None.

    Checked before training so that a warehouse that is not a full authority (social care
    only, a CIN census without names, a handful of pupils) gets a reason, not Splink's error.
    """
    named = pc.sum(pc.and_(pc.is_valid(children["forename"]), pc.is_valid(children["surname"]))).as_py() or 0
    if pupils.num_rows == 0:
        return "no pupil records to match against (import pupils on roll)"
    if children.num_rows == 0:
        return "no child left with a name or birth date to compare"
    if named == 0:
        return "no child has a name (the CIN census and SSDA903 carry none: import a case-management extract)"
    if named < MIN_TRAINING_RECORDS or pupils.num_rows < MIN_TRAINING_RECORDS:
        return (
            f"too few records to train the model ({named:,} named children, {pupils.num_rows:,} pupils; "
            f"at least {MIN_TRAINING_RECORDS} of each)"
        )
    return None


def _check_estimates(model: dict[str, Any]) -> None:
    """Raise :class:`Untrainable` when a trained estimate is at 0 or 1 (or missing)."""
    prior = model.get("probability_two_random_records_match")
    if not isinstance(prior, float | int) or not 0.0 < prior < 1.0:
        raise Untrainable(f"the estimated share of matching pairs is {prior}: no pair looks like a match")


def train_or_skip(
    db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, settings: LinkageSettings
) -> tuple[dict[str, Any] | None, str | None]:
    """The trained model, or None and why the probabilistic pass is skipped."""
    reason = why_untrainable(children, pupils)
    if reason is not None:
        return None, reason
    try:
        return train(db_api, children, pupils, settings), None
    except Untrainable as exc:
        return None, str(exc)
    except EMTrainingException as exc:
        # A training rule found no pairs (no child shares a birth date, or names, with a pupil).
        return None, f"no pairs to learn from ({str(exc).split('.')[0]})"
    except (ValueError, ArithmeticError) as exc:
        # Splink refuses an estimate of 0 or 1 (a prior of 0: "math domain error"; "m_probability
        # value 0.0 is below the minimum allowed value"): the data cannot support the model.
        return None, f"an estimate came out at 0 or 1 ({exc})"


def train(db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, settings: LinkageSettings) -> dict[str, Any]:
    """Train a model (no labels) on every child and pupil; returns the Splink model dictionary.

    Raises :class:`Untrainable` when the prior comes out at 0 or 1; Splink raises ValueError for
    other estimates at 0 or 1 (:func:`train_or_skip` turns both into a reason).
    """
    dialect = db_api.sql_dialect.sql_dialect_str
    linker = _linker(db_api, children, pupils, settings_creator().create_settings_dict(dialect))
    linker.training.estimate_probability_two_random_records_match([block_on("forename", "surname", "dob")], recall=0.7)
    _check_estimates(linker.misc.save_model_to_json())
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    model = linker.misc.save_model_to_json()
    model["ever6_model_version"] = MODEL_VERSION
    return model


_PARAMETERS = ("m_probability", "u_probability", "tf_minimum_u_value", "tf_adjustment_weight")


def settings_for(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The trained ``model`` as Splink settings in ``dialect``: this module's comparisons, its parameters.

    Raises ValueError when the model's comparisons are not this module's (an older model):
    train again.
    """
    target = settings_creator().create_settings_dict(dialect)
    theirs = model.get("comparisons", [])
    ours = target["comparisons"]
    shape_theirs = [(c.get("output_column_name"), len(c["comparison_levels"])) for c in theirs]
    shape_ours = [(c.get("output_column_name"), len(c["comparison_levels"])) for c in ours]
    if shape_theirs != shape_ours:
        raise ValueError("the saved linkage model was built for other comparisons; train it again")
    out = deepcopy(target)
    for ours_c, theirs_c in zip(out["comparisons"], theirs, strict=True):
        for ours_l, theirs_l in zip(ours_c["comparison_levels"], theirs_c["comparison_levels"], strict=True):
            for key in _PARAMETERS:
                if key in theirs_l:
                    ours_l[key] = theirs_l[key]
    out["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return out


def no_scores() -> pa.Table:
    """The scored pairs of a pass that scored nothing."""
    return pa.table(
        {
            "la_child_id": pa.array([], pa.string()),
            "upn": pa.array([], pa.string()),
            "match_probability": pa.array([], pa.float64()),
        }
    )


def score(
    db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, model: dict[str, Any], floor: float
) -> pa.Table:
    """Scored pairs ``la_child_id, upn, match_probability`` at or above ``floor``."""
    empty = no_scores()
    if children.num_rows == 0 or pupils.num_rows == 0:
        return empty
    linker = _linker(db_api, children, pupils, settings_for(model, db_api.sql_dialect.sql_dialect_str))
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    t: pa.Table = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
    if t.num_rows == 0:
        return empty
    left_is_child = pc.equal(t["source_dataset_l"], "children")
    return pa.table(
        {
            "la_child_id": pc.cast(pc.if_else(left_is_child, t["unique_id_l"], t["unique_id_r"]), pa.string()),
            "upn": pc.cast(pc.if_else(left_is_child, t["unique_id_r"], t["unique_id_l"]), pa.string()),
            "match_probability": pc.cast(t["match_probability"], pa.float64()),
        }
    )
