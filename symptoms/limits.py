"""How many symptom checks one person may store: far more than anyone answering for themselves ever sends.

The checks are free, so credits do not limit them; without a limit one account stored 2,500 in 90 seconds (an
outside probe, issue 26), and every page, chart and FHIR download of that person grew with them.

Why these numbers (docs/symptoms.md#how-many-checks-a-day):
- The PHQ-9 and the GAD-7 ask about the last 2 weeks (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006), and
  the measurement-based-care schedules that use them repeat them every 2 to 4 weeks (NHS Talking Therapies: at
  every session, about weekly). Answering both every day is already far more than any use they were made for;
  20 a day leaves room for that ten times over, with retakes after a slip.
- A burst of 6 in 10 minutes is both questionnaires three times over: a person correcting a mis-tap never meets it;
  a script or a client stuck in a loop stops there instead of spending the whole day's 20 in a second.

A replay of an Idempotency-Key returns the earlier check and is never refused: it stores nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class VolumeLimit:
    key: str  # "day" or "burst": which message the refusal shows
    checks: int
    window: timedelta


DAILY = VolumeLimit(key="day", checks=20, window=timedelta(hours=24))
BURST = VolumeLimit(key="burst", checks=6, window=timedelta(minutes=10))
VOLUME_LIMITS = (DAILY, BURST)
