"""Pydantic models of the vocabulary (AS2 and our context) and of the REST API. No I/O."""

# Importing the vocabulary's façade completes the models that refer to each other across modules
# (an activity's object may be any model), whichever submodule a caller imports first.
from schemas import activitystreams as activitystreams
