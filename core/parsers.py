"""Request parsing that answers 400, not 500, to JSON nested too deeply for the decoder."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's decoder recurses once per level; a body nested ~1,000 deep exhausts the stack.
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
