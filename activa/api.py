"""The Python API for a trained ACTIVA model: ``from activa.api import TrainedModel`` (see ``activa.model.api``)."""

from activa.model.api import Prediction, TrainedModel

__all__ = ["Prediction", "TrainedModel"]
