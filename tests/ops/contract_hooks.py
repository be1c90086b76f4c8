"""schemathesis hooks of the contract run (schemathesis.toml `hooks`): the rules no JSON schema can state.

A request the schema allows may still meet a rule that depends on the data, not its shape; the API then answers
400 naming the field, which schemathesis reports as "schema-valid request rejected". Only those exact refusals are
dropped here, each narrowly (the operation, the status, and the fields named); every other failure stands.
"""

from __future__ import annotations

import json

import schemathesis

# operation -> fields whose 400 is such a rule
DATA_RULES = {
    # A password the password validators refuse (common, all digits, like the email). An email that already has an
    # account is no such rule any more: it is answered 202 like a new one (accounts.services.user_sign_up).
    "POST /api/v1/auth/register/": {"password"},
    # Deleting the account with a password that is not the person's.
    "DELETE /api/v1/me/": {"password"},
    # A height and weight whose body-mass index is implausible, unless sent again with confirm_body_size: true.
    "POST /api/v1/screenings/": {"height_cm", "weight_kg"},
}


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if failure.code != "ST202" or response.status_code != 400:
        return True
    rule_fields = DATA_RULES.get(case.operation.label)
    if not rule_fields:
        return True
    if case.operation.label == "DELETE /api/v1/me/" and not (isinstance(case.body, dict) and case.body.get("password")):
        return True  # only a wrong password is a data rule; a missing one is the schema's business (required)
    try:
        fields = set(json.loads(response.content)["extra"]["fields"])
    except (ValueError, KeyError, TypeError):
        return True
    return not (fields and fields <= rule_fields)
