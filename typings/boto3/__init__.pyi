# boto3 ships no types; the tests use its clients for moto's bucket and IAM setup only.
from typing import Any

def client(service_name: str, **kwargs: Any) -> Any: ...
