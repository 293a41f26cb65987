"""OpenAPI schema corrections applied to every API (loaded by HallsConfig.ready)."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

# A wall-clock time as the API reads and writes it: "09:00", "09:00:00" or "09:00:00.5", no offset.
# OpenAPI's `format: time` is RFC 3339's full-time, which requires an offset, so it would describe
# an answer the API never gives; a pattern describes the real one.
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


class WallClockTimeField(OpenApiSerializerFieldExtension):
    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": TIME_PATTERN, "example": "09:00:00"}
