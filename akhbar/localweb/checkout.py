"""Benchmark code a checkout keeps beside the package: the scaled local web.

The scaled web (``benchmarks/scaledweb.py``) exists for load tests and benchmarks only, so it
is not installed with akhbar; ``akhbar localweb --scale`` loads it from the checkout it runs
from (an editable install), and says in one line that it needs one when there is none.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from akhbar.errors import AkhbarError

SCALED_WEB = Path(__file__).resolve().parents[2] / "benchmarks" / "scaledweb.py"
_MODULE = "scaledweb"  # the name the benchmarks import it by (``benchmarks/`` on sys.path)


class NoCheckoutError(AkhbarError):
    """akhbar runs from an installed package: no checkout's ``benchmarks/`` beside it."""


def load_scaled_web() -> ModuleType:
    """The module ``benchmarks/scaledweb.py`` of the checkout akhbar runs from."""
    loaded = sys.modules.get(_MODULE)
    if loaded is not None:
        return loaded
    if not SCALED_WEB.is_file():
        raise NoCheckoutError(
            "the scaled web (localweb --scale) needs a checkout's benchmarks/: it is not "
            "installed with the package"
        )
    spec = importlib.util.spec_from_file_location(_MODULE, SCALED_WEB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module  # dataclasses resolve their module through sys.modules
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_MODULE]
        raise
    return module
