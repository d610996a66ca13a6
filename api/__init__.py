"""How people reach mzgis: the FastAPI service, its web pages and the ``mzgis`` CLI.

One package per job (``coverage``, ``siting``, ``zones``, ``inspection``, ``layers``,
``network``, ``users``), each with its ``schemas``, ``service``, ``routes``, ``map`` and
``cli`` modules; what every job shares sits at the top (``app``, ``config``, ``deps``,
``errors``, ``auth``, ``catalog``, ``schemas``, ``openapi``) and in ``maps`` (the map
builder).
"""
