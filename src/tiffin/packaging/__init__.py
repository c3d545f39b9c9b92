"""Package an in-memory model: ``tiffin.package(model, dir)`` -> :class:`Package`.

api.py            package(): detect the framework, plan, write atomically
requirements.py   pinned requirements inferred from the model object
walk.py           the modules a model object is built from
distributions.py  which installed distribution provides a module
contents.py       spec, README, requirements.txt, metadata, data files
writer.py         atomic writing of the directory
package.py        Package: predict, serve, docker_build_string, build
local_server.py   the `tiffin serve` subprocess behind Package.serve()
"""

from tiffin.packaging.api import package
from tiffin.packaging.local_server import LocalServer
from tiffin.packaging.package import Package

__all__ = ["LocalServer", "Package", "package"]
