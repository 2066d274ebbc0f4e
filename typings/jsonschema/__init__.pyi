from collections.abc import Iterator, Mapping
from typing import Any

from referencing import Registry

class ValidationError(Exception):
    message: str
    absolute_path: Any

class Validator:
    def __init__(self, schema: Mapping[str, Any], *, registry: Registry[Any] = ...) -> None: ...
    def iter_errors(self, instance: Any) -> Iterator[ValidationError]: ...

class Draft202012Validator(Validator): ...
