"""Dataset adapters: one module per native layout, each ``load(root, **options) -> Cohort``.

An adapter is looked up by the name a manifest entry gives as ``adapter``.  Every
adapter's ``load`` takes the dataset folder (``None`` for the generated demo) and
keyword options, among them ``name``: the value of the ``dataset`` column.

Examples
--------
>>> sorted(ADAPTERS)[:3]
['bhsd', 'cq500', 'demo']
>>> get_adapter("demo").__name__
'load'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import MappingProxyType

from hemstats.cohort import Cohort
from hemstats.errors import AdapterError

__all__ = ["ADAPTERS", "get_adapter"]

#: Adapter name -> module implementing ``load``.
ADAPTERS = MappingProxyType(
    {
        "demo": "hemstats.datasets.demo",
        "kaggle_head_ct": "hemstats.datasets.kaggle_head_ct",
        "bhsd": "hemstats.datasets.bhsd",
        "hemorica": "hemstats.datasets.hemorica",
        "mosmed_ich": "hemstats.datasets.mosmed_ich",
        "cq500": "hemstats.datasets.cq500",
        "physionet_ct_ich": "hemstats.datasets.physionet_ct_ich",
        "rsna_ich": "hemstats.datasets.rsna_ich",
        "generic": "hemstats.datasets.generic",
    }
)


def get_adapter(name: str) -> Callable[..., Cohort]:
    """The ``load`` function of the adapter registered as ``name``.

    Raises
    ------
    AdapterError
        When no adapter has that name (the message lists the known ones) or its
        module is not available in this version of hemstats.
    """
    try:
        module_name = ADAPTERS[name]
    except KeyError:
        raise AdapterError(f"unknown adapter {name!r}; known adapters: {', '.join(sorted(ADAPTERS))}") from None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise AdapterError(f"adapter {name!r} is not implemented in this version of hemstats") from None
    return module.load
