"""The media and time rules in one home, below both the synthesizers and the evaluation.

Carryover (:mod:`~causalsynth.media.adstock`: geometric and delayed adstock, the default lag and
the grid of decays), saturation (:mod:`~causalsynth.media.saturation`: the Hill family), time
features (:mod:`~causalsynth.media.time`: trend, Fourier terms of the declared period, public
holidays, declared events) and the units of a geo panel (:mod:`~causalsynth.media.geo`: each
geo's size, the nodes taken per head). Each curve or feature is one small class registered
once under its kind and YAML word (:mod:`~causalsynth.media.registry`); the simulator,
``check_dag``, ``fit_mmm``, the fitted causal model, DML, the series synthesizer and the
temporal and sequence-privacy figures all read them from here.

Examples
--------
>>> from causalsynth.media import component, words
>>> sorted(words("time"))
['events', 'fourier', 'holidays', 'trend']
>>> component("saturation", "hill", half=1.0).apply([1.0]).tolist()
[0.5]
"""

from causalsynth.media.adstock import (
    DECAY_GRID,
    DEFAULT_MAX_LAG,
    DelayedAdstock,
    GeometricAdstock,
    adstock,
    adstock_weights,
    make_adstock,
)
from causalsynth.media.geo import SCALE_SLOPE, GeoUnits, geo_sizes, panel_units
from causalsynth.media.registry import component, register, words
from causalsynth.media.saturation import HALF_GRID, SHAPE_GRID, HillSaturation, hill
from causalsynth.media.time import (
    DEFAULT_HARMONICS,
    Events,
    FourierSeason,
    Holidays,
    LinearTrend,
    TimeFeatures,
    row_features,
    time_curve,
    time_features,
)

__all__ = ["DECAY_GRID", "DEFAULT_HARMONICS", "DEFAULT_MAX_LAG", "HALF_GRID", "SCALE_SLOPE",
           "SHAPE_GRID", "DelayedAdstock", "Events", "FourierSeason", "GeoUnits",
           "GeometricAdstock", "HillSaturation", "Holidays", "LinearTrend", "TimeFeatures",
           "adstock", "adstock_weights", "component", "geo_sizes", "hill", "make_adstock",
           "panel_units", "register", "row_features", "time_curve", "time_features", "words"]
