"""Users and tokens: ``schemas``, ``routes`` (``/users``, admins only), ``cli``
(``mzgis users``)."""
