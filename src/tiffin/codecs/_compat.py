"""Optional-dependency helpers: recognise pandas objects without importing pandas.

If pandas has not been imported by anyone, no object can be a pandas object, so
these checks never import it themselves.
"""

from __future__ import annotations

import sys
from typing import Any


def _pandas() -> Any:
    return sys.modules.get("pandas")


def is_dataframe(obj: Any) -> bool:
    """True if ``obj`` is a pandas DataFrame (or a subclass)."""
    pd = _pandas()
    return pd is not None and isinstance(obj, pd.DataFrame)


def is_series(obj: Any) -> bool:
    """True if ``obj`` is a pandas Series (or a subclass)."""
    pd = _pandas()
    return pd is not None and isinstance(obj, pd.Series)


def is_pandas(obj: Any) -> bool:
    """True if ``obj``'s type comes from the pandas package."""
    return type(obj).__module__.startswith("pandas")


def frame_records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame as a list of row records (``to_dict(orient="records")``)."""
    return df.to_dict(orient="records")
