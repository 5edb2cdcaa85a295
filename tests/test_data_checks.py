"""check_data: every bad table gets its own clear error; inputs are never modified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalsynth import DataError
from causalsynth.data import check_data


@pytest.fixture()
def table(ad_funnel):
    return ad_funnel.simulate(200, seed=0)


def test_good_table_is_typed_copy(table, ad_funnel):
    raw = table.copy()
    raw["age_band"] = raw["age_band"].astype(str)  # as read from a CSV
    raw["revenue"] = raw["revenue"].astype(object)
    before = raw.copy(deep=True)
    out = check_data(raw, ad_funnel)
    pd.testing.assert_frame_equal(raw, before)  # input untouched
    assert isinstance(out["age_band"].dtype, pd.CategoricalDtype)
    assert out["revenue"].dtype == "float64" and out["click"].dtype == "int64"
    assert list(out.columns) == ad_funnel.nodes


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.drop(columns="click"), r"\['click'\] are declared in the DAG .* missing"),
        (lambda d: d.assign(user_id=1), r"\['user_id'\] are in the data but not in the DAG"),
        (lambda d: d.assign(revenue=d.revenue.where(d.index != 3)), r"'revenue' has 1 missing"),
        (lambda d: d.assign(revenue=d.revenue.replace(0.0, np.inf)), r"'revenue' has \d+ infinite"),
        (lambda d: d.assign(revenue=d.revenue.astype(object).where(d.index != 5, "n/a")),
         r"'revenue' is continuous but holds text such as 'n/a'"),
        (lambda d: d.assign(age_band=d.age_band.astype(str).where(d.index != 2, "65+")),
         r"'age_band' has value\(s\) '65\+' that are not declared categories"),
        (lambda d: d.assign(click=d.click * 2), r"'click' is binary but holds values other than"),
        (lambda d: d.assign(exposure=1), r"'exposure' is constant"),
        (lambda d: d.iloc[:5], r"has 5 rows; at least 10"),
    ],
    ids=["missing-column", "extra-column", "nan", "inf", "text", "unknown-category",
         "binary-not-01", "constant", "too-few-rows"],
)
def test_each_bad_table_has_its_own_message(table, ad_funnel, mutate, expected):
    bad = mutate(table.copy())
    with pytest.raises(DataError, match=expected):
        check_data(bad, ad_funnel)


def test_count_must_be_whole(saturation):
    df = saturation.simulate(50, seed=0)
    df["brand_searches"] = df["brand_searches"] + 0.5
    with pytest.raises(DataError, match="'brand_searches' is a count but holds negative or"):
        check_data(df, saturation)


def test_all_problems_together(table, ad_funnel):
    bad = table.drop(columns="gender").assign(extra=0, click=table.click * 3)
    with pytest.raises(DataError) as info:
        check_data(bad, ad_funnel)
    assert len(info.value.problems) == 3


def test_not_a_dataframe(ad_funnel):
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        check_data([[1, 2]], ad_funnel)


def test_message_names_the_table_and_shows_plain_values(table, ad_funnel):
    """A synthetic table that came out constant: the message says which table and which value."""
    bad = table.assign(revenue=2.5)
    with pytest.raises(DataError) as err:
        check_data(bad, ad_funnel, what="the synthetic table")
    assert str(err.value).startswith("invalid data in the synthetic table: column 'revenue' is "
                                     "constant (2.5)")
