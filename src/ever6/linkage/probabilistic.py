"""The probabilistic pass: a Splink 5 (Fellegi-Sunter) model of child against pupil.

Comparisons (every function used is native to both DuckDB and Spark SQL, so no Splink jar
is needed on Spark and the two engines compute identical comparison vectors):

* forename: exact (with term-frequency adjustment), forename and surname swapped, Levenshtein
  <= 1, a nickname or transliteration of it (:mod:`ever6.linkage.names`), Levenshtein <= 2,
  the first three letters (Sam / Samuel), else;
* surname: exact (term-frequency adjusted), swapped, Levenshtein <= 1, a part of a
  double-barrelled or hyphenated surname in common, Levenshtein <= 2, else;
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

import functools
import itertools
import json
import math
from copy import deepcopy
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.database_api import DatabaseAPI
from splink.internals.exceptions import EMTrainingException

from ever6.linkage.names import name_keys, surname_parts
from ever6.linkage.settings import LinkageSettings

# Bumped when the comparisons change: a saved model of another version is trained again.
MODEL_VERSION = "ever6-linkage/2"
FEATURES = (
    "unique_id",
    "forename",
    "surname",
    "forename_keys",
    "surname_parts",
    "dob",
    "dob_swap",
    "yob",
    "sex",
    "postcode",
)
COMPARED = ("forename", "surname", "dob", "sex", "postcode")


def features(table: pa.Table, id_column: str) -> pa.Table:
    """Splink input from a side: ``unique_id`` plus the compared columns (dates as ISO text)."""
    dob = pc.cast(table["birth_date"], pa.string())
    year = pc.utf8_slice_codeunits(dob, 0, 4)
    month = pc.utf8_slice_codeunits(dob, 5, 7)
    day = pc.utf8_slice_codeunits(dob, 8, 10)
    swappable = pc.and_(pc.less_equal(day, "12"), pc.not_equal(day, month))
    swapped = pc.binary_join_element_wise(year, day, month, "-")
    dob_swap = pc.if_else(swappable, swapped, pa.scalar(None, pa.string()))
    raw_surname = table["surname_raw"] if "surname_raw" in table.column_names else table["surname"]
    return pa.table(
        {
            "unique_id": pc.cast(table[id_column], pa.string()),
            "forename": table["forename"],
            "surname": table["surname"],
            "forename_keys": pa.array([name_keys(n) for n in table["forename"].to_pylist()], pa.string()),
            "surname_parts": pa.array(
                [
                    None if n is None else surname_parts(r) or f"|{n}|"
                    for n, r in zip(table["surname"].to_pylist(), raw_surname.to_pylist(), strict=True)
                ],
                pa.string(),
            ),
            "dob": dob,
            "dob_swap": dob_swap,
            "yob": year,
            "sex": table["sex"],
            "postcode": table["postcode"],
        }
    )


_SWAPPED = "forename_l = surname_r AND surname_l = forename_r"

# The share of one child's pairs whose postcodes differ (moved between the two records): fixed,
# not trained. Children known to social care move often (placements, refuges, new families), and
# an authority's own records rarely show it, so a trained value makes a stale postcode outweigh a
# one-letter typo (issue 13); this keeps a differing postcode weak evidence against a match.
POSTCODE_DIFFERS_M = 0.2


def settings_dict(dialect: str) -> dict[str, Any]:
    """:func:`settings_creator`'s settings in ``dialect``, the postcode's "differs" level fixed.

    A copy of one built once per dialect: Splink writes every level's SQL through sqlglot, and a
    refresh asks twice (training, scoring), a tenth of a second each (issue 22)."""
    return deepcopy(_settings_dict(dialect))


@functools.cache
def _settings_dict(dialect: str) -> dict[str, Any]:
    settings = settings_creator().create_settings_dict(dialect)
    for comparison in settings["comparisons"]:
        if comparison["output_column_name"] == "postcode":
            comparison["comparison_levels"][-1].update(m_probability=POSTCODE_DIFFERS_M, fix_m_probability=True)
    return settings


def _among(name: str, keys: str) -> str:
    """SQL (DuckDB and Spark): either side's name is among the other's keys (``|A|B|`` text)."""
    return f"(instr({keys}_r, concat('|', {name}_l, '|')) > 0 OR instr({keys}_l, concat('|', {name}_r, '|')) > 0)"


def settings_creator() -> SettingsCreator:
    forename = cl.CustomComparison(
        output_column_name="forename",
        comparison_levels=[
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename", term_frequency_adjustments=True),
            cll.CustomLevel(_SWAPPED, label_for_charts="forename and surname swapped"),
            cll.LevenshteinLevel("forename", 1),
            cll.CustomLevel(_among("forename", "forename_keys"), label_for_charts="nickname or other spelling"),
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
            cll.CustomLevel(_SWAPPED, label_for_charts="forename and surname swapped"),
            cll.LevenshteinLevel("surname", 1),
            cll.CustomLevel(_among("surname", "surname_parts"), label_for_charts="a part of the surname"),
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
            cll.LevenshteinLevel("dob", 1).configure(label_for_charts="one character different"),
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
    # validate_settings=False: Splink's check of the settings' columns against the inputs only logs
    # warnings, and costs a tenth of a second a linker; the settings are this module's and the
    # inputs :func:`features` tables, which tests/linkage/test_splink_settings.py checks.
    return Linker([left, right], settings, log_level=None, validate_settings=False)


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
    linker = _linker(db_api, children, pupils, settings_dict(dialect))
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
    target = settings_dict(dialect)
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
            "evidence": pa.array([], pa.string()),
        }
    )


def _words(label: str) -> str:
    """Splink's level label in a data manager's words ("Exact match on dob" -> "exact")."""
    if label.startswith("Exact match on "):
        rest = label.removeprefix("Exact match on ")
        return "exact" if rest in COMPARED else f"same {rest}"
    if label.startswith("Levenshtein distance of "):
        return "one letter different" if label.endswith("<= 1") else "two letters different"
    if label == "All other comparisons":
        return "disagrees"
    return label


def _levels(settings: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Comparison -> (match weight, label) of each level but the null one (weight 0)."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comparison in settings["comparisons"]:
        levels = []
        for lvl in comparison["comparison_levels"]:
            m, u = lvl.get("m_probability"), lvl.get("u_probability")
            if lvl.get("is_null_level") or not m or not u:
                continue
            levels.append((math.log2(m / u), _words(str(lvl.get("label_for_charts", "")))))
        out[comparison["output_column_name"]] = levels
    return out


def _evidence(t: pa.Table, levels: dict[str, list[tuple[float, str]]]) -> list[str]:
    """Per pair, JSON: each compared field's level and its match weight (log2 Bayes factor,
    term-frequency adjustment included). Splink reports each field's weight; the level is the
    one with that weight (0 with no level: a value not recorded)."""
    zeros = [0.0] * t.num_rows
    weights = {name: t[f"mw_{name}"].to_pylist() for name in COMPARED}
    adjusts = {
        name: t[f"mw_tf_adj_{name}"].to_pylist() if f"mw_tf_adj_{name}" in t.column_names else zeros
        for name in COMPARED
    }
    out = []
    for i in range(t.num_rows):
        fields = []
        for name in COMPARED:
            base = weights[name][i] or 0.0
            adjust = adjusts[name][i] or 0.0
            if base == 0.0:
                label = "not recorded"
            else:
                label = min(levels.get(name, []), key=lambda lw: abs(lw[0] - base), default=(0.0, ""))[1]
            fields.append({"field": name, "level": label, "weight": round(base + adjust, 2)})
        out.append(json.dumps(fields, separators=(",", ":")))
    return out


def _predict(linker: Linker, settings: dict[str, Any], floor: float) -> pa.Table:
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    t: pa.Table = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
    if t.num_rows == 0:
        return no_scores()
    left_is_child = pc.equal(t["source_dataset_l"], "children")
    return pa.table(
        {
            "la_child_id": pc.cast(pc.if_else(left_is_child, t["unique_id_l"], t["unique_id_r"]), pa.string()),
            "upn": pc.cast(pc.if_else(left_is_child, t["unique_id_r"], t["unique_id_l"]), pa.string()),
            "match_probability": pc.cast(t["match_probability"], pa.float64()),
            "evidence": pa.array(_evidence(t, _levels(settings)), pa.string()),
        }
    )


def score(
    db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, model: dict[str, Any], floor: float
) -> pa.Table:
    """Scored pairs ``la_child_id, upn, match_probability, evidence`` at or above ``floor``."""
    if children.num_rows == 0 or pupils.num_rows == 0:
        return no_scores()
    settings = settings_for(model, db_api.sql_dialect.sql_dialect_str)
    settings["retain_intermediate_calculation_columns"] = True
    return _predict(_linker(db_api, children, pupils, settings), settings, floor)


_PAIR = "\x1f"  # joins a child's id and the UPN it carries into one record id


def score_pairs(
    db_api: DatabaseAPI[Any], children: pa.Table, pupils: pa.Table, pairs: list[tuple[str, str]], model: dict[str, Any]
) -> pa.Table:
    """The same model's score and evidence for given (child, UPN) pairs (the UPN matches).

    ``children`` and ``pupils`` are :func:`features` tables. Every pair is scored, whatever
    its probability, with the comparisons of :func:`score`, blocked on the pair itself.
    """
    if not pairs:
        return no_scores()
    child_row = {cid: i for i, cid in enumerate(children["unique_id"].to_pylist())}
    pupil_row = {u: i for i, u in enumerate(pupils["unique_id"].to_pylist())}
    pairs = [(c, u) for c, u in pairs if c in child_row and u in pupil_row]
    if not pairs:
        return no_scores()
    left = children.take([child_row[c] for c, _ in pairs])
    left = left.set_column(0, "unique_id", pa.array([f"{c}{_PAIR}{u}" for c, u in pairs], pa.string()))
    left = left.append_column("pair_key", pa.array([u for _, u in pairs], pa.string()))
    upns = sorted({u for _, u in pairs})
    right = pupils.take([pupil_row[u] for u in upns]).append_column("pair_key", pa.array(upns, pa.string()))
    dialect = db_api.sql_dialect.sql_dialect_str
    settings = settings_for(model, dialect)
    settings["retain_intermediate_calculation_columns"] = True
    settings["blocking_rules_to_generate_predictions"] = [
        block_on("pair_key").get_blocking_rule(dialect).as_dict()  # type: ignore[no-untyped-call]
    ]
    t = _predict(_linker(db_api, left, right, settings), settings, 0.0)
    child_ids = [v.split(_PAIR)[0] for v in t["la_child_id"].to_pylist()]
    return t.set_column(0, "la_child_id", pa.array(child_ids, pa.string()))
